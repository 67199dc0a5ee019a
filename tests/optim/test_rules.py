"""Each optimizer's trajectory against an independent NumPy float64 reference of its rule.

The references below are written from the update rules as a textbook states them (β·m +
(1 − β)·g, m̂ = m/(1 − βᵗ), ...), one parameter at a time, not from minigrad's code: they share
no helper with it.  hypothesis draws the options, shapes (0-d included), gradient sizes and
which steps a parameter gets no gradient.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import minigrad
from minigrad import optim

# -- references: (θ₀, [g₁, g₂, ...] with None for "no gradient this step", options) -> [θ₁, ...]


def ref_sgd(theta, grads, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
            nesterov=False, maximize=False):
    theta, buf, out = theta.copy(), None, []
    for g in grads:
        if g is not None:
            g = -g if maximize else g
            g = g + weight_decay * theta
            if momentum != 0:
                buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
                g = g + momentum * buf if nesterov else buf
            theta = theta - lr * g
        out.append(theta)
    return out


def ref_adam(theta, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
             amsgrad=False, maximize=False, decoupled_weight_decay=False):
    beta1, beta2 = betas
    theta, out = theta.copy(), []
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    v_max = np.zeros_like(theta)
    t = 0
    for g in grads:
        if g is not None:
            t += 1
            g = -g if maximize else g
            if decoupled_weight_decay:
                theta = theta - lr * weight_decay * theta
            else:
                g = g + weight_decay * theta
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g ** 2
            v_max = np.maximum(v_max, v)   # PyTorch keeps the max of v, not of v̂
            m_hat = m / (1 - beta1 ** t)
            v_hat = (v_max if amsgrad else v) / (1 - beta2 ** t)
            theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(theta)
    return out


def ref_adamw(theta, grads, weight_decay=1e-2, **options):
    return ref_adam(theta, grads, weight_decay=weight_decay, decoupled_weight_decay=True,
                    **options)


def ref_rmsprop(theta, grads, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                centered=False, maximize=False):
    theta, out = theta.copy(), []
    v = np.zeros_like(theta)
    g_mean = np.zeros_like(theta)
    buf = np.zeros_like(theta)
    for g in grads:
        if g is not None:
            g = -g if maximize else g
            g = g + weight_decay * theta
            v = alpha * v + (1 - alpha) * g ** 2
            if centered:
                g_mean = alpha * g_mean + (1 - alpha) * g
                denom = np.sqrt(v - g_mean ** 2) + eps
            else:
                denom = np.sqrt(v) + eps
            if momentum > 0:
                buf = momentum * buf + g / denom
                theta = theta - lr * buf
            else:
                theta = theta - lr * g / denom
        out.append(theta)
    return out


def ref_adagrad(theta, grads, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    theta, out = theta.copy(), []
    s = np.full_like(theta, initial_accumulator_value)
    t = 0
    for g in grads:
        if g is not None:
            t += 1
            g = -g if maximize else g
            g = g + weight_decay * theta
            s = s + g ** 2
            theta = theta - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s) + eps)
        out.append(theta)
    return out


def ref_adadelta(theta, grads, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
    """Zeiler (2012), with PyTorch's lr factor and ε inside both square roots."""
    theta, out = theta.copy(), []
    eg2 = np.zeros_like(theta)        # E[g²]
    edx2 = np.zeros_like(theta)       # E[Δx²]
    for g in grads:
        if g is not None:
            g = -g if maximize else g
            g = g + weight_decay * theta
            eg2 = rho * eg2 + (1 - rho) * g ** 2
            dx = np.sqrt(edx2 + eps) / np.sqrt(eg2 + eps) * g
            edx2 = rho * edx2 + (1 - rho) * dx ** 2
            theta = theta - lr * dx
        out.append(theta)
    return out


REFERENCES = {"SGD": ref_sgd, "Adam": ref_adam, "AdamW": ref_adamw, "RMSprop": ref_rmsprop,
              "Adagrad": ref_adagrad, "Adadelta": ref_adadelta}


def run_minigrad(name, options, thetas, grad_seqs, dtype):
    """Run minigrad's optimizer over several parameters at once; trajectories per param."""
    params = [minigrad.tensor(np.asarray(t, dtype=dtype), requires_grad=True) for t in thetas]
    opt = getattr(optim, name)(params, **options)
    out = [[] for _ in params]
    for step in range(len(grad_seqs[0])):
        for p, seq in zip(params, grad_seqs):
            g = seq[step]
            p.grad = None if g is None else minigrad.tensor(np.asarray(g, dtype=dtype))
        opt.step()
        for traj, p in zip(out, params):
            traj.append(p.numpy())
    return out, params, opt


# -- option strategies ------------------------------------------------------------------------
lrs = st.sampled_from([1e-3, 0.01, 0.1, 0.5])
small = st.sampled_from([0.0, 0.01, 0.1])


@st.composite
def sgd_options(draw):
    momentum = draw(st.sampled_from([0.0, 0.5, 0.9]))
    nesterov = momentum > 0 and draw(st.booleans())
    return dict(lr=draw(lrs), momentum=momentum, nesterov=nesterov,
                dampening=0.0 if nesterov else draw(st.sampled_from([0.0, 0.1, 0.5])),
                weight_decay=draw(small), maximize=draw(st.booleans()))


