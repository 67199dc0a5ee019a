# A tiny Transformer encoder that classifies whether a sequence of tokens is sorted.
import numpy as np
import torch
import torch.nn as nn


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(10, 16)
        self.pos = nn.Parameter(torch.zeros(1, 6, 16))
        layer = nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.0,
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2)
        self.head = nn.Linear(16, 2)

    def forward(self, x):
        h = self.encoder(self.embed(x) + self.pos)
        return self.head(h.mean(dim=1))


rng = np.random.default_rng(10)
seqs = rng.integers(0, 10, (128, 6))
seqs[::2] = np.sort(seqs[::2], axis=1)
labels = np.all(np.diff(seqs, axis=1) >= 0, axis=1).astype(np.int64)
x, y = torch.tensor(seqs), torch.tensor(labels)
model = Classifier()
init = np.random.default_rng(11)
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.tensor(init.normal(0, 0.1, tuple(p.shape)), dtype=torch.float32))
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
for step in range(30):
    loss = nn.functional.cross_entropy(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 10 == 0:
        print(f"step {step} loss {loss.item():.6f}")
