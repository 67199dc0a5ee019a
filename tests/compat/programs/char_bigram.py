# A character-level bigram model: counts, then the same model as a one-layer network trained
# by gradient descent, then names sampled with a Generator and multinomial.
import numpy as np
import torch
import torch.nn.functional as F

words = ["anna", "bob", "carla", "dina", "emma", "fred", "gina", "hana", "ida", "jonas",
         "karl", "lena", "mona", "nina", "otto", "paula", "rosa", "sara", "tina", "uma"]
chars = sorted(set("".join(words)))
stoi = {c: i + 1 for i, c in enumerate(chars)}
stoi["."] = 0
itos = {i: c for c, i in stoi.items()}
n = len(stoi)

counts = torch.zeros((n, n), dtype=torch.int32)
xs, ys = [], []
for w in words:
    seq = ["."] + list(w) + ["."]
    for a, b in zip(seq, seq[1:]):
        counts[stoi[a], stoi[b]] += 1
        xs.append(stoi[a])
        ys.append(stoi[b])
probs = (counts + 1).float()
probs /= probs.sum(1, keepdim=True)
xs, ys = torch.tensor(xs), torch.tensor(ys)
nll = -probs[xs, ys].log().mean()
print(f"count model nll {nll.item():.6f}")

W = torch.tensor(np.random.default_rng(7).normal(0, 1, (n, n)), dtype=torch.float32,
                 requires_grad=True)
xenc = F.one_hot(xs, num_classes=n).float()
for step in range(100):
    logits = xenc @ W
    counts_hat = logits.exp()
    p = counts_hat / counts_hat.sum(1, keepdims=True)
    loss = -p[torch.arange(len(ys)), ys].log().mean() + 0.01 * (W ** 2).mean()
    W.grad = None
    loss.backward()
    W.data += -10 * W.grad
    if step % 25 == 0:
        print(f"step {step} loss {loss.item():.6f}")

g = torch.Generator().manual_seed(2147483647)
names = []
for _ in range(5):
    out, ix = [], 0
    while True:
        row = F.softmax(W[ix].detach(), dim=0)
        ix = torch.multinomial(row, num_samples=1, replacement=True, generator=g).item()
        if ix == 0 or len(out) > 12:
            break
        out.append(itos[ix])
    names.append("".join(out))
print("sampled", len(names), "names")
