"""seed001's hand-worked forward/backward example (§4.4), recomputed with minigrad — corrected.

    python docs/examples/seed001_worked_example.py [--lr 0.001] [--quick]

The document (seed001, §4.4 "举例说明") takes W = [[1, 2], [3, 4]], b = [5, 6], the input
x = (x1, x2) = (2, 3), ReLU activations and a target of 1, and writes:

    z1 = max(0, 1·2 + 3·3 + 5) = max(0, 14) = 14
    z2 = max(0, 2·2 + 4·3 + 6) = max(0, 16) = 16
    y  = max(0, 1·14 + 2·16 + 6) = max(0, 38) = 38
    δ1 = (ŷ − y)·σ'(z1) = (38 − 1)·max(0, 14 − 14) = 37·0 = 0     (δ2 likewise = 0)
    δ1 = Σk wk1 δk σ'(z1) = 1·0 + 2·0 = 0,  δ2 = 3·0 + 4·0 = 0
    W11 = 1 − α·0 = 1,  W12 = 2 − α·0 = 2,  W21 = 3 − α·0 = 3

and so concludes that nothing changes.  What is wrong in it:

1. Arithmetic: 1·2 + 3·3 + 5 = 2 + 9 + 5 = 16, not 14; 2·2 + 4·3 + 6 = 4 + 12 + 6 = 22,
   not 16; 1·14 + 2·16 + 6 = 14 + 32 + 6 = 52, not 38.  Not one of the three forward values
   follows from the terms written next to it.
2. W's rows and columns are mixed: the forward pass takes neuron 1's weights from W's first
   COLUMN (1, 3) (z = Wᵀx + b), but the hidden-error step takes w_k1 = 1, 2 (W's first ROW)
   for neuron 1 and 3, 4 (the second row) for neuron 2.  With the column reading it would be
   w_11, w_21 = 1, 3 and w_12, w_22 = 2, 4.
3. The derivative of ReLU is wrong: ReLU'(z) = 1 for z > 0 (0 for z < 0), not
   "max(0, z − z)", which is 0 for every z.  Both hidden units are active (z > 0), so
   ReLU' = 1 and every δ below is nonzero.  The claim "all gradients are 0, W does not
   change" is false.
4. The output layer has no parameters of its own: it reuses (1, 2) (W's first row) as its
   weights and 6 (b2) as its bias, and wraps the output in a ReLU.  Its δ, (ŷ − y)·σ'(·),
   should use the derivative at the OUTPUT pre-activation; the document multiplies by
   σ'(z1) and σ'(z2), the hidden units', and so gets two "output" errors for one output.
5. Notation: y is the network output (38) in the forward pass and the target (1) in
   (ŷ − y) = (38 − 1); δ1, δ2 name both the output and the hidden errors; W22's update is
   left out.  (ŷ − y) is dL/dŷ for the loss L = ½(ŷ − y)², which is the loss used here.

The consistent reading computed here (every value is checked by hand below):

    hidden:  z = W x + b         (W's ROWS are the neurons, as in y = Wx + b of §4.1-4.3)
             h = ReLU(z)
    output:  u = v·h + c,  ŷ = ReLU(u)   with v = (1, 2), c = 6: the document's output
             formula "1·z1 + 2·z2 + 6", but v and c are separate parameters (not tied to W
             and b), so each gradient has one path
    loss:    L = ½ (ŷ − t)²,  t = 1

(With the column reading z = Wᵀx + b instead, z = (16, 22) and ŷ = 66: still not 14, 16,
38.)  The engine computes the forward values, ``backward()`` gives the gradients (and the
δ's, as the gradients of the pre-activations z and u via ``retain_grad``), the script
asserts they equal the hand values below, checks them against finite differences with
``minigrad.gradcheck`` in float64, and does one SGD step θ ← θ − α·∇θ to show that the
weights DO change.  The same network built from ``nn.Linear`` gives the same gradients.

``main`` returns a dict of the computed values (NumPy arrays).  --quick changes nothing
(the script runs in well under a second); it is accepted like the other scripts' flag.
"""
import argparse

import numpy as np

import minigrad
from minigrad import nn

