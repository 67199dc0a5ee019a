"""A GPT (decoder-only transformer) in minigrad, laid out as nanoGPT's ``model.py``.

>>> from minigrad.examples.gpt import GPT, GPTConfig
>>> model = GPT(GPTConfig(vocab_size=76, block_size=128, n_layer=4, n_head=4, n_embd=128))
>>> logits, loss = model(idx, targets)          # idx, targets: int64 (B, T), T ≤ block_size
>>> out = model.generate(idx[:, :1], max_new_tokens=200, temperature=0.8, top_k=20)

Model, for token ids idx (B, T):

    x = wte[idx] + wpe[0…T−1]                          token + learned position embeddings
    x = x + attn(ln_1(x))                              pre-LayerNorm blocks, n_layer of them
    x = x + mlp(ln_2(x))
    logits = ln_f(x) · wteᵀ                            lm_head tied to the token embedding

- attention: one fused Linear gives q, k, v (B, T, 3C); the heads are a reshape/transpose to
  (B, n_head, T, C/n_head); ``F.scaled_dot_product_attention(is_causal=True)`` (position i
  sees 0 … i), then the heads are put back side by side and projected (``c_proj``).
- MLP: Linear C → 4C, GELU, Linear 4C → C.  The GELU is the tanh approximation
  ``F.gelu(approximate="tanh")``, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), GPT-2's
  choice (nanoGPT uses the exact erf form; the two differ by < 1e-3).
- weight tying: ``lm_head.weight`` IS ``wte.weight`` (one Parameter, so the gradients of
  both uses accumulate into one ``.grad``; ``parameters()`` yields it once).
- init (nanoGPT / GPT-2): every Linear and Embedding weight 𝒩(0, 0.02²), biases 0, the
  residual projections (``attn.c_proj``, ``mlp.c_proj``) 𝒩(0, (0.02/√(2·n_layer))²) so the
  residual stream's variance does not grow with depth.  LayerNorms start at γ = 1, β = 0.
- ``configure_optimizers``: AdamW, weight decay on the matrices (dim ≥ 2: Linear weights and
  embeddings) only, none on biases and LayerNorm gains.
- ``generate`` keeps a key/value cache: the prompt is run once, then each new token runs
  through the network alone, its query attending to the cached keys and values (one query,
  so no mask: ``is_causal=False``), which costs O(T) per token instead of the O(T²) of
  recomputing the context.  The positions are learned and absolute, so once the context is
  longer than block_size it is cropped to the last block_size tokens and every cached key
  changes: from then on each token rebuilds the cache from the cropped context (what
  ``use_cache=False`` does at every step), so both give the same tokens.

State-dict names are nanoGPT's without its ``transformer.`` prefix (``wte.weight``,
``h.0.attn.c_attn.weight``, …); a PyTorch twin with the same attribute names loads it
directly (``benchmarks/gpt_vs_pytorch.py``).
"""
import math
from dataclasses import dataclass

import numpy as np

import minigrad
import minigrad.functional as F
from minigrad import nn, optim

__all__ = ["GPTConfig", "GPT", "CausalSelfAttention", "MLP", "Block", "get_batch",
           "WarmupCosine"]


