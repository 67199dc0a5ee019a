# Autograd basics: gradients of scalars, accumulation, no_grad, detach, retain_grad.
import torch

x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = (x ** 2 + 3 * x).sum()
y.backward()
print("dy/dx", x.grad.tolist())
z = torch.sin(x).sum() * 2
z.backward()                            # accumulates into x.grad
print("accumulated", [round(v, 6) for v in x.grad.tolist()])
x.grad.zero_()
h = torch.tanh(x)
h.retain_grad()
(h * h).sum().backward()
print("dh", [round(v, 6) for v in h.grad.tolist()], "dx", [round(v, 6) for v in x.grad.tolist()])
with torch.no_grad():
    w = x * 2
print("no_grad", w.requires_grad, "detach", x.detach().requires_grad, "leaf", x.is_leaf)
a = torch.linspace(0, 1, steps=5, requires_grad=True)
b = torch.cos(a).mean()
b.backward()
print("linspace grad", [round(v, 6) for v in a.grad.tolist()])
m = torch.arange(12, dtype=torch.float32).view(3, 4)
values, indices = m.max(dim=1)
print("max", values.tolist(), indices.tolist(), "argmax", torch.argmax(m).item())
print("stack", torch.stack([m, m]).shape, "cat", torch.cat([m, m], dim=1).shape,
      "permute", m.unsqueeze(0).permute(2, 0, 1).shape)