# -- the hand computation (float64, exact in binary: all values are small integers) ----------
# forward
#   z1 = 1·2 + 2·3 + 5 = 13,  z2 = 3·2 + 4·3 + 6 = 24          h = ReLU(z) = (13, 24)
#   u  = 1·13 + 2·24 + 6 = 67                                   ŷ = ReLU(67) = 67
#   L  = ½ (67 − 1)² = ½ · 66² = 2178
# backward (ReLU'(z) = 1 since every pre-activation is > 0)
#   dL/dŷ = ŷ − t = 66;  δ_out = dL/du = 66 · ReLU'(67) = 66
#   dL/dv = δ_out · h = (66·13, 66·24) = (858, 1584);  dL/dc = δ_out = 66
#   dL/dh = v · δ_out = (66, 132);  δ_hidden = dL/dz = (66, 132) ⊙ ReLU'(13, 24) = (66, 132)
#   dL/dW = δ_hidden ⊗ x = [[66·2, 66·3], [132·2, 132·3]] = [[132, 198], [264, 396]]
#   dL/db = δ_hidden = (66, 132)
#   dL/dx = Wᵀ δ_hidden = (1·66 + 3·132, 2·66 + 4·132) = (462, 660)
HAND = {
    "z": [13.0, 24.0], "h": [13.0, 24.0], "u": 67.0, "y_hat": 67.0, "loss": 2178.0,
    "delta_out": 66.0, "delta_hidden": [66.0, 132.0],
    "grad_W": [[132.0, 198.0], [264.0, 396.0]], "grad_b": [66.0, 132.0],
    "grad_v": [858.0, 1584.0], "grad_c": 66.0, "grad_x": [462.0, 660.0],
}
DOCUMENT_ERRORS = [
    "z1: 1·2 + 3·3 + 5 = 16, not 14 (and its terms take W's first COLUMN (1, 3));",
    "z2: 2·2 + 4·3 + 6 = 22, not 16 (W's second column (2, 4));",
    "y: 1·14 + 2·16 + 6 = 52, not 38 (and the output layer reuses W's row (1, 2) and b2 = 6);",
    "ReLU'(z) = 1 for z > 0, not max(0, z − z) = 0: both δ's are (38 − 1)·1, not 0,",
    "  and they use the hidden units' σ'(z1), σ'(z2) instead of the output's derivative;",
    "hidden δ: w_k1 = 1, 2 and w_k2 = 3, 4 are W's ROWS, though the forward pass used its",
    "  columns (1, 3), (2, 4);",
    "so 'every gradient is 0 and W does not change' is false: with the consistent reading",
    "  dL/dW = [[132, 198], [264, 396]] and one SGD step changes every weight.",
]
DOCUMENT = {"z": [14.0, 16.0], "y_hat": 38.0, "delta_out": [0.0, 0.0],
            "delta_hidden": [0.0, 0.0], "grad_W": [[0.0, 0.0], [0.0, 0.0]]}


def parameters():
    """The example's leaves, float64 with requires_grad: W, b, v, c, x, and the target t."""
    f64 = dict(dtype=minigrad.float64)
    return (minigrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, **f64),   # W
            minigrad.tensor([5.0, 6.0], requires_grad=True, **f64),                 # b
            minigrad.tensor([1.0, 2.0], requires_grad=True, **f64),                 # v
            minigrad.tensor(6.0, requires_grad=True, **f64),                        # c
            minigrad.tensor([2.0, 3.0], requires_grad=True, **f64),                 # x
            minigrad.tensor(1.0, **f64))                                            # t


def forward(W, b, v, c, x, t):
    """(z, h, u, ŷ, L) of the corrected reading: h = ReLU(Wx + b), ŷ = ReLU(v·h + c)."""
    z = W @ x + b
    h = z.relu()
    u = (v * h).sum() + c
    y_hat = u.relu()
    loss = 0.5 * (y_hat - t) ** 2
    return z, h, u, y_hat, loss


