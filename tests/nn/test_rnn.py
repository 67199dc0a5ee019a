"""nn.RNN, nn.LSTM and nn.GRU against PyTorch (skipped where it is not installed): a torch
state dict converted to NumPy loads as is, and outputs, final states and the gradients of
every parameter, the input and the initial state agree in float64, for every combination
of layers, directions, layouts, initial states, nonlinearities, biases and projections.
Then what needs no oracle: gradcheck on tiny models, a training run, initialisation,
reprs, the PyTorch extras (flatten_parameters, all_weights) and the errors."""
import time
import warnings

import numpy as np
import pytest

import minigrad
from minigrad import functional as F
from minigrad import nn, optim

try:
    import torch
except ImportError:        # the oracle is optional
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")

IN, H, L, N = 3, 5, 4, 2       # input_size, hidden_size, sequence length, batch

# (name, layer class name, constructor kwargs)
LAYERS = [
    ("RNN-tanh", "RNN", {}),
    ("RNN-relu", "RNN", {"nonlinearity": "relu"}),
    ("LSTM", "LSTM", {}),
    ("GRU", "GRU", {}),
]
# (name, constructor kwargs, batched, whether hx is given)
VARIANTS = [
    ("one_layer", {}, True, False),
    ("two_layers", {"num_layers": 2}, True, False),
    ("bidirectional", {"bidirectional": True}, True, False),
    ("two_layers_bidirectional", {"num_layers": 2, "bidirectional": True}, True, True),
    ("batch_first", {"batch_first": True}, True, False),
    ("batch_first_two_layers_bidirectional_hx",
     {"batch_first": True, "num_layers": 2, "bidirectional": True}, True, True),
    ("hx", {}, True, True),
    ("two_layers_hx", {"num_layers": 2}, True, True),
    ("no_bias", {"bias": False}, True, False),
    ("no_bias_two_layers_bidirectional_hx",
     {"bias": False, "num_layers": 2, "bidirectional": True}, True, True),
    ("unbatched", {}, False, False),
    ("unbatched_two_layers_bidirectional_hx", {"num_layers": 2, "bidirectional": True},
     False, True),
    ("unbatched_batch_first_hx", {"batch_first": True}, False, True),
]
CASES = [pytest.param(cls, {**kw, **extra}, batched, with_hx, id=f"{name}-{variant}")
         for name, cls, kw in LAYERS for variant, extra, batched, with_hx in VARIANTS]
# LSTM's projection (proj_size): h_t is projected to proj_size features
CASES += [pytest.param("LSTM", {"proj_size": 2, **extra}, batched, with_hx,
                       id=f"LSTM-proj-{variant}")
          for variant, extra, batched, with_hx in VARIANTS
          if variant in ("one_layer", "two_layers_bidirectional", "batch_first_two_layers_"
                         "bidirectional_hx", "no_bias", "unbatched_two_layers_bidirectional_hx")]


def _pair(cls, kw, dtype="float64"):
    """The same layer in both frameworks: PyTorch's, and ours loaded from its state dict."""
    theirs = getattr(torch.nn, cls)(IN, H, dtype=getattr(torch, dtype), **kw)
    ours = getattr(nn, cls)(IN, H, dtype=getattr(minigrad, dtype), **kw)
    result = ours.load_state_dict({k: v.detach().numpy() for k, v in
                                   theirs.state_dict().items()})
    assert not result.missing_keys and not result.unexpected_keys
    return ours, theirs


def _inputs(cls, kw, batched, with_hx, rng):
    """NumPy input and initial state (None, an array, or (h_0, c_0) for LSTM)."""
    lead = ((N, L) if kw.get("batch_first") else (L, N)) if batched else (L,)
    x = rng.standard_normal(lead + (IN,))
    if not with_hx:
        return x, None
    states = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    lead = (states, N) if batched else (states,)
    h0 = rng.standard_normal(lead + (kw.get("proj_size") or H,))
    if cls == "LSTM":
        return x, (h0, rng.standard_normal(lead + (H,)))
    return x, h0


def _flat(result):
    """(output, h_n) or (output, (h_n, c_n)) → [output, h_n(, c_n)]."""
    output, state = result
    return [output, *state] if isinstance(state, tuple) else [output, state]