@st.composite
def adam_options(draw):
    return dict(lr=draw(lrs), betas=(draw(st.sampled_from([0.0, 0.3, 0.9])),
                                     draw(st.sampled_from([0.5, 0.9, 0.999]))),
                eps=draw(st.sampled_from([1e-8, 1e-3, 0.1])), weight_decay=draw(small),
                amsgrad=draw(st.booleans()), maximize=draw(st.booleans()))


@st.composite
def rmsprop_options(draw):
    return dict(lr=draw(lrs), alpha=draw(st.sampled_from([0.5, 0.9, 0.99])),
                eps=draw(st.sampled_from([1e-8, 1e-3, 0.1])), weight_decay=draw(small),
                momentum=draw(st.sampled_from([0.0, 0.5, 0.9])), centered=draw(st.booleans()),
                maximize=draw(st.booleans()))


@st.composite
def adagrad_options(draw):
    return dict(lr=draw(lrs), lr_decay=draw(small), weight_decay=draw(small),
                initial_accumulator_value=draw(st.sampled_from([0.0, 0.1, 1.0])),
                eps=draw(st.sampled_from([1e-10, 1e-3, 0.1])), maximize=draw(st.booleans()))


@st.composite
def adadelta_options(draw):
    return dict(lr=draw(st.sampled_from([0.1, 0.5, 1.0])),
                rho=draw(st.sampled_from([0.0, 0.5, 0.9, 0.99])),
                eps=draw(st.sampled_from([1e-6, 1e-3, 0.1])), weight_decay=draw(small),
                maximize=draw(st.booleans()))


OPTION_STRATEGIES = {"SGD": sgd_options(), "Adam": adam_options(), "AdamW": adam_options(),
                     "RMSprop": rmsprop_options(), "Adagrad": adagrad_options(),
                     "Adadelta": adadelta_options()}


@st.composite
def problems(draw):
    """Two parameters (shapes may be 0-d), their gradients, some steps without one."""
    shapes = [draw(array_shapes(min_dims=0, max_dims=3, max_side=4)) for _ in range(2)]
    n_steps = draw(st.integers(1, 7))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([1.0, 1e-2]))
    thetas = [rng.standard_normal(s) for s in shapes]
    grads = [[None if rng.random() < 0.2 else scale * rng.uniform(0.2, 3) *
              rng.standard_normal(s) for _ in range(n_steps)] for s in shapes]
    return thetas, grads


@pytest.mark.parametrize("name", list(REFERENCES))
@given(data=st.data())
def test_float64_trajectory_matches_the_reference(name, data):
    options = data.draw(OPTION_STRATEGIES[name], label="options")
    thetas, grads = data.draw(problems(), label="problem")
    got, _, _ = run_minigrad(name, options, thetas, grads, np.float64)
    for i, (theta, seq) in enumerate(zip(thetas, grads)):
        want = REFERENCES[name](theta, seq, **options)
        for step, (a, b) in enumerate(zip(got[i], want)):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12,
                                       err_msg=f"{name} {options}: param {i}, step {step + 1}")


FLOAT32_CASES = [
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.01)),
    ("AdamW", dict(lr=0.05, betas=(0.8, 0.99))),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
    ("Adadelta", dict(lr=1.0, rho=0.9, weight_decay=0.01)),
]


@pytest.mark.parametrize("name, options", FLOAT32_CASES)
def test_float32_stays_float32_and_follows_the_reference(name, options):
    rng = np.random.default_rng(0)
    thetas = [rng.standard_normal((3, 4)), rng.standard_normal(())]
    grads = [[rng.standard_normal(t.shape) for _ in range(8)] for t in thetas]
    got, params, opt = run_minigrad(name, options, thetas, grads, np.float32)
    for i, (theta, seq) in enumerate(zip(thetas, grads)):
        want = REFERENCES[name](theta.astype(np.float32).astype(np.float64),
                                [g.astype(np.float32).astype(np.float64) for g in seq],
                                **options)
        np.testing.assert_allclose(got[i][-1], want[-1], rtol=1e-4, atol=1e-5)
    for p in params:
        assert p.dtype == np.float32
        for key, value in opt.state[p].items():
            if key == "step":
                assert type(value) is int and value == 8
            else:
                assert value.dtype == np.float32 and value.shape == p.shape, key


def test_a_wrong_rule_is_caught():
    """The comparison can fail: Adam with ε inside the square root is told apart."""
    rng = np.random.default_rng(1)
    theta = rng.standard_normal(5)
    grads = [1e-2 * rng.standard_normal(5) for _ in range(4)]
    options = dict(lr=0.1, eps=1e-3)
    got, _, _ = run_minigrad("Adam", options, [theta], [grads], np.float64)

    def eps_inside_sqrt(theta, grads, lr, eps):
        m, v, out = 0.0, 0.0, []
        for t, g in enumerate(grads, 1):
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g ** 2
            theta = theta - lr * (m / (1 - 0.9 ** t)) / np.sqrt(v / (1 - 0.999 ** t) + eps)
            out.append(theta)
        return out

    np.testing.assert_allclose(got[0][-1], ref_adam(theta, grads, **options)[-1], rtol=1e-9)
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(got[0][-1], eps_inside_sqrt(theta, grads, **options)[-1],
                                   rtol=1e-3)