@dataclass
class GPTConfig:
    """The model's sizes.  ``block_size``: the longest context; ``n_embd`` must be a
    multiple of ``n_head``; ``dropout``: on the embeddings, the attention probabilities and
    both residual branches (training only); ``bias``: biases in the Linears and LayerNorms
    (nanoGPT's option; GPT-2 has them)."""
    vocab_size: int = 65
    block_size: int = 128
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    bias: bool = True

    def __post_init__(self):
        for name in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd"):
            if not (isinstance(getattr(self, name), int) and getattr(self, name) > 0):
                raise ValueError(f"GPTConfig: {name} must be a positive int, got "
                                 f"{getattr(self, name)!r}")
        if self.n_embd % self.n_head:
            raise ValueError(f"GPTConfig: n_embd ({self.n_embd}) must be a multiple of "
                             f"n_head ({self.n_head})")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"GPTConfig: dropout must be in [0, 1), got {self.dropout}")


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention with a fused qkv projection."""

    def __init__(self, config):
        super().__init__()
        self.n_head, self.n_embd, self.dropout = config.n_head, config.n_embd, config.dropout
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(self, x, cache=None):
        """x (B, T, C) → (B, T, C).  ``cache``: None (training, or a fresh context), or a
        dict {"k", "v"} of this layer's cached keys/values (B, nh, S, hs), which is read and
        replaced (the new keys and values appended)."""
        B, T, C = x.shape
        hs = C // self.n_head
        qkv = self.c_attn(x).reshape(B, T, 3, self.n_head, hs).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]                                   # (B, nh, T, hs)
        causal = True
        if cache is not None:
            if "k" in cache:                 # the new token(s) follow the cached ones
                k = F.cat([cache["k"], k], 2)                              # (B, nh, S+T, hs)
                v = F.cat([cache["v"], v], 2)
                if T != 1:
                    raise ValueError("CausalSelfAttention: with a filled cache, feed one "
                                     f"token at a time, got T={T}")
                causal = False               # one query sees every cached key
            cache["k"], cache["v"] = k, v
        y = F.scaled_dot_product_attention(q, k, v, is_causal=causal,
                                           dropout_p=self.dropout if self.training else 0.0)
        y = y.transpose(1, 2).reshape(B, T, C)                 # heads side by side again
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    """Linear C → 4C, GELU (tanh approximation, as GPT-2), Linear 4C → C, dropout."""

    def __init__(self, config):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(F.gelu(self.c_fc(x), approximate="tanh")))


class Block(nn.Module):
    """x + attn(ln_1(x)), then + mlp(ln_2(x)): a pre-LayerNorm transformer block."""

    def __init__(self, config):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x, cache=None):
        x = x + self.attn(self.ln_1(x), cache)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """The GPT language model: ``forward(idx, targets=None) -> (logits, loss)``."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.block_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.h = nn.ModuleList([Block(config) for _ in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight          # tied: one Parameter, two uses
        self._init_weights(config)

    def _init_weights(self, config):
        with minigrad.no_grad():
            for module in self.modules():
                if isinstance(module, (nn.Linear, nn.Embedding)):
                    nn.init.normal_(module.weight, mean=0.0, std=0.02)
                if isinstance(module, nn.Linear) and module.bias is not None:
                    nn.init.zeros_(module.bias)
            for name, p in self.named_parameters():
                if name.endswith("c_proj.weight"):     # residual projections (GPT-2)
                    nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    def num_params(self, non_embedding=True):
        """Parameters counted once (the tied matrix once); without the position embedding
        when ``non_embedding`` (nanoGPT's convention)."""
        n = sum(p.numel() for p in self.parameters())
        return n - self.wpe.weight.numel() if non_embedding else n

    def _logits(self, idx, caches=None, start=0):
        B, T = idx.shape
        if start + T > self.config.block_size:
            raise ValueError(f"GPT: cannot forward a sequence of length {start + T}, the "
                             f"block size is only {self.config.block_size}")
        pos = minigrad.arange(start, start + T, dtype=minigrad.int64, device=idx.device)
        x = self.drop(self.wte(idx) + self.wpe(pos))                       # (B, T, C)
        for i, block in enumerate(self.h):
            x = block(x, None if caches is None else caches[i])
        return self.lm_head(self.ln_f(x))                                  # (B, T, V)

    def forward(self, idx, targets=None):
        """idx: int64 (B, T) → (logits (B, T, vocab), loss or None).  ``targets``: int64
        (B, T), the next token at each position; the loss is their mean cross-entropy."""
        if not isinstance(idx, minigrad.Tensor):
            idx = minigrad.tensor(idx)
        logits = self._logits(idx)
        if targets is None:
            return logits, None
        if not isinstance(targets, minigrad.Tensor):
            targets = minigrad.tensor(targets, device=idx.device)
        B, T, V = logits.shape
        loss = F.cross_entropy(logits.reshape(B * T, V), targets.reshape(B * T))
        return logits, loss

    def configure_optimizers(self, weight_decay, learning_rate, betas=(0.9, 0.95)):
        """AdamW with weight decay on every parameter with dim ≥ 2 (matrices, embeddings)
        and none on the others (biases, LayerNorm gains and shifts)."""
        params = [p for p in self.parameters() if p.requires_grad]
        decay = [p for p in params if p.ndim >= 2]
        no_decay = [p for p in params if p.ndim < 2]
        groups = [{"params": decay, "weight_decay": weight_decay},
                  {"params": no_decay, "weight_decay": 0.0}]
        return optim.AdamW(groups, lr=learning_rate, betas=tuple(betas))

    @minigrad.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, use_cache=True):
        """Continue each row of ``idx`` (int64 (B, T)) by ``max_new_tokens`` sampled tokens:
        (B, T + max_new_tokens).

        Each token is drawn from softmax(logits / temperature), restricted to the ``top_k``
        most likely when given (``top_k=1``: greedy).  ``use_cache=False`` recomputes the
        whole (cropped) context for every token, as nanoGPT does; both draw the same
        random numbers, so with the same seed they give the same tokens.  Call
        ``model.eval()`` first when the model has dropout.
        """
        if not isinstance(idx, minigrad.Tensor):
            idx = minigrad.tensor(idx)
        if temperature <= 0:
            raise ValueError(f"generate: temperature must be > 0, got {temperature} (for "
                             f"greedy decoding use top_k=1)")
        block = self.config.block_size
        caches, logits = None, None
        for _ in range(max_new_tokens):
            if not use_cache:
                logits = self._logits(idx[:, -block:])[:, -1, :]
            elif caches is None or idx.shape[1] > block:
                # (re)build the cache from the cropped context
                caches = [{} for _ in self.h]
                logits = self._logits(idx[:, -block:], caches)[:, -1, :]
            else:                            # only the newest token goes through the network
                start = idx.shape[1] - 1
                logits = self._logits(idx[:, -1:], caches, start)[:, -1, :]
            idx = F.cat([idx, self._sample(logits, temperature, top_k)], 1)   # (B, T+1)
        return idx

    @staticmethod
    def _sample(logits, temperature, top_k):
        """One token per row (B, 1) from logits (B, V)."""
        logits = logits / temperature
        if top_k is not None:
            values, _ = minigrad.topk(logits, min(top_k, logits.shape[-1]), dim=-1)
            logits = logits.masked_fill(logits < values[:, -1:], float("-inf"))
        probs = F.softmax(logits, dim=-1)
        return minigrad.multinomial(probs, num_samples=1)



