"""Recurrent layers (PyTorch's ``nn.RNN``, ``nn.LSTM``, ``nn.GRU``): the same constructor
arguments, parameter names, ``state_dict`` keys, initialisation, forward signature, shapes
and gate order, so a PyTorch state dict converted to NumPy loads and computes the same.

Each layer and direction first projects the whole input sequence at once (one matmul over
the L·N rows: x·W_ihᵀ + b_ih), then loops over time for the recurrent part
(h·W_hhᵀ + b_hh and the cell), with ``minigrad.functional`` ops, so autograd differentiates
it (backpropagation through time).  The reverse direction of a bidirectional layer reads
the sequence from the end; the outputs of both directions are concatenated on the feature
axis and feed the next layer (through dropout, while training, between layers).

Shapes (L sequence length, N batch, D = 2 if bidirectional else 1, H hidden_size,
H_out = proj_size or H):
    input (L, N, input_size), (N, L, input_size) with ``batch_first``, or unbatched
    (L, input_size); hx (D·num_layers, N, H_out) — never batch-first — or (D·num_layers,
    H_out) unbatched (LSTM: a tuple (h_0, c_0), c_0 with H features); zeros if not given.
    Returns output (L, N, D·H_out) (batch-first / unbatched as the input) and h_n (LSTM:
    (h_n, c_n)), the last state of every layer and direction in hx's layout.
"""
import math
import numbers
import warnings


