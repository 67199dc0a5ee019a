"""The engine's own cost per op: small tensors, where the arithmetic is negligible.

What a tiny op costs is the framework around it: argument checks, building the graph node,
choosing a kernel, and in backward walking the graph and accumulating gradients.  Each
probe runs the same small computation in minigrad, in PyTorch (when installed) and, where
it has a meaning, in bare NumPy (the floor: the arithmetic alone).  Times are per op.
"""
import numpy as np

SHAPE = (4, 4)
CHAIN = 16          # ops in the chain probe


def probes(minigrad, torch):
    """``{probe: (ops per call, {framework: zero-argument call})}``."""
    rng = np.random.default_rng(0)
    a_np, b_np = rng.standard_normal(SHAPE), rng.standard_normal(SHAPE)
    a_np, b_np = a_np.astype(np.float32), b_np.astype(np.float32)
    m_a = minigrad.tensor(a_np, requires_grad=True)
    m_b = minigrad.tensor(b_np, requires_grad=True)
    m_const = minigrad.tensor(a_np)
    found = {}

    def minigrad_no_grad():
        with minigrad.no_grad():
            return m_a + m_b

    def minigrad_chain():
        y = m_a
        for _ in range(CHAIN):
            y = y.tanh()
        y.sum().backward()
        m_a.grad = None

    def minigrad_backward():
        (m_a * m_b).sum().backward()
        m_a.grad = m_b.grad = None

    found["add in no_grad()"] = (1, {"minigrad": minigrad_no_grad,
                                 "numpy": lambda: np.add(a_np, b_np)})
    found["add, recorded"] = (1, {"minigrad": lambda: m_a + m_b,
                                  "numpy": lambda: np.add(a_np, b_np)})
    found["add, constant"] = (1, {"minigrad": lambda: m_const + m_const,
                                  "numpy": lambda: np.add(a_np, a_np)})
    found["mul+sum+backward"] = (2, {"minigrad": minigrad_backward})
    found[f"{CHAIN} tanh+sum+backward"] = (CHAIN + 1, {"minigrad": minigrad_chain})
    if torch is not None:
        t_a = torch.tensor(a_np, requires_grad=True)
        t_b = torch.tensor(b_np, requires_grad=True)
        t_const = torch.tensor(a_np)

        def torch_no_grad():
            with torch.no_grad():
                return t_a + t_b

        def torch_chain():
            y = t_a
            for _ in range(CHAIN):
                y = y.tanh()
            y.sum().backward()
            t_a.grad = None

        def torch_backward():
            (t_a * t_b).sum().backward()
            t_a.grad = t_b.grad = None

        found["add in no_grad()"][1]["pytorch"] = torch_no_grad
        found["add, recorded"][1]["pytorch"] = lambda: t_a + t_b
        found["add, constant"][1]["pytorch"] = lambda: t_const + t_const
        found["mul+sum+backward"][1]["pytorch"] = torch_backward
        found[f"{CHAIN} tanh+sum+backward"][1]["pytorch"] = torch_chain
    return found
