# Linear regression trained by hand: forward, backward, then a manual SGD step through .data.
import numpy as np
import torch

rng = np.random.default_rng(0)
x_np = rng.uniform(-1, 1, (64, 3))
y_np = x_np @ np.array([[2.0], [-3.0], [0.5]]) + 0.7 + 0.05 * rng.standard_normal((64, 1))
x = torch.tensor(x_np, dtype=torch.float32)
y = torch.tensor(y_np, dtype=torch.float32)

w = torch.zeros(3, 1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
lr = 0.2
for step in range(60):
    pred = x.mm(w) + b
    loss = ((pred - y) ** 2).mean()
    loss.backward()
    w.data -= lr * w.grad
    b.data.add_(b.grad, alpha=-lr)
    w.grad.zero_()
    b.grad.data.zero_()
    if step % 10 == 0:
        print(f"step {step} loss {loss.item():.6f}")
print("w", [round(v, 4) for v in w.detach().flatten().tolist()], "b", round(b.item(), 4))