@needs_torch
@pytest.mark.parametrize("cls, kw, batched, with_hx", CASES)
def test_matches_pytorch(cls, kw, batched, with_hx):
    rng = np.random.default_rng(0)
    ours, theirs = _pair(cls, kw)
    x, hx = _inputs(cls, kw, batched, with_hx, rng)
    hx_list = [] if hx is None else list(hx) if isinstance(hx, tuple) else [hx]

    def run(tensor, layer):
        leaves = [tensor(a, requires_grad=True) for a in [x, *hx_list]]
        state = None if hx is None else tuple(leaves[1:]) if cls == "LSTM" else leaves[1]
        return leaves, _flat(layer(leaves[0], state))

    our_leaves, our_outs = run(minigrad.tensor, ours)
    their_leaves, their_outs = run(torch.tensor, theirs)
    assert [tuple(o.shape) for o in our_outs] == [tuple(o.shape) for o in their_outs]
    for name, a, b in zip(("output", "h_n", "c_n"), our_outs, their_outs):
        diff = float(np.abs(a.numpy() - b.detach().numpy()).max())
        assert diff < 1e-12, f"{name} differs by {diff}"

    # the same random cotangent on every output: gradients of all parameters and inputs
    cotangents = [rng.standard_normal(tuple(o.shape)) for o in our_outs]
    sum(((o * minigrad.tensor(r)).sum() for o, r in zip(our_outs, cotangents))).backward()
    sum((o * torch.tensor(r)).sum() for o, r in zip(their_outs, cotangents)).backward()
    their_params = dict(theirs.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(their_params)
    for name, p in ours.named_parameters():
        diff = float(np.abs(p.grad.numpy() - their_params[name].grad.numpy()).max())
        assert diff < 1e-11, f"d{name} differs by {diff}"
    for name, a, b in zip(("input", "h_0", "c_0"), our_leaves, their_leaves):
        diff = float(np.abs(a.grad.numpy() - b.grad.numpy()).max())
        assert diff < 1e-11, f"d{name} differs by {diff}"


@needs_torch
@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_float32_matches_pytorch(cls):
    """The default dtype: float32 rounding only."""
    ours, theirs = _pair(cls, {"num_layers": 2, "bidirectional": True}, dtype="float32")
    x = np.random.default_rng(1).standard_normal((L, N, IN)).astype(np.float32)
    for a, b in zip(_flat(ours(minigrad.tensor(x))), _flat(theirs(torch.tensor(x)))):
        assert a.dtype == minigrad.float32
        diff = float(np.abs(a.numpy() - b.detach().numpy()).max())
        assert diff < 1e-5


@needs_torch
@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_dropout_between_layers_matches_pytorch(cls):
    """dropout=1 zeroes every layer's output but the last's, in training mode (the same
    in both frameworks, whatever the random draws); evaluation mode ignores dropout."""
    ours, theirs = _pair(cls, {"num_layers": 3, "dropout": 1.0, "bidirectional": True})
    x = np.random.default_rng(2).standard_normal((L, N, IN))
    for train in (True, False):
        ours.train(train)
        theirs.train(train)
        mine = _flat(ours(minigrad.tensor(x)))
        for a, b in zip(mine, _flat(theirs(torch.tensor(x)))):
            assert np.abs(a.numpy() - b.detach().numpy()).max() < 1e-12
        assert np.abs(mine[0].numpy()).max() > 0        # no dropout after the last layer


@needs_torch
@pytest.mark.parametrize("cls, kw", [
    ("RNN", {"nonlinearity": "relu", "num_layers": 2, "bias": False, "batch_first": True,
             "dropout": 0.5, "bidirectional": True}),
    ("LSTM", {"num_layers": 2, "batch_first": True}),
    ("LSTM", {"proj_size": 3, "bidirectional": True}),
    ("GRU", {}),
])
def test_parameter_names_shapes_order_and_repr_match_pytorch(cls, kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")       # dropout with one layer warns, in both
        ours, theirs = getattr(nn, cls)(IN, H, **kw), getattr(torch.nn, cls)(IN, H, **kw)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert repr(ours) == repr(theirs)


# -- without the oracle --------------------------------------------------------------------

def _double(layer):
    """Every parameter of ``layer`` in float64 (gradcheck perturbs them in place)."""
    return layer.to(minigrad.float64)


@pytest.mark.parametrize("cls, kw", [
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"proj_size": 1, "batch_first": True}),
    ("GRU", {"num_layers": 2, "bidirectional": True}),
    ("RNN", {"nonlinearity": "tanh", "num_layers": 2}),
])
def test_gradcheck(cls, kw):
    """Backpropagation through time against finite differences, for every parameter, the
    input and the initial state."""
    minigrad.manual_seed(0)
    layer = _double(getattr(nn, cls)(2, 2, **kw))
    rng = np.random.default_rng(0)
    states = layer.num_layers * (2 if layer.bidirectional else 1)
    x = minigrad.tensor(rng.standard_normal((2, 3, 2) if layer.batch_first else (3, 2, 2)),
                        requires_grad=True)                        # L = 3, N = 2
    h0 = minigrad.tensor(rng.standard_normal((states, 2, kw.get("proj_size") or 2)),
                         requires_grad=True)
    c0 = minigrad.tensor(rng.standard_normal((states, 2, 2)), requires_grad=True)
    state = [h0, c0] if cls == "LSTM" else [h0]

    def fn(x, *rest):        # the parameters are perturbed in place, inside the layer
        return tuple(_flat(layer(x, tuple(rest[:2]) if cls == "LSTM" else rest[0])))

    assert minigrad.gradcheck(fn, [x, *state, *layer.parameters()])