def with_nn_layers(W, b, v, c, x, t):
    """The same network from nn.Linear layers (weights copied in); returns its gradients."""
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1), nn.ReLU()).double()
    with minigrad.no_grad():
        model[0].weight.copy_(W.detach())
        model[0].bias.copy_(b.detach())
        model[2].weight.copy_(v.detach().reshape(1, 2))
        model[2].bias.copy_(c.detach().reshape(1))
    y_hat = model(x.detach().reshape(1, 2))
    loss = 0.5 * ((y_hat - t) ** 2).sum()
    loss.backward()
    return (model[0].weight.grad.numpy(), model[0].bias.grad.numpy(),
            model[2].weight.grad.numpy().reshape(2), float(model[2].bias.grad.numpy()[0]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lr", type=float, default=0.001, help="α of the SGD step shown")
    parser.add_argument("--quick", action="store_true", help="no effect (already instant)")
    args = parser.parse_args(argv)

    W, b, v, c, x, t = parameters()
    z, h, u, y_hat, loss = forward(W, b, v, c, x, t)
    z.retain_grad()
    u.retain_grad()
    loss.backward()

    got = {
        "z": z.numpy(), "h": h.numpy(), "u": float(u.item()), "y_hat": float(y_hat.item()),
        "loss": float(loss.item()), "delta_out": float(u.grad.item()),
        "delta_hidden": z.grad.numpy(), "grad_W": W.grad.numpy(), "grad_b": b.grad.numpy(),
        "grad_v": v.grad.numpy(), "grad_c": float(c.grad.item()), "grad_x": x.grad.numpy(),
    }
    fmt = lambda a: np.array2string(np.asarray(a), separator=", ")

    print("Network (corrected reading of seed001 §4.4):  z = W x + b,  h = ReLU(z),")
    print("  ŷ = ReLU(v·h + c),  L = ½(ŷ − t)²")
    print("  W = [[1, 2], [3, 4]] (rows = neurons), b = [5, 6], v = [1, 2], c = 6, x = [2, 3], "
          "t = 1\n")
    print("forward                       engine          document")
    print(f"  z = W x + b                 {fmt(got['z']):<15} {fmt(DOCUMENT['z'])}"
          "   (1·2+2·3+5 = 13, 3·2+4·3+6 = 24)")
    print(f"  h = ReLU(z)                 {fmt(got['h'])}")
    print(f"  u = v·h + c                 {got['u']:<15g} {DOCUMENT['y_hat']:g}"
          "            (1·13+2·24+6 = 67)")
    print(f"  ŷ = ReLU(u)                 {got['y_hat']:g}")
    print(f"  L = ½(ŷ − t)²               {got['loss']:g}            (½·66² = 2178)\n")
    print("backward (loss.backward())    engine          document")
    print(f"  δ_out = dL/du               {got['delta_out']:<15g} {fmt(DOCUMENT['delta_out'])}"
          "   ((ŷ−t)·ReLU'(67) = 66·1)")
    print(f"  δ_hidden = dL/dz            {fmt(got['delta_hidden']):<15} "
          f"{fmt(DOCUMENT['delta_hidden'])}   (v·δ_out ⊙ ReLU'(z), ReLU' = 1)")
    print(f"  dL/dW = δ_hidden ⊗ x        {fmt(got['grad_W']).replace(chr(10), '')}"
          "   (document: all 0)")
    print(f"  dL/db = δ_hidden            {fmt(got['grad_b'])}")
    print(f"  dL/dv = δ_out · h           {fmt(got['grad_v'])}")
    print(f"  dL/dc = δ_out               {got['grad_c']:g}")
    print(f"  dL/dx = Wᵀ δ_hidden         {fmt(got['grad_x'])}\n")

    for key, value in HAND.items():            # the engine agrees with the hand computation
        assert np.array_equal(np.asarray(got[key]), np.asarray(value)), (key, got[key], value)
    print("engine == hand computation: every value above is exact")

    leaves = [W.detach().requires_grad_(), b.detach().requires_grad_(),
              v.detach().requires_grad_(), c.detach().requires_grad_(),
              x.detach().requires_grad_()]
    ok = minigrad.gradcheck(lambda *p: forward(*p, t)[-1], leaves)
    got["gradcheck"] = bool(ok)
    print(f"minigrad.gradcheck (float64 finite differences, W b v c x): {ok}")

    nn_grads = with_nn_layers(W, b, v, c, x, t)
    for ours, theirs in zip(nn_grads, (got["grad_W"], got["grad_b"], got["grad_v"],
                                       got["grad_c"])):
        assert np.array_equal(np.asarray(ours), np.asarray(theirs))
    print("nn.Linear/nn.ReLU network: identical gradients")

    opt = minigrad.optim.SGD([W, b, v, c], lr=args.lr)
    opt.step()
    got["W_after_step"] = W.detach().numpy().copy()
    expected = np.array([[1.0, 2.0], [3.0, 4.0]]) - args.lr * np.array(HAND["grad_W"])
    assert np.allclose(got["W_after_step"], expected, rtol=0, atol=1e-12)
    print(f"\none SGD step with α = {args.lr:g}:  W ← W − α·dL/dW = "
          f"{fmt(got['W_after_step']).replace(chr(10), '')}")
    print("  (the document: W11 = 1, W12 = 2, W21 = 3 unchanged, because it took ReLU'(z) = 0)")
    print("\nWhat is wrong in the document's numbers:")
    print("\n".join("  " + line for line in DOCUMENT_ERRORS))
    return got


if __name__ == "__main__":
    main()
