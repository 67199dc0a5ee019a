# A small CNN on synthetic images, trained with Adadelta and a StepLR schedule.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, 1)
        self.conv2 = nn.Conv2d(4, 8, 3, 1)
        self.fc = nn.Linear(8 * 2 * 2, 2)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return F.log_softmax(self.fc(x), dim=1)


rng = np.random.default_rng(5)
images = rng.normal(0, 1, (64, 1, 8, 8))
labels = (images[:, 0, :4].sum(axis=(1, 2)) > images[:, 0, 4:].sum(axis=(1, 2))).astype(np.int64)
x, y = torch.tensor(images, dtype=torch.float32), torch.tensor(labels)

model = ConvNet()
weights = np.random.default_rng(6)
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.tensor(weights.uniform(-0.2, 0.2, tuple(p.shape)), dtype=torch.float32))
optimizer = optim.Adadelta(model.parameters(), lr=1.0)
scheduler = StepLR(optimizer, step_size=3, gamma=0.7)
for epoch in range(8):
    model.train()
    for i in range(0, 64, 16):
        optimizer.zero_grad()
        loss = F.nll_loss(model(x[i:i + 16]), y[i:i + 16])
        loss.backward()
        optimizer.step()
    scheduler.step()
    model.eval()
    with torch.no_grad():
        test_loss = F.nll_loss(model(x), y, reduction="sum").item() / 64
        accuracy = (model(x).argmax(dim=1, keepdim=True) == y.view(-1, 1)).float().mean().item()
    print(f"epoch {epoch} lr {scheduler.get_last_lr()[0]:.4f} loss {test_loss:.6f} "
          f"acc {accuracy:.4f}")