def test_an_lstm_learns_to_recall_the_first_token():
    """Copy-first-token: read 6 random tokens (one-hot, 4 symbols), then name the first one
    from the final hidden state — only memory across all steps solves it (chance: 25 %).
    150 Adam steps on batches of 32 reach ≥ 97 % on 1000 fresh sequences in a few seconds
    (measured: 100 % in about 1 s)."""
    vocab, length, hidden = 4, 6, 16
    minigrad.manual_seed(0)
    rng = np.random.default_rng(0)

    class Recall(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(vocab, hidden, batch_first=True)
            self.head = nn.Linear(hidden, vocab)

        def forward(self, x):
            _, (h_n, _) = self.lstm(x)
            return self.head(h_n[-1])

    def batch(n):
        tokens = rng.integers(0, vocab, size=(n, length))
        return (minigrad.tensor(np.eye(vocab, dtype=np.float32)[tokens]),
                minigrad.tensor(tokens[:, 0]))

    start = time.perf_counter()
    model = Recall()
    opt = optim.Adam(model.parameters(), lr=0.02)
    for _ in range(150):
        x, y = batch(32)
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    x, y = batch(1000)
    with minigrad.no_grad():
        accuracy = float((model(x).numpy().argmax(axis=1) == y.numpy()).mean())
    elapsed = time.perf_counter() - start
    assert accuracy >= 0.97, f"accuracy {accuracy:.3f} after 150 steps ({elapsed:.1f} s)"
    assert elapsed < 30, f"training took {elapsed:.1f} s"


@pytest.mark.parametrize("cls, kw", [("RNN", {}), ("LSTM", {"proj_size": 2}),
                                     ("GRU", {"num_layers": 2, "bidirectional": True})])
def test_initialisation_is_uniform_in_plus_minus_one_over_sqrt_hidden(cls, kw):
    minigrad.manual_seed(0)
    layer = getattr(nn, cls)(IN, 16, **kw)
    values = np.concatenate([p.numpy().ravel() for p in layer.parameters()])
    assert values.dtype == np.float32
    assert np.abs(values).max() <= 0.25                     # 1/√16
    assert np.abs(values).max() > 0.24 and abs(values.mean()) < 0.02
    assert len({p.numpy().tobytes() for p in layer.parameters()}) == \
        len(list(layer.parameters()))                       # each drawn on its own


def test_shapes_and_repr_without_torch():
    lstm = nn.LSTM(10, 20, num_layers=2, batch_first=True)
    assert repr(lstm) == "LSTM(10, 20, num_layers=2, batch_first=True)"
    assert repr(nn.GRU(3, 4, bias=False, bidirectional=True)) == \
        "GRU(3, 4, bias=False, bidirectional=True)"
    output, (h_n, c_n) = lstm(minigrad.randn(3, 7, 10))
    assert (output.shape, h_n.shape, c_n.shape) == ((3, 7, 20), (2, 3, 20), (2, 3, 20))
    gru = nn.GRU(3, 4, num_layers=3, bidirectional=True)
    output, h_n = gru(minigrad.randn(5, 3))                 # unbatched
    assert (output.shape, h_n.shape) == ((5, 8), (6, 4))
    proj = nn.LSTM(3, 4, proj_size=2, bidirectional=True)
    output, (h_n, c_n) = proj(minigrad.randn(5, 1, 3))
    assert (output.shape, h_n.shape, c_n.shape) == ((5, 1, 4), (2, 1, 2), (2, 1, 4))


def test_zero_initial_state_is_the_default():
    minigrad.manual_seed(0)
    lstm = nn.LSTM(3, 4, num_layers=2)
    x = minigrad.randn(5, 2, 3)
    zeros = minigrad.zeros(2, 2, 4)
    a, (h, c) = lstm(x)
    b, (h2, c2) = lstm(x, (zeros, zeros))
    for u, v in ((a, b), (h, h2), (c, c2)):
        assert np.array_equal(u.numpy(), v.numpy())


def test_the_last_output_is_the_last_state():
    """output[t = L−1] of the forward direction and output[t = 0] of the reverse one are
    the top layer's h_n."""
    minigrad.manual_seed(0)
    gru = nn.GRU(3, 4, num_layers=2, bidirectional=True)
    output, h_n = gru(minigrad.randn(5, 2, 3))
    assert np.array_equal(output.numpy()[-1, :, :4], h_n.numpy()[2])
    assert np.array_equal(output.numpy()[0, :, 4:], h_n.numpy()[3])


def test_pytorch_extras():
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    assert lstm.flatten_parameters() is None
    groups = lstm.all_weights
    assert len(groups) == 4 and all(len(g) == 4 for g in groups)
    assert groups[1][0] is lstm.weight_ih_l0_reverse
    assert lstm.mode == "LSTM" and nn.RNN(3, 4, nonlinearity="relu").mode == "RNN_RELU"


def test_dropout_with_one_layer_warns_as_pytorch():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.5)


