"""The character GPT of docs/examples/gpt_chars.py, minigrad vs its PyTorch twin.

    python -m benchmarks.gpt_vs_pytorch [--config full|quick] [--quick] [--iters 500]
        [--steps 20] [--warmup 3] [--repeats 3] [--tokens 64,256] [--threads 2]
        [--out results.json] [--skip accuracy,train,sample] [--unset-openblas-env]

The twin (``torch_gpt``) is the same model written with ``torch.nn``: the same module
names (``wte``, ``h.0.attn.c_attn``, …, ``lm_head`` tied to ``wte``), the same fused qkv,
``F.scaled_dot_product_attention(is_causal=True)``, GELU-tanh, pre-LayerNorm.  It starts
from minigrad's initial weights (minigrad's ``state_dict`` copied into it), so both start
identical.  Three questions, one table each:

(a) accuracy: both train ``--iters`` iterations on the same batches (``get_batch`` with
    the same seed) with the same recipe (AdamW β 0.9/0.99, weight decay 0.1 on matrices,
    warmup + cosine through LambdaLR, gradient norm clipped to 1.0), then the validation
    loss of each on the same 20 validation batches.  Float32 rounding differs between the
    two, so the runs drift apart; the question is whether they end at the same loss.
(b) training tokens/s: each repeat of each framework in a fresh process (as
    ``benchmarks.cnn_throughput``: in one shared process each framework's speed depends on
    the other's allocations), alternating so machine drift hits both; the median over
    repeats; the ratio minigrad / PyTorch.  Each worker also times the step's matrix
    products alone with its framework's GEMM (``gemm_seconds``): the floor of a step.
(c) sampling tokens/s for ``--tokens`` new tokens (batch 1, a one-character prompt, top_k
    20; the best of 3 generations in each worker, the median over workers), with and
    without the key/value cache, for both (PyTorch's twin without a cache is nanoGPT's
    ``generate``; with one it is the same cache as minigrad's).  Once the context passes
    block_size every token rebuilds the cache from the cropped context in both (the
    positions are absolute), so past it the cache no longer helps.

BLAS / intra-op threads: ``--threads`` (default 2: this machine has 2 cores) is applied to
both frameworks in every process: ``torch.set_num_threads`` for PyTorch, threadpoolctl's
limit on the BLAS for minigrad.  ``--unset-openblas-env`` re-runs the command with
``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` unset (a machine may set them to pin an
older kernel; PyTorch's MKL ignores them, so they weigh on minigrad's matrix products
only); the header says which kernel settings the run had.  JSON out; the tables are
printed last.  PyTorch is optional: without it only minigrad's figures are given.
"""
import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

from .machine import openblas_env

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The full configuration is docs/examples/gpt_chars.py's FULL (a test checks they agree).
CONFIGS = {
    "full": dict(batch_size=12, block_size=64, n_layer=4, n_head=4, n_embd=128,
                 warmup_iters=100, lr=1e-3, min_lr=1e-4),
    "quick": dict(batch_size=4, block_size=16, n_layer=2, n_head=2, n_embd=32,
                  warmup_iters=2, lr=3e-3, min_lr=3e-4),
}
WEIGHT_DECAY, BETAS, CLIP, EVAL_BATCHES = 0.1, (0.9, 0.99), 1.0, 20


def torch_available():
    try:
        import torch  # noqa: F401
        return True
    except ImportError:
        return False


def _limit_threads(framework, threads):
    """``threads`` BLAS / intra-op threads for this process (a context to keep alive)."""
    if framework == "pytorch":
        import torch
        torch.set_num_threads(threads)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(limits=threads, user_api="blas")


# ---------------------------------------------------------------------------------------
# the PyTorch twin

