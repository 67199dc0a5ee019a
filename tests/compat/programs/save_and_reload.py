# Train, save the state dicts to a file and to memory, load them into fresh objects, continue.
import io
import os
import tempfile

import numpy as np
import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
rng = np.random.default_rng(12)
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.tensor(rng.uniform(-0.5, 0.5, tuple(p.shape)), dtype=torch.float32))
opt = torch.optim.RMSprop(model.parameters(), lr=0.01)
x = torch.tensor(rng.uniform(-1, 1, (50, 2)), dtype=torch.float32)
y = (x[:, :1] * x[:, 1:]).detach()


def train(steps):
    for _ in range(steps):
        loss = nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item()


print(f"before save loss {train(20):.6f}")
buffer = io.BytesIO()
torch.save(model.state_dict(), buffer)
path = os.path.join(tempfile.mkdtemp(), "opt.pt")
torch.save(opt.state_dict(), path)
buffer.seek(0)
restored = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
restored.load_state_dict(torch.load(buffer, weights_only=True))
same = torch.allclose(restored(x), model(x))
model = restored
opt = torch.optim.RMSprop(model.parameters(), lr=0.01)
opt.load_state_dict(torch.load(path, weights_only=True))
print("same outputs", same)
print(f"after reload loss {train(20):.6f}")