@pytest.mark.parametrize("make, error, pieces", [
    (lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), ValueError,
     ["RNN: unknown nonlinearity 'sigmoid'", "'tanh' or 'relu'"]),
    (lambda: nn.LSTM(3, 4.0), ValueError, ["LSTM: hidden_size must be an int ≥ 1", "4.0"]),
    (lambda: nn.GRU(3, 4, num_layers=0), ValueError, ["GRU: num_layers must be an int ≥ 1",
                                                      "got 0"]),
    (lambda: nn.GRU(3, 4, dropout=1.5), ValueError, ["GRU: dropout should be a number in "
                                                     "range [0, 1]", "1.5"]),
    (lambda: nn.LSTM(3, 4, bidirectional="yes"), TypeError,
     ["LSTM: bidirectional must be True or False", "'yes' (str)"]),
    (lambda: nn.LSTM(3, 4, proj_size=4), ValueError,
     ["LSTM: proj_size has to be smaller than hidden_size", "proj_size=4", "hidden_size=4"]),
])
def test_bad_constructor_arguments(make, error, pieces):
    with pytest.raises(error) as info:
        make()
    assert all(p in str(info.value) for p in pieces), str(info.value)


@pytest.mark.parametrize("layer, call, error, pieces", [
    (nn.RNN(3, 4), lambda m: m([[1.0, 2.0, 3.0]]), TypeError,
     ["RNN(3, 4): input must be a Tensor", "got list"]),
    (nn.RNN(3, 4), lambda m: m(minigrad.randn(5, 2, 2)), ValueError,
     ["RNN(3, 4): expected input with 3 features", "got shape (5, 2, 2)"]),
    (nn.RNN(3, 4), lambda m: m(minigrad.randn(5, 2, 3, 1)), ValueError,
     ["(L, N, input_size) or unbatched (L, input_size)", "4-d tensor of shape (5, 2, 3, 1)"]),
    (nn.GRU(3, 4, batch_first=True), lambda m: m(minigrad.randn(2, 0, 3)), ValueError,
     ["GRU(3, 4, batch_first=True): expected a sequence length larger than 0", "(2, 0, 3)"]),
    (nn.GRU(3, 4), lambda m: m(minigrad.randn(5, 2, 3).double()), TypeError,
     ["GRU(3, 4): input has dtype float64 but the parameters have dtype float32",
      "input.float()"]),
    (nn.GRU(3, 4), lambda m: m(minigrad.zeros(5, 2, 3, dtype="int64")), TypeError,
     ["input must be floating point", "got dtype int64"]),
    (nn.GRU(3, 4, num_layers=2), lambda m: m(minigrad.randn(5, 2, 3), minigrad.zeros(1, 2, 4)),
     ValueError, ["GRU(3, 4, num_layers=2): expected hx of shape (2, 2, 4)", "got (1, 2, 4)"]),
    (nn.GRU(3, 4), lambda m: m(minigrad.randn(5, 3), minigrad.zeros(1, 1, 4)), ValueError,
     ["expected hx of shape (1, 4)", "for unbatched input, got (1, 1, 4)"]),
    (nn.RNN(3, 4), lambda m: m(minigrad.randn(5, 2, 3), (minigrad.zeros(1, 2, 4),)),
     TypeError, ["RNN(3, 4): hx must be a Tensor", "got a tuple"]),
    (nn.LSTM(3, 4), lambda m: m(minigrad.randn(5, 2, 3), minigrad.zeros(1, 2, 4)), TypeError,
     ["LSTM(3, 4): hx must be a tuple (h_0, c_0) of Tensors", "got Tensor"]),
    (nn.LSTM(3, 4, proj_size=2), lambda m: m(minigrad.randn(5, 2, 3),
                                             (minigrad.zeros(1, 2, 4), minigrad.zeros(1, 2, 4))),
     ValueError, ["expected h_0 of shape (1, 2, 2) (num_layers·num_directions, N, proj_size)",
                  "got (1, 2, 4)"]),
    (nn.LSTM(3, 4), lambda m: m(minigrad.randn(5, 2, 3),
                                (minigrad.zeros(1, 2, 4), minigrad.zeros(1, 2, 4).double())),
     TypeError, ["c_0 has dtype float64 but the parameters have dtype float32"]),
])
def test_bad_forward_inputs_are_named_before_any_work(layer, call, error, pieces):
    with pytest.raises(error) as info:
        call(layer)
    assert all(p in str(info.value) for p in pieces), str(info.value)
    assert all(p.grad is None for p in layer.parameters())


