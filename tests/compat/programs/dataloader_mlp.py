# An MLP classifier trained with a Dataset / DataLoader loop (the batches drawn by a sampler
# of our own, so that both frameworks see them in the same order).
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 16)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


def init_weights(model, seed):
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.tensor(rng.uniform(-0.3, 0.3, tuple(p.shape)), dtype=torch.float32))


rng = np.random.default_rng(2)
centers = rng.normal(0, 2, (3, 4))
labels = rng.integers(0, 3, 300)
points = centers[labels] + rng.normal(0, 0.7, (300, 4))
dataset = TensorDataset(torch.tensor(points, dtype=torch.float32), torch.tensor(labels))
order = np.random.default_rng(3).permutation(300)
batches = [order[i:i + 32].tolist() for i in range(0, 300, 32)]
loader = DataLoader(dataset, batch_sampler=batches)

model = Net()
init_weights(model, 4)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
criterion = nn.CrossEntropyLoss()
for epoch in range(5):
    total, correct, running = 0, 0, 0.0
    for xb, yb in loader:
        optimizer.zero_grad()
        logits = model(xb)
        loss = criterion(logits, yb)
        loss.backward()
        optimizer.step()
        running += loss.item() * len(yb)
        correct += (logits.argmax(dim=1) == yb).sum().item()
        total += len(yb)
    print(f"epoch {epoch} loss {running / total:.6f} acc {correct / total:.4f}")
sample_x, sample_y = dataset[0]
print("first sample", tuple(sample_x.shape), int(sample_y))