def get_batch(data, batch_size, block_size, rng):
    """A random batch of windows of ``data`` (1-D int array of token ids), as nanoGPT:
    ``(x, y)``, int64 NumPy arrays (batch_size, block_size), y = x shifted by one token.

    ``rng``: a ``numpy.random.Generator`` (the offsets are its ``integers``), so two
    frameworks given generators with the same seed see the same batches.
    """
    if len(data) <= block_size:
        raise ValueError(f"get_batch: {len(data)} tokens cannot hold a window of "
                         f"{block_size} + 1")
    starts = rng.integers(0, len(data) - block_size, size=batch_size)
    window = starts[:, None] + np.arange(block_size)                     # (B, T)
    return data[window].astype(np.int64), data[window + 1].astype(np.int64)


class WarmupCosine:
    """nanoGPT's learning-rate schedule as a factor of the peak rate, for ``LambdaLR``:
    linear warmup over ``warmup_iters`` steps (from 1/(warmup+1) to 1), then a cosine decay
    to ``min_ratio`` (min_lr / lr) at ``decay_iters``, constant after.

        factor(it) = (it + 1) / (warmup + 1)                        it < warmup
                   = r + (1 − r) · ½ (1 + cos(π · (it − warmup) / (decay − warmup)))
                   = r                                              it ≥ decay

    A callable object rather than a function, so ``LambdaLR.state_dict()`` saves it.
    """

    def __init__(self, warmup_iters, decay_iters, min_ratio=0.1):
        self.warmup_iters, self.decay_iters = int(warmup_iters), int(decay_iters)
        self.min_ratio = float(min_ratio)

    def __call__(self, it):
        if it < self.warmup_iters:
            return (it + 1) / (self.warmup_iters + 1)
        if it >= self.decay_iters:
            return self.min_ratio
        progress = (it - self.warmup_iters) / max(1, self.decay_iters - self.warmup_iters)
        return self.min_ratio + (1 - self.min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