@pytest.mark.parametrize("cls", ["LSTM", "GRU"])
def test_runs_on_the_cuda_device_and_agrees_with_the_cpu(cls, cuda_device):
    """The initial zero state is made on the input's device; outputs and gradients match
    the CPU's (the stand-in device in CI, the GPU where there is one).  Input on another
    device than the layer is refused by name."""
    minigrad.manual_seed(0)
    cpu = getattr(nn, cls)(IN, H, num_layers=2, bidirectional=True, dtype=minigrad.float64)
    gpu = getattr(nn, cls)(IN, H, num_layers=2, bidirectional=True, dtype=minigrad.float64)
    gpu.load_state_dict({k: v.numpy() for k, v in cpu.state_dict().items()})
    gpu.to(cuda_device)
    x = np.random.default_rng(3).standard_normal((L, N, IN))
    outs = []
    for layer, device in ((cpu, "cpu"), (gpu, cuda_device)):
        out = _flat(layer(minigrad.tensor(x, device=device)))
        sum(o.sum() for o in out).backward()
        outs.append([o.to("cpu").numpy() for o in out]
                    + [p.grad.to("cpu").numpy() for p in layer.parameters()])
    for a, b in zip(*outs):
        assert np.abs(a - b).max() < 1e-10
    with pytest.raises(RuntimeError, match=r"input is on cpu but the parameters are on cuda"):
        gpu(minigrad.tensor(x))