from .. import creation, dtypes
from .._check import check_bool
from .. import functional as F
from ..tensor import Tensor
from . import init
from ..ops._util import _caster
from ._util import empty_parameter, size
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class RNNBase(Module):
    """What RNN, LSTM and GRU share (PyTorch's ``nn.RNNBase``): the parameters, their
    initialisation, the checks of the input and the loop over layers and directions.

    Parameters, for each layer k and direction (suffix ``_reverse`` for the backward one),
    with G gates (RNN 1, LSTM 4: i, f, g, o; GRU 3: r, z, n) stacked in that order:
    ``weight_ih_l{k}`` (G·H, input_size for k = 0, else D·H_out), ``weight_hh_l{k}``
    (G·H, H_out), ``bias_ih_l{k}`` and ``bias_hh_l{k}`` (G·H,) if ``bias``, and for an LSTM
    with ``proj_size`` > 0 ``weight_hr_l{k}`` (proj_size, H).  All are drawn from
    U(−1/√H, 1/√H), as in PyTorch.
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        super().__init__()
        owner = type(self).__name__
        if mode not in _GATES:
            raise ValueError(f"{owner}: unrecognized RNN mode {mode!r}; expected one of "
                             f"{sorted(_GATES)}")
        self.mode = mode
        self.input_size = size(input_size, "input_size", owner)
        self.hidden_size = size(hidden_size, "hidden_size", owner, minimum=1)
        self.num_layers = size(num_layers, "num_layers", owner, minimum=1)
        self.bias = check_bool(owner, "bias", bias)
        self.batch_first = check_bool(owner, "batch_first", batch_first)
        self.bidirectional = check_bool(owner, "bidirectional", bidirectional)
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) \
                or not 0 <= dropout <= 1:
            raise ValueError(f"{owner}: dropout should be a number in range [0, 1] "
                             f"representing the probability of an element being zeroed, got "
                             f"{dropout!r:.80} ({type(dropout).__name__})")
        self.dropout = float(dropout)
        if self.dropout > 0 and self.num_layers == 1:
            warnings.warn(f"dropout option adds dropout after all but last recurrent layer, "
                          f"so non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=3)
        self.proj_size = size(proj_size, "proj_size", owner)
        if self.proj_size and mode != "LSTM":
            raise ValueError(f"{owner}: proj_size argument is only supported for LSTM, not "
                             f"RNN or GRU")
        if self.proj_size >= self.hidden_size:
            raise ValueError(f"{owner}: proj_size has to be smaller than hidden_size, got "
                             f"proj_size={self.proj_size} and hidden_size={self.hidden_size}")
        gates = _GATES[mode] * self.hidden_size
        h_out = self.proj_size or self.hidden_size
        directions = 2 if self.bidirectional else 1
        self._flat_weights_names = []
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else h_out * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = [("weight_ih", (gates, layer_input)), ("weight_hh", (gates, h_out))]
                if self.bias:
                    shapes += [("bias_ih", (gates,)), ("bias_hh", (gates,))]
                if self.proj_size:
                    shapes.append(("weight_hr", (self.proj_size, self.hidden_size)))
                for name, shape in shapes:
                    setattr(self, name + suffix, empty_parameter(shape, dtype, device))
                    self._flat_weights_names.append(name + suffix)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw every weight and bias again from U(−1/√H, 1/√H) (PyTorch's default)."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self):
        """Nothing to do: PyTorch packs the weights for cuDNN here; minigrad has no cuDNN.
        Kept so that programs calling it run unchanged."""

    @property
    def _flat_weights(self):
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        """The parameters grouped per layer and direction, as PyTorch lists them."""
        per = len(self._flat_weights_names) // (self.num_layers * self._directions)
        weights = self._flat_weights
        return [weights[i:i + per] for i in range(0, len(weights), per)]

    @property
    def _directions(self):
        return 2 if self.bidirectional else 1

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # -- checks -----------------------------------------------------------------------
    def _check_tensor(self, t, name, shape, layout):
        """``t`` must be a floating-point Tensor of ``shape``, in the parameters' dtype and
        on their device."""
        if not isinstance(t, Tensor):
            self._fail(f"{name} must be a Tensor, got {type(t).__name__}", TypeError)
        if tuple(t.shape) != shape:
            self._fail(f"expected {name} of shape {shape} {layout}, got {tuple(t.shape)}")
        self._check_dtype_and_device(t, name)

    def _check_dtype_and_device(self, t, name):
        weight = self.weight_ih_l0
        if not dtypes.is_floating(t.dtype):
            self._fail(f"{name} must be floating point, got dtype {t.dtype} (convert with "
                       f".{_caster(weight.dtype)}())", TypeError)
        if t.dtype != weight.dtype:
            self._fail(f"{name} has dtype {t.dtype} but the parameters have dtype "
                       f"{weight.dtype}; cast {name} ({name}.{_caster(weight.dtype)}()) or the "
                       f"layer (.to({str(t.dtype)!r})) so that they match", TypeError)
        if t.device != weight.device:
            self._fail(f"{name} is on {t.device} but the parameters are on {weight.device}; "
                       f"move {name} (.to({weight.device!r})) or the layer "
                       f"(.to({t.device!r})) so that they match", RuntimeError)

    def _check_forward(self, input, hx):
        """Whether the input is batched; every mistake PyTorch rejects, named before any
        work."""
        if not isinstance(input, Tensor):
            self._fail(f"input must be a Tensor, got {type(input).__name__}", TypeError)
        batched = input.ndim == 3
        layout = "(N, L, input_size)" if self.batch_first else "(L, N, input_size)"
        if input.ndim not in (2, 3):
            self._fail(f"expected input of shape {layout} or unbatched (L, input_size), got a "
                       f"{input.ndim}-d tensor of shape {tuple(input.shape)}")
        if input.shape[-1] != self.input_size:
            self._fail(f"expected input with {self.input_size} features (input_size, the last "
                       f"axis), got shape {tuple(input.shape)}")
        length = input.shape[1 if batched and self.batch_first else 0]
        if length == 0:
            self._fail(f"expected a sequence length larger than 0, got input of shape "
                       f"{tuple(input.shape)}")
        self._check_dtype_and_device(input, "input")
        if hx is None:
            return batched
        n = input.shape[0 if self.batch_first else 1] if batched else None
        states = self.num_layers * self._directions
        h_out = self.proj_size or self.hidden_size
        h_shape = (states, n, h_out) if batched else (states, h_out)
        where = "(num_layers·num_directions, N, {})" if batched else \
            "(num_layers·num_directions, {}) for unbatched input"
        if self.mode == "LSTM":
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                got = f"a {type(hx).__name__} of length {len(hx)}" \
                    if isinstance(hx, (tuple, list)) else type(hx).__name__
                self._fail(f"hx must be a tuple (h_0, c_0) of Tensors, got {got}", TypeError)
            c_shape = h_shape[:-1] + (self.hidden_size,)
            self._check_tensor(hx[0], "h_0", h_shape,
                               where.format("proj_size" if self.proj_size else "hidden_size"))
            self._check_tensor(hx[1], "c_0", c_shape, where.format("hidden_size"))
        else:
            if isinstance(hx, (tuple, list)):
                self._fail(f"hx must be a Tensor (only LSTM takes a tuple (h_0, c_0)), got a "
                           f"{type(hx).__name__}", TypeError)
            self._check_tensor(hx, "hx", h_shape, where.format("hidden_size"))
        return batched

    # -- forward ----------------------------------------------------------------------
    def forward(self, input, hx=None):
        """``input`` (L, N, input_size) — (N, L, input_size) with ``batch_first``, or
        unbatched (L, input_size) — and the initial state ``hx`` (zeros if None) →
        (output, h_n); for LSTM hx is (h_0, c_0) and the result (output, (h_n, c_n)).
        Shapes as in the module docstring."""
        batched = self._check_forward(input, hx)
        return self._call(self._forward, input, hx, batched)

    def _forward(self, input, hx, batched):
        lstm = self.mode == "LSTM"
        x = input
        if not batched:
            x = x.unsqueeze(1)
        elif self.batch_first:
            x = x.transpose(0, 1)
        n = x.shape[1]
        h0, c0 = (hx if lstm else (hx, None)) if hx is not None else (None, None)
        if h0 is not None and not batched:
            h0 = h0.unsqueeze(1)
            c0 = c0.unsqueeze(1) if c0 is not None else None
        h_out = self.proj_size or self.hidden_size
        directions = self._directions
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                index = layer * directions + direction
                h = h0[index] if h0 is not None else \
                    creation.zeros(n, h_out, dtype=x.dtype, device=x.device)
                c = None
                if lstm:
                    c = c0[index] if c0 is not None else \
                        creation.zeros(n, self.hidden_size, dtype=x.dtype, device=x.device)
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                out, h, c = self._run(x, h, c, suffix, reverse=direction == 1)
                outputs.append(out)
                h_n.append(h)
                c_n.append(c)
            x = outputs[0] if directions == 1 else F.cat(outputs, axis=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        output, h_n = x, F.stack(h_n, axis=0)
        c_n = F.stack(c_n, axis=0) if lstm else None
        if not batched:
            output = output.squeeze(1)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1) if lstm else None
        elif self.batch_first:
            output = output.transpose(0, 1)
        return (output, (h_n, c_n)) if lstm else (output, h_n)

    def _run(self, x, h, c, suffix, reverse):
        """One layer in one direction over x (L, N, features): (outputs (L, N, H_out),
        h_L, c_L).  The input projection of every step is one matmul."""
        get = lambda name: getattr(self, name + suffix)  # noqa: E731
        b_ih, b_hh = (get("bias_ih"), get("bias_hh")) if self.bias else (None, None)
        w_hh = get("weight_hh")
        w_hr = get("weight_hr") if self.proj_size else None
        length, n, features = x.shape
        xw = F.linear(x.reshape(length * n, features), get("weight_ih"), b_ih)
        xw = xw.reshape(length, n, xw.shape[-1])                        # (L, N, G·H)
        outputs = [None] * length
        for t in (range(length - 1, -1, -1) if reverse else range(length)):
            h, c = self._cell(xw[t], F.linear(h, w_hh, b_hh), h, c, w_hr)
            outputs[t] = h
        return F.stack(outputs, axis=0), h, c

    def _cell(self, gx, gh, h, c, w_hr):
        """One time step from the gates' input part gx = x·W_ihᵀ + b_ih and recurrent part
        gh = h·W_hhᵀ + b_hh, both (N, G·H): the new (h, c) (c is None but for LSTM)."""
        raise NotImplementedError


class RNN(RNNBase):
    """An Elman RNN (PyTorch's ``nn.RNN``): h_t = tanh(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh)
    (or relu) for each layer, direction and time step t.

        h_t = σ(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh),   σ = tanh or relu

    x_t is the input (layer 0) or the previous layer's output (with dropout, while
    training, if ``dropout`` > 0); h_0 is ``hx`` (zeros if not given).

    Args:
        input_size, hidden_size: the features of x_t and h_t.
        num_layers: stacked layers, each reading the previous one's output sequence.
        nonlinearity: ``"tanh"`` (default) or ``"relu"``.
        bias: learn b_ih and b_hh.
        batch_first: input and output (N, L, ·) instead of (L, N, ·) (not hx and h_n).
        dropout: dropout on every layer's output but the last, while training.
        bidirectional: a second pass from the end of the sequence; outputs concatenated.
        device, dtype: where and how to create the parameters (CPU, float32 by default).

    Parameters ``weight_ih_l{k}`` (H, in), ``weight_hh_l{k}`` (H, H), ``bias_ih_l{k}``,
    ``bias_hh_l{k}`` (H,) (``_reverse`` for the backward direction), U(−1/√H, 1/√H).

    >>> rnn = nn.RNN(10, 20, num_layers=2)
    >>> output, h_n = rnn(x, h0)     # x (L, N, 10), h0 (2, N, 20) -> (L, N, 20), (2, N, 20)
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None,
                 dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r}; select from 'tanh' "
                             f"or 'relu'")
        self.nonlinearity = nonlinearity   # a plain attribute, before Module.__init__ is fine
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)

    def _cell(self, gx, gh, h, c, w_hr):
        return (F.tanh if self.nonlinearity == "tanh" else F.relu)(gx + gh), None