def torch_gpt(config):
    """The twin of ``minigrad.examples.gpt.GPT(config)`` in PyTorch (default init; copy
    minigrad's weights in with ``copy_weights``)."""
    import torch
    from torch import nn
    F = nn.functional

    class CausalSelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.n_head = config.n_head
            self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
            self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)

        def forward(self, x, cache=None):
            B, T, C = x.shape
            qkv = self.c_attn(x).view(B, T, 3, self.n_head, C // self.n_head)
            q, k, v = qkv.permute(2, 0, 3, 1, 4)                          # (B, nh, T, hs)
            causal = True
            if cache is not None:
                if "k" in cache:
                    k, v = torch.cat([cache["k"], k], 2), torch.cat([cache["v"], v], 2)
                    causal = False
                cache["k"], cache["v"] = k, v
            y = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
            return self.c_proj(y.transpose(1, 2).reshape(B, T, C))

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
            self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)

        def forward(self, x):
            return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
            self.attn = CausalSelfAttention()
            self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
            self.mlp = MLP()

        def forward(self, x, cache=None):
            x = x + self.attn(self.ln_1(x), cache)
            return x + self.mlp(self.ln_2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.config = config
            self.wte = nn.Embedding(config.vocab_size, config.n_embd)
            self.wpe = nn.Embedding(config.block_size, config.n_embd)
            self.h = nn.ModuleList([Block() for _ in range(config.n_layer)])
            self.ln_f = nn.LayerNorm(config.n_embd, bias=config.bias)
            self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
            self.lm_head.weight = self.wte.weight

        def logits(self, idx, caches=None, start=0):
            pos = torch.arange(start, start + idx.shape[1])
            x = self.wte(idx) + self.wpe(pos)
            for i, block in enumerate(self.h):
                x = block(x, None if caches is None else caches[i])
            return self.lm_head(self.ln_f(x))

        def forward(self, idx, targets=None):
            logits = self.logits(idx)
            loss = None if targets is None else F.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
            return logits, loss

        def configure_optimizers(self, weight_decay, learning_rate, betas):
            params = list(self.parameters())
            groups = [{"params": [p for p in params if p.dim() >= 2],
                       "weight_decay": weight_decay},
                      {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
            return torch.optim.AdamW(groups, lr=learning_rate, betas=betas)

        @torch.no_grad()
        def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, use_cache=True):
            block, caches = self.config.block_size, None
            for _ in range(max_new_tokens):
                if not use_cache:                              # nanoGPT's generate
                    logits = self.logits(idx[:, -block:])
                elif caches is None or idx.shape[1] > block:
                    caches = [{} for _ in self.h]
                    logits = self.logits(idx[:, -block:], caches)
                else:
                    logits = self.logits(idx[:, -1:], caches, idx.shape[1] - 1)
                logits = logits[:, -1, :] / temperature
                if top_k is not None:
                    v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                    logits[logits < v[:, [-1]]] = -float("inf")
                probs = F.softmax(logits, dim=-1)
                idx = torch.cat([idx, torch.multinomial(probs, num_samples=1)], dim=1)
            return idx

    return GPT()


def copy_weights(mg_model, torch_model):
    """Load minigrad's state_dict into the twin (both names of the tied matrix included)."""
    import torch
    state = {k: torch.from_numpy(np.array(v.numpy())) for k, v in
             mg_model.state_dict().items()}
    torch_model.load_state_dict(state)
    assert torch_model.lm_head.weight is torch_model.wte.weight


# ---------------------------------------------------------------------------------------
# one framework's runner: the same calls on both

def build(framework, cfg, vocab_size, seed=0):
    """(model, optimizer, scheduler, to_tensor) for ``framework``, from minigrad's init."""
    import minigrad
    from minigrad import optim
    from minigrad.examples.gpt import GPT, GPTConfig, WarmupCosine
    config = GPTConfig(vocab_size=vocab_size, block_size=cfg["block_size"],
                       n_layer=cfg["n_layer"], n_head=cfg["n_head"], n_embd=cfg["n_embd"])
    minigrad.manual_seed(seed)
    mg_model = GPT(config)
    schedule = WarmupCosine(cfg["warmup_iters"], cfg["iters"], cfg["min_lr"] / cfg["lr"])
    if framework == "minigrad":
        opt = mg_model.configure_optimizers(WEIGHT_DECAY, cfg["lr"], BETAS)
        return mg_model, opt, optim.lr_scheduler.LambdaLR(opt, schedule), minigrad.tensor
    import torch
    model = torch_gpt(config)
    copy_weights(mg_model, model)
    opt = model.configure_optimizers(WEIGHT_DECAY, cfg["lr"], BETAS)
    return model, opt, torch.optim.lr_scheduler.LambdaLR(opt, schedule), torch.from_numpy


def train_step(framework, model, opt, scheduler, x, y):
    _, loss = model(x, y)
    opt.zero_grad()
    loss.backward()
    if framework == "minigrad":
        from minigrad.nn.utils import clip_grad_norm_
    else:
        from torch.nn.utils import clip_grad_norm_
    clip_grad_norm_(model.parameters(), CLIP)
    opt.step()
    scheduler.step()
    return loss.item()


def val_loss(framework, model, to_tensor, val, cfg, seed=1):
    if framework == "minigrad":
        import minigrad
        grad_off = minigrad.no_grad()
    else:
        import torch
        grad_off = torch.no_grad()
    from minigrad.examples.gpt import get_batch
    rng, losses = np.random.default_rng(seed), []
    with grad_off:
        for _ in range(EVAL_BATCHES):
            x, y = get_batch(val, cfg["batch_size"], cfg["block_size"], rng)
            losses.append(model(to_tensor(x), to_tensor(y))[1].item())
    return float(np.mean(losses))


def load_data():
    from minigrad.data.shakespeare import shakespeare_chars
    return shakespeare_chars()


# ---------------------------------------------------------------------------------------
# (a) accuracy, in this process

def accuracy(cfg, frameworks, threads, seed=0):
    from minigrad.examples.gpt import get_batch
    data = load_data()
    rows = {}
    for framework in frameworks:
        limits = _limit_threads(framework, threads)
        model, opt, scheduler, to_tensor = build(framework, cfg, len(data.vocab), seed)
        initial = val_loss(framework, model, to_tensor, data.val, cfg)
        rng, losses = np.random.default_rng(seed), []
        start = time.perf_counter()
        for _ in range(cfg["iters"]):
            x, y = get_batch(data.train, cfg["batch_size"], cfg["block_size"], rng)
            losses.append(train_step(framework, model, opt, scheduler, to_tensor(x),
                                     to_tensor(y)))
        seconds = time.perf_counter() - start
        final = val_loss(framework, model, to_tensor, data.val, cfg)
        rows[framework] = {"initial_val_loss": initial, "val_loss": final,
                           "bits_per_char": final / math.log(2),
                           "first_train_loss": losses[0], "last_train_loss": losses[-1],
                           "train_seconds": seconds}
        del limits
    return rows


# ---------------------------------------------------------------------------------------
# (b), (c): one measurement per fresh worker process

def run_worker(framework, task, cfg, steps, warmup, tokens, threads, seed=0, malloc="keep"):
    """What a worker process measures, as a dict (printed as JSON)."""
    if malloc == "keep":         # glibc keeps freed blocks (both frameworks allocate with it)
        from minigrad_kernels.memory import keep_freed_cpu_memory
        keep_freed_cpu_memory()
    limits = _limit_threads(framework, threads)  # noqa: F841 (kept alive for the run)
    from minigrad.examples.gpt import get_batch
    data = load_data()
    model, opt, scheduler, to_tensor = build(framework, cfg, len(data.vocab), seed)
    if task == "train":
        rng = np.random.default_rng(seed)
        batches = [get_batch(data.train, cfg["batch_size"], cfg["block_size"], rng)
                   for _ in range(1 + warmup + steps)]
        batches = [(to_tensor(x), to_tensor(y)) for x, y in batches]
        start = time.perf_counter()
        train_step(framework, model, opt, scheduler, *batches[0])
        first = time.perf_counter() - start
        for x, y in batches[1:1 + warmup]:
            train_step(framework, model, opt, scheduler, x, y)
        start = time.perf_counter()
        for x, y in batches[1 + warmup:]:
            train_step(framework, model, opt, scheduler, x, y)
        seconds = time.perf_counter() - start
        return {"tokens_per_s": steps * cfg["batch_size"] * cfg["block_size"] / seconds,
                "first_step_s": first, "step_s": seconds / steps,
                "gemm_s": gemm_seconds(framework, cfg, len(data.vocab))}
    model.eval()
    if framework == "minigrad":
        import minigrad
        manual_seed, prompt = minigrad.manual_seed, minigrad.tensor([[0]])
    else:
        import torch
        manual_seed, prompt = torch.manual_seed, torch.zeros((1, 1), dtype=torch.int64)
    model.generate(prompt, 4, use_cache=True)          # warm-up (first calls, compilation)
    model.generate(prompt, 4, use_cache=False)
    out = {}
    for n in tokens:
        for use_cache in (True, False):
            best = math.inf                  # the best of 3: other processes add only delay
            for _ in range(3):
                manual_seed(seed)
                start = time.perf_counter()
                model.generate(prompt, n, top_k=20, use_cache=use_cache)
                best = min(best, time.perf_counter() - start)
            out[f"{n}_{'cache' if use_cache else 'nocache'}"] = n / best
    return out


def step_gemms(cfg, vocab_size):
    """(M, K, N) of every matrix product of one training step: per Linear layer y = x Wᵀ,
    dx = dy W and dW = dyᵀ x, over the batch's B·T rows (the tied lm_head included)."""
    rows, c = cfg["batch_size"] * cfg["block_size"], cfg["n_embd"]
    layers = [(c, 3 * c), (c, c), (c, 4 * c), (4 * c, c)] * cfg["n_layer"] + [(c, vocab_size)]
    return [shape for fan_in, fan_out in layers
            for shape in ((rows, fan_in, fan_out), (rows, fan_out, fan_in),
                          (fan_out, rows, fan_in))]


def gemm_seconds(framework, cfg, vocab_size, repeats=20):
    """The best time of the step's matrix products alone (``step_gemms``), float32, with
    the framework's own GEMM (minigrad's matmul kernel on NumPy arrays; ``torch.mm``): the
    part of a step that no engine work can shorten on this machine."""
    rng = np.random.default_rng(0)
    pairs = [(rng.standard_normal((m, k), dtype=np.float32),
              rng.standard_normal((k, n), dtype=np.float32))
             for m, k, n in step_gemms(cfg, vocab_size)]
    if framework == "pytorch":
        import torch
        mm, pairs = torch.mm, [(torch.from_numpy(a), torch.from_numpy(b)) for a, b in pairs]
    else:
        from minigrad import backend
        mm = backend.kernel("matmul", "cpu")
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        for a, b in pairs:
            mm(a, b)
        best = min(best, time.perf_counter() - start)
    return best


def measure_isolated(config, frameworks, task, args):
    """{framework: [figures of each repeat]}, each repeat of each framework in a fresh
    process, alternating."""
    figures = {f: [] for f in frameworks}
    for _ in range(args.repeats):
        for framework in frameworks:
            cmd = [sys.executable, "-m", "benchmarks.gpt_vs_pytorch", "--worker", framework,
                   "--task", task, "--config", config, "--steps", str(args.steps),
                   "--warmup", str(args.warmup), "--threads", str(args.threads),
                   "--tokens", args.tokens, "--iters", str(args.iters),
                   "--malloc", args.malloc]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=_REPO)
            if done.returncode != 0:
                raise RuntimeError(f"{framework} {task} worker failed:\n{done.stderr[-2000:]}")
            figures[framework].append(json.loads(done.stdout.strip().splitlines()[-1]))
    return figures


def _median(rows, key):
    return statistics.median(r[key] for r in rows)


# ---------------------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", choices=sorted(CONFIGS), default="full")
    parser.add_argument("--quick", action="store_true",
                        help="the quick config, 5 iterations, 2 steps, 1 repeat, 8/24 "
                             "tokens: a smoke run")
    parser.add_argument("--iters", type=int, default=None,
                        help="training iterations for (a) (default 500; quick 5)")
    parser.add_argument("--steps", type=int, default=20, help="timed steps for (b)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tokens", default="64,256", help="new tokens for (c)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--malloc", choices=["keep", "default"], default="keep",
                        help="keep: glibc keeps freed memory (minigrad.backend."
                             "keep_freed_cpu_memory) in both frameworks' workers, as "
                             "docs/examples/gpt_chars.py trains; default: glibc's own")
    parser.add_argument("--skip", default="", help="comma list of accuracy,train,sample")
    parser.add_argument("--out", default=None)
    parser.add_argument("--unset-openblas-env", action="store_true",
                        help="re-run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (for "
                             "this command and its workers only)")
    parser.add_argument("--worker", choices=["minigrad", "pytorch"], help=argparse.SUPPRESS)
    parser.add_argument("--task", choices=["train", "sample"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.unset_openblas_env and not args.worker:
        from .machine import reexec_without_openblas_env
        reexec_without_openblas_env("benchmarks.gpt_vs_pytorch",
                                    argv if argv is not None else sys.argv[1:])
    if args.quick:
        args.config, args.steps, args.warmup, args.repeats = "quick", 2, 1, 1
        args.tokens = "8,24" if args.tokens == "64,256" else args.tokens
        args.iters = args.iters or 5
    args.iters = args.iters or 500
    cfg = dict(CONFIGS[args.config], iters=args.iters)
    tokens = [int(t) for t in args.tokens.split(",") if t]

    if args.worker:
        row = run_worker(args.worker, args.task, cfg, args.steps, args.warmup, tokens,
                         args.threads, malloc=args.malloc)
        print(json.dumps(row))
        return row

    frameworks = ["minigrad"] + (["pytorch"] if torch_available() else [])
    skip = set(filter(None, args.skip.split(",")))
    result = {"config": {**cfg, "name": args.config}, "threads": args.threads,
              "malloc": args.malloc,
              "frameworks": frameworks, "python": platform.python_version(),
              "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                          **openblas_env()}}
    if torch_available():
        import torch
        result["torch_version"] = torch.__version__
    if "accuracy" not in skip:
        if args.malloc == "keep":
            from minigrad_kernels.memory import keep_freed_cpu_memory
            keep_freed_cpu_memory()
        result["accuracy"] = accuracy(cfg, frameworks, args.threads)
    if "train" not in skip:
        runs = measure_isolated(args.config, frameworks, "train", args)
        result["train"] = {f: {"tokens_per_s": _median(r, "tokens_per_s"),
                               "repeats": [x["tokens_per_s"] for x in r],
                               "step_s": _median(r, "step_s"), "gemm_s": _median(r, "gemm_s"),
                               "first_step_s": r[0]["first_step_s"]} for f, r in runs.items()}
    if "sample" not in skip:
        runs = measure_isolated(args.config, frameworks, "sample", args)
        result["sample"] = {f: {k: statistics.median(x[k] for x in r) for k in r[0]}
                            for f, r in runs.items()}
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)
    print_tables(result, tokens)
    return result


def print_tables(result, tokens):
    cfg, frameworks = result["config"], result["frameworks"]
    print(f"\nGPT {cfg['name']}: {cfg['n_layer']} layers, {cfg['n_head']} heads, "
          f"{cfg['n_embd']} wide, block {cfg['block_size']}, batch {cfg['batch_size']}; "
          f"{result['threads']} threads each (torch.set_num_threads / threadpoolctl); "
          f"glibc malloc: {result.get('malloc', 'default')} (both)")
    blas = result["machine"]
    if "OPENBLAS_CORETYPE" in blas:
        print(f"OPENBLAS_CORETYPE={blas['OPENBLAS_CORETYPE']} "
              f"OPENBLAS_L2_SIZE={blas['OPENBLAS_L2_SIZE']}"
              + (" (unset by --unset-openblas-env)" if blas["openblas_env_unset_by_harness"]
                 else ""))
    if "accuracy" in result:
        print(f"\n(a) validation loss after {cfg['iters']} iterations, same init, batches "
              f"and recipe ({EVAL_BATCHES} validation batches)")
        print(f"{'framework':<10} {'initial':>8} {'val loss':>9} {'bits/char':>10} "
              f"{'train s':>8}")
        for f in frameworks:
            r = result["accuracy"][f]
            print(f"{f:<10} {r['initial_val_loss']:>8.4f} {r['val_loss']:>9.4f} "
                  f"{r['bits_per_char']:>10.4f} {r['train_seconds']:>8.1f}")
    if "train" in result:
        print("\n(b) training tokens/s (median of fresh-process repeats)")
        row = "  ".join(f"{f} {result['train'][f]['tokens_per_s']:>9,.0f}" for f in frameworks)
        rates = {f: r["tokens_per_s"] for f, r in result["train"].items()}
        ratio = (f"  ratio minigrad/pytorch {rates['minigrad'] / rates['pytorch']:.2f}"
                 if "pytorch" in rates else "")
        print(row + ratio)
        for f in frameworks:
            r = result["train"][f]
            print(f"{f:<10} step {r['step_s'] * 1e3:6.1f} ms, of which the matrix products "
                  f"alone take {r['gemm_s'] * 1e3:5.1f} ms (timed apart, best of 20)")
    if "sample" in result:
        print("\n(c) sampling tokens/s (batch 1, top_k 20)")
        print(f"{'framework':<10} " + " ".join(f"{f'{n} cache':>11} {f'{n} no cache':>12}"
                                                for n in tokens))
        for f in frameworks:
            r = result["sample"][f]
            print(f"{f:<10} " + " ".join(f"{r[f'{n}_cache']:>11,.0f} {r[f'{n}_nocache']:>12,.0f}"
                                         for n in tokens))


if __name__ == "__main__":
    main()
