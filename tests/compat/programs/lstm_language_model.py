# A character LSTM language model: Embedding, LSTM, Linear; Adam with gradient clipping.
import numpy as np
import torch
import torch.nn as nn

text = "the quick brown fox jumps over the lazy dog and the dog sleeps " * 4
vocab = sorted(set(text))
ids = torch.tensor([vocab.index(c) for c in text])


class CharLM(nn.Module):
    def __init__(self, vocab_size, emb=8, hidden=16):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, emb)
        self.lstm = nn.LSTM(emb, hidden, num_layers=2, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, x, state=None):
        out, state = self.lstm(self.embed(x), state)
        return self.head(out), state


model = CharLM(len(vocab))
rng = np.random.default_rng(8)
with torch.no_grad():
    for _, p in model.named_parameters():
        p.copy_(torch.tensor(rng.uniform(-0.2, 0.2, tuple(p.shape)), dtype=torch.float32))
optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
criterion = nn.CrossEntropyLoss()
seq = 16
starts = np.random.default_rng(9).integers(0, len(ids) - seq - 1, (30, 8))
for step, batch in enumerate(starts):
    x = torch.stack([ids[s:s + seq] for s in batch])
    y = torch.stack([ids[s + 1:s + seq + 1] for s in batch])
    logits, _ = model(x)
    loss = criterion(logits.reshape(-1, len(vocab)), y.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    if step % 5 == 0:
        print(f"step {step} loss {loss.item():.6f}")