class LSTM(RNNBase):
    """Long short-term memory (Hochreiter & Schmidhuber 1997; PyTorch's ``nn.LSTM``): gates
    i, f, g, o from x_t and h_{t−1}, a cell c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t and the output
    h_t = o_t ⊙ tanh(c_t), for each layer, direction and time step t:

        i_t = sigmoid(x_t W_iiᵀ + b_ii + h_{t−1} W_hiᵀ + b_hi)      input gate
        f_t = sigmoid(x_t W_ifᵀ + b_if + h_{t−1} W_hfᵀ + b_hf)      forget gate
        g_t = tanh(x_t W_igᵀ + b_ig + h_{t−1} W_hgᵀ + b_hg)         cell candidate
        o_t = sigmoid(x_t W_ioᵀ + b_io + h_{t−1} W_hoᵀ + b_ho)      output gate
        c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t
        h_t = o_t ⊙ tanh(c_t)            (with proj_size > 0: h_t = (o_t ⊙ tanh(c_t)) W_hrᵀ)

    W_ih = [W_ii; W_if; W_ig; W_io] (4H, in) and W_hh, b_ih, b_hh likewise, in the order
    i, f, g, o.  (h_0, c_0) is ``hx`` (zeros if not given).

    Args: as :class:`RNN` (no nonlinearity), plus ``proj_size``: if > 0, h_t is projected
    to proj_size features by ``weight_hr_l{k}`` (proj_size, H) (Sak et al. 2014); it must be
    smaller than hidden_size.

    >>> lstm = nn.LSTM(10, 20, num_layers=2, batch_first=True)
    >>> output, (h_n, c_n) = lstm(x)     # x (N, L, 10) -> (N, L, 20), (2, N, 20), (2, N, 20)
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device=device, dtype=dtype)

    def _cell(self, gx, gh, h, c, w_hr):
        H = self.hidden_size
        gates = gx + gh                                          # (N, 4H): i, f, g, o
        s = F.sigmoid(gates)        # one sigmoid for i, f, o (its g part is not used)
        c = s[:, H:2 * H] * c + s[:, :H] * F.tanh(gates[:, 2 * H:3 * H])
        h = s[:, 3 * H:] * F.tanh(c)
        if w_hr is not None:
            h = F.linear(h, w_hr)
        return h, c


class GRU(RNNBase):
    """Gated recurrent unit (Cho et al. 2014; PyTorch's ``nn.GRU``): a reset gate r, an
    update gate z, a candidate n and h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}, for each layer,
    direction and time step t:

        r_t = sigmoid(x_t W_irᵀ + b_ir + h_{t−1} W_hrᵀ + b_hr)      reset gate
        z_t = sigmoid(x_t W_izᵀ + b_iz + h_{t−1} W_hzᵀ + b_hz)      update gate
        n_t = tanh(x_t W_inᵀ + b_in + r_t ⊙ (h_{t−1} W_hnᵀ + b_hn))  candidate
        h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}

    (PyTorch's form: the reset gate multiplies h W_hnᵀ + b_hn, not h.)  W_ih =
    [W_ir; W_iz; W_in] (3H, in) and W_hh, b_ih, b_hh likewise, in the order r, z, n.

    Args: as :class:`RNN` (no nonlinearity).

    >>> gru = nn.GRU(10, 20, bidirectional=True)
    >>> output, h_n = gru(x)             # x (L, N, 10) -> (L, N, 40), (2, N, 20)
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)

    def _cell(self, gx, gh, h, c, w_hr):
        H = self.hidden_size
        rz = F.sigmoid(gx[:, :2 * H] + gh[:, :2 * H])
        n = F.tanh(gx[:, 2 * H:] + rz[:, :H] * gh[:, 2 * H:])
        return n + rz[:, H:] * (h - n), None
