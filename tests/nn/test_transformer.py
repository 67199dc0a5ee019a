"""MultiheadAttention and the Transformer layers against PyTorch (skipped where it is not
installed): a torch state dict converted to NumPy loads as is, and outputs, attention
weights and gradients (of every input and parameter) agree in float64.  Dropout is 0 and
both run in training mode, so PyTorch's evaluation-mode fast paths (fused kernels, nested
tensors) are not taken and the same math is compared.  Then what needs no oracle: copies,
initialisation, the fused path, errors."""
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest

import minigrad
from minigrad import functional as F
from minigrad import nn

try:
    import torch
    import torch.nn.functional as tF
    from torch import nn as tnn
except ImportError:        # the oracle is optional
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")
# PyTorch's own warnings about its deprecations and fast paths, not about what is compared
quiet_torch = pytest.mark.filterwarnings("ignore:Support for mismatched:UserWarning",
                                         "ignore:enable_nested_tensor is True:UserWarning")

E, H, N, L, S = 8, 2, 3, 4, 5       # embed_dim, heads, batch, target and source lengths


@dataclass
class Lib:
    """What a test builds a module from: PyTorch's names, or minigrad's."""
    nn: object
    F: object
    dtype: object
    tensor: Callable


OURS = Lib(nn, F, minigrad.float64, minigrad.tensor)
TORCH = Lib(tnn, tF, torch.float64, torch.tensor) if torch is not None else None


def _to_numpy(state_dict):
    return {k: v.detach().numpy() for k, v in state_dict.items()}


# -- masks (True = may not attend); every row keeps at least one key --------------------
def bool_mask(rng, shape):
    mask = rng.random(shape) < 0.4
    mask[..., 0] = False
    return mask


def float_mask(rng, shape):
    return rng.standard_normal(shape)


def causal(n):
    return np.triu(np.full((n, n), -np.inf), 1)


@dataclass
class Case:
    name: str
    make: Callable                      # Lib -> module
    shapes: list                        # float inputs (they get gradients)
    call: Callable                      # (module, *inputs, **masks) -> output or tuple
    masks: Callable = lambda rng: {}    # rng -> name -> array (converted per library)
    kwargs: dict = field(default_factory=dict)

    def __repr__(self):
        return self.name


def mha(**kw):
    return lambda lib: lib.nn.MultiheadAttention(E, H, dtype=lib.dtype, **kw)


def self_attn(**kw):
    return lambda m, x, **masks: m(x, x, x, **kw, **masks)


def shared_kv(**kw):
    return lambda m, q, kv, **masks: m(q, kv, kv, **kw, **masks)


def cross(**kw):
    return lambda m, q, k, v, **masks: m(q, k, v, **kw, **masks)


SEQ_FIRST_QKV = [(L, N, E), (S, N, E), (S, N, E)]
BATCH_FIRST_Q_KV = [(N, L, E), (N, S, E)]

MHA_CASES = [
    Case("self_seq_first", mha(), [(L, N, E)], self_attn()),
    Case("self_batch_first_fused", mha(batch_first=True), [(N, L, E)],
         self_attn(need_weights=False)),
    Case("unbatched_per_head_weights", mha(), [(L, E)],
         self_attn(average_attn_weights=False)),
    Case("unbatched_masks", mha(), [(L, E), (S, E)], shared_kv(),
         lambda rng: {"key_padding_mask": bool_mask(rng, (S,)),
                      "attn_mask": float_mask(rng, (H, L, S))}),
    Case("unbatched_masks_fused", mha(), [(L, E), (S, E)], shared_kv(need_weights=False),
         lambda rng: {"key_padding_mask": bool_mask(rng, (S,)),
                      "attn_mask": float_mask(rng, (H, L, S))}),
    Case("cross_separate_inputs", mha(), SEQ_FIRST_QKV, cross()),
    Case("kdim_vdim", mha(kdim=5, vdim=3, batch_first=True), [(N, L, E), (N, S, 5), (N, S, 3)],
         cross()),
    Case("kdim_vdim_fused_padding", mha(kdim=5, vdim=3), [(L, N, E), (S, N, 5), (S, N, 3)],
         cross(need_weights=False), lambda rng: {"key_padding_mask": bool_mask(rng, (N, S))}),
    Case("bool_attn_mask", mha(), SEQ_FIRST_QKV, cross(),
         lambda rng: {"attn_mask": bool_mask(rng, (L, S))}),
    Case("bool_attn_mask_fused", mha(), SEQ_FIRST_QKV, cross(need_weights=False),
         lambda rng: {"attn_mask": bool_mask(rng, (L, S))}),
    Case("float_attn_mask_3d", mha(batch_first=True), [(N, L, E)], self_attn(),
         lambda rng: {"attn_mask": float_mask(rng, (N * H, L, L))}),
    Case("float_attn_mask_3d_fused", mha(batch_first=True), [(N, L, E)],
         self_attn(need_weights=False),
         lambda rng: {"attn_mask": float_mask(rng, (N * H, L, L))}),
    Case("key_padding_mask_per_head", mha(batch_first=True), BATCH_FIRST_Q_KV,
         shared_kv(average_attn_weights=False),
         lambda rng: {"key_padding_mask": bool_mask(rng, (N, S))}),
    Case("key_padding_mask_fused", mha(batch_first=True), BATCH_FIRST_Q_KV,
         shared_kv(need_weights=False),
         lambda rng: {"key_padding_mask": bool_mask(rng, (N, S))}),
    Case("float_masks_both", mha(), SEQ_FIRST_QKV, cross(),
         lambda rng: {"key_padding_mask": float_mask(rng, (N, S)),
                      "attn_mask": float_mask(rng, (N * H, L, S))}),
    Case("is_causal_fused", mha(batch_first=True), [(N, L, E)],
         self_attn(need_weights=False, is_causal=True), lambda rng: {"attn_mask": causal(L)}),
    Case("is_causal_with_padding", mha(batch_first=True), [(N, L, E)],
         self_attn(need_weights=False, is_causal=True),
         lambda rng: {"attn_mask": causal(L), "key_padding_mask": bool_mask(rng, (N, L))}),
    Case("is_causal_need_weights", mha(), [(L, N, E)], self_attn(is_causal=True),
         lambda rng: {"attn_mask": causal(L)}),
    Case("bias_kv_zero_attn", mha(add_bias_kv=True, add_zero_attn=True), SEQ_FIRST_QKV,
         cross(average_attn_weights=False),
         lambda rng: {"attn_mask": bool_mask(rng, (L, S)),
                      "key_padding_mask": bool_mask(rng, (N, S))}),
    Case("bias_kv_zero_attn_fused", mha(add_bias_kv=True, add_zero_attn=True, batch_first=True),
         BATCH_FIRST_Q_KV, shared_kv(need_weights=False),
         lambda rng: {"attn_mask": float_mask(rng, (N * H, L, S)),
                      "key_padding_mask": bool_mask(rng, (N, S))}),
    Case("zero_attn_only", mha(add_zero_attn=True), [(L, N, E)], self_attn()),
    Case("no_bias", mha(bias=False), [(L, N, E)], self_attn()),
]


def encoder_layer(**kw):
    return lambda lib: lib.nn.TransformerEncoderLayer(E, H, 16, 0.0, dtype=lib.dtype, **kw)


def layer_call(**kw):
    return lambda m, *xs, **masks: m(*xs, **kw, **masks)


def encoder(num_layers=2, **kw):
    return lambda lib: lib.nn.TransformerEncoder(
        lib.nn.TransformerEncoderLayer(E, H, 16, 0.0, dtype=lib.dtype, **kw), num_layers,
        norm=lib.nn.LayerNorm(E, dtype=lib.dtype), enable_nested_tensor=False)


def decoder_layer(**kw):
    return lambda lib: lib.nn.TransformerDecoderLayer(E, H, 16, 0.0, dtype=lib.dtype, **kw)


def decoder(**kw):
    return lambda lib: lib.nn.TransformerDecoder(
        lib.nn.TransformerDecoderLayer(E, H, 16, 0.0, dtype=lib.dtype, **kw), 2,
        norm=lib.nn.LayerNorm(E, dtype=lib.dtype))


def transformer(**kw):
    return lambda lib: lib.nn.Transformer(E, H, 2, 2, 16, 0.0, dtype=lib.dtype, **kw)


LAYER_CASES = [
    Case(f"encoder_layer_{act}_{'pre' if norm_first else 'post'}_norm",
         encoder_layer(activation=act, norm_first=norm_first), [(L, N, E)], layer_call(),
         lambda rng: {"src_mask": bool_mask(rng, (L, L)),
                      "src_key_padding_mask": bool_mask(rng, (N, L))})
    for act in ("relu", "gelu") for norm_first in (False, True)
] + [
    Case("encoder_layer_batch_first_causal", encoder_layer(batch_first=True), [(N, L, E)],
         layer_call(is_causal=True), lambda rng: {"src_mask": causal(L)}),
    Case("encoder_layer_gelu_module_unbatched",
         lambda lib: lib.nn.TransformerEncoderLayer(E, H, 16, 0.0, activation=lib.nn.GELU(),
                                                    dtype=lib.dtype), [(L, E)], layer_call()),
    Case("encoder_layer_callable_no_bias",
         lambda lib: lib.nn.TransformerEncoderLayer(E, H, 16, 0.0, activation=lib.F.gelu,
                                                    bias=False, dtype=lib.dtype),
         [(L, N, E)], layer_call()),
    Case("encoder_2_layers_norm", encoder(), [(L, N, E)], layer_call(),
         lambda rng: {"mask": float_mask(rng, (L, L)),
                      "src_key_padding_mask": bool_mask(rng, (N, L))}),
    Case("encoder_detects_causal_mask", encoder(batch_first=True, norm_first=True),
         [(N, L, E)], layer_call(), lambda rng: {"mask": causal(L)}),
    Case("encoder_causal_and_padding", encoder(activation="gelu"), [(L, N, E)],
         layer_call(is_causal=True),
         lambda rng: {"mask": causal(L), "src_key_padding_mask": bool_mask(rng, (N, L))}),
    Case("decoder_layer", decoder_layer(), [(L, N, E), (S, N, E)], layer_call(),
         lambda rng: {"tgt_mask": causal(L), "memory_mask": bool_mask(rng, (L, S)),
                      "tgt_key_padding_mask": bool_mask(rng, (N, L)),
                      "memory_key_padding_mask": bool_mask(rng, (N, S))}),
    Case("decoder_layer_pre_norm_batch_first", decoder_layer(norm_first=True, batch_first=True),
         [(N, L, E), (N, S, E)], layer_call(tgt_is_causal=True),
         lambda rng: {"tgt_mask": causal(L)}),
    Case("decoder_2_layers_norm", decoder(activation="gelu"), [(L, N, E), (S, N, E)],
         layer_call(), lambda rng: {"tgt_mask": causal(L),
                                    "memory_key_padding_mask": bool_mask(rng, (N, S))}),
    Case("transformer", transformer(), [(S, N, E), (L, N, E)], layer_call(),
         lambda rng: {"tgt_mask": causal(L), "src_key_padding_mask": bool_mask(rng, (N, S))}),
    Case("transformer_batch_first_pre_norm", transformer(batch_first=True, norm_first=True),
         [(N, S, E), (N, L, E)], layer_call(),
         lambda rng: {"tgt_mask": causal(L), "memory_mask": float_mask(rng, (L, S))}),
    Case("transformer_unbatched", transformer(), [(S, E), (L, E)], layer_call(),
         lambda rng: {"tgt_mask": causal(L)}),
]


def _outputs(result):
    return [o for o in (result if isinstance(result, tuple) else (result,)) if o is not None]


def _run(case, lib, state):
    """Build ``case``'s module with ``lib`` (loading ``state`` if given), run it forward and
    backward on the case's inputs; returns (module, outputs, input grads)."""
    torch.manual_seed(0)
    module = case.make(lib)
    if state is not None:
        assert module.load_state_dict(state) == ([], [])
    module.train()
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in case.shapes]
    masks = case.masks(rng)
    inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
    outputs = _outputs(case.call(module, *inputs, **{k: lib.tensor(m) for k, m in
                                                     masks.items()}))
    loss = 0
    for o in outputs:
        loss = loss + (o * lib.tensor(rng.standard_normal(tuple(o.shape)))).sum()
    loss.backward()
    return module, [o.detach().numpy() for o in outputs], [x.grad.numpy() for x in inputs]


@needs_torch
@quiet_torch
@pytest.mark.parametrize("case", MHA_CASES + LAYER_CASES, ids=repr)
def test_outputs_and_gradients_match_pytorch(case):
    reference, want, want_dx = _run(case, TORCH, None)
    state = _to_numpy(reference.state_dict())
    assert list(case.make(OURS).state_dict()) == list(state)
    model, got, got_dx = _run(case, OURS, state)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-11)
    for g, w in zip(got_dx, want_dx):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-11)
    theirs = dict(reference.named_parameters())
    ours = dict(model.named_parameters())
    assert list(ours) == list(theirs)
    for name, p in ours.items():
        np.testing.assert_allclose(p.grad.numpy(), theirs[name].grad.numpy(), rtol=1e-9,
                                   atol=1e-11, err_msg=name)


@needs_torch
@quiet_torch
@pytest.mark.parametrize("make", [
    lambda m: m.MultiheadAttention(8, 2),
    lambda m: m.MultiheadAttention(8, 4, bias=False, add_bias_kv=True, kdim=3, vdim=5),
    lambda m: m.TransformerEncoderLayer(8, 2, 16),
    lambda m: m.TransformerEncoder(m.TransformerEncoderLayer(8, 2, 16), 3, m.LayerNorm(8),
                                   enable_nested_tensor=False),
    lambda m: m.TransformerDecoderLayer(8, 2, 16, bias=False),
    lambda m: m.Transformer(8, 2, 1, 2, 16),
])
def test_state_dict_keys_shapes_and_reprs_match_pytorch(make):
    ours, theirs = make(nn), make(tnn)
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert repr(ours) == repr(theirs)


@needs_torch
@pytest.mark.parametrize("dtype", [None, "float64"])
def test_generate_square_subsequent_mask_matches_pytorch(dtype):
    ours = nn.Transformer.generate_square_subsequent_mask(5, dtype=dtype)
    theirs = tnn.Transformer.generate_square_subsequent_mask(
        5, dtype=None if dtype is None else torch.float64)
    assert ours.dtype == theirs.numpy().dtype
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# -- without the oracle ----------------------------------------------------------------------
def test_generate_square_subsequent_mask():
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    assert mask.dtype == minigrad.float32 and not mask.requires_grad
    np.testing.assert_array_equal(mask.numpy(), [[0, -np.inf, -np.inf], [0, 0, -np.inf],
                                                 [0, 0, 0]])


def test_encoder_layers_are_independent_copies():
    layer = nn.TransformerEncoderLayer(E, H, 16)
    enc = nn.TransformerEncoder(layer, 2)
    first, second = (dict(m.named_parameters()) for m in enc.layers)
    for name, p in first.items():
        q, original = second[name], dict(layer.named_parameters())[name]
        assert p is not q and p is not original
        assert isinstance(p, nn.Parameter)
        assert not np.shares_memory(p._data, q._data)
        np.testing.assert_array_equal(p.numpy(), q.numpy())
    assert list(enc.state_dict())[:2] == ["layers.0.self_attn.in_proj_weight",
                                          "layers.0.self_attn.in_proj_bias"]


def test_initialisation_is_seeded_and_follows_pytorch():
    minigrad.manual_seed(3)
    a = nn.MultiheadAttention(E, H)
    minigrad.manual_seed(3)
    b = nn.MultiheadAttention(E, H)
    np.testing.assert_array_equal(a.in_proj_weight.numpy(), b.in_proj_weight.numpy())
    bound = np.sqrt(6 / (E + 3 * E))                         # Xavier-uniform on (3E, E)
    assert np.abs(a.in_proj_weight.numpy()).max() <= bound
    assert not a.in_proj_bias.numpy().any() and not a.out_proj.bias.numpy().any()
    model = nn.Transformer(E, H, 1, 1, 16)
    w = model.encoder.layers[0].linear1.weight.numpy()        # re-drawn Xavier-uniform
    assert np.abs(w).max() <= np.sqrt(6 / (E + 16)) and w.std() > 0


def test_fused_attention_is_used_only_without_weights(monkeypatch):
    calls = []
    fused = F.scaled_dot_product_attention
    monkeypatch.setattr(F, "scaled_dot_product_attention",
                        lambda *a, **k: calls.append(k) or fused(*a, **k))
    m = nn.MultiheadAttention(E, H, batch_first=True)
    x = minigrad.randn(N, L, E)
    _, weights = m(x, x, x)
    assert weights.shape == (N, L, L) and not calls
    out, weights = m(x, x, x, need_weights=False)
    assert out.shape == (N, L, E) and weights is None and len(calls) == 1
    m(x, x, x, need_weights=False, attn_mask=nn.Transformer.generate_square_subsequent_mask(L),
      is_causal=True)
    assert calls[-1]["is_causal"] and calls[-1]["attn_mask"] is None


def test_dropout_acts_only_in_training():
    minigrad.manual_seed(0)
    layer = nn.TransformerEncoderLayer(E, H, 16, dropout=0.5, batch_first=True)
    x = minigrad.randn(N, L, E)
    trained = layer(x).numpy()
    layer.eval()
    evaluated = layer(x).numpy()
    layer.train()
    for m in layer.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.0
    layer.self_attn.dropout = 0.0
    np.testing.assert_allclose(layer(x).numpy(), evaluated, rtol=1e-6)
    assert not np.allclose(trained, evaluated)


@pytest.mark.parametrize("make, match", [
    (lambda: nn.MultiheadAttention(10, 3), "embed_dim must be divisible by num_heads, got "
                                           "embed_dim=10 and num_heads=3"),
    (lambda: nn.MultiheadAttention(8, 0), "num_heads must be an int ≥ 1, got 0"),
    (lambda: nn.TransformerEncoderLayer(8, 2, activation="swish"),
     "activation should be 'relu', 'gelu' or a callable, got 'swish'"),
    (lambda: nn.TransformerEncoder(nn.Linear(2, 2), -1), "num_layers must be an int ≥ 0"),
])
def test_bad_constructor_arguments(make, match):
    with pytest.raises(ValueError, match=match.replace("(", r"\(").replace(")", r"\)")):
        make()


def test_bad_inputs_name_the_layer_and_both_shapes():
    m = nn.MultiheadAttention(E, H)
    x, kv = minigrad.randn(L, N, E), minigrad.randn(S, N, E)
    with pytest.raises(ValueError, match=r"MultiheadAttention\(embed_dim=8, num_heads=2, "
                                         r"batch_first=False\): expected attn_mask of shape "
                                         r"\(4, 5\) \(L, S\) or \(6, 4, 5\).*got \(5, 4\)"):
        m(x, kv, kv, attn_mask=np.zeros((S, L), dtype=bool))
    with pytest.raises(ValueError, match=r"expected key_padding_mask of shape \(3, 5\).*"
                                         r"got \(5, 3\)"):
        m(x, kv, kv, key_padding_mask=np.zeros((S, N), dtype=bool))
    with pytest.raises(ValueError, match=r"expected query with 8 features.*got shape "
                                         r"\(4, 3, 7\)"):
        m(minigrad.randn(L, N, 7), kv, kv)
    with pytest.raises(ValueError, match="same batch size"):
        m(x, minigrad.randn(S, 2, E), minigrad.randn(S, 2, E))
    with pytest.raises(ValueError, match="unbatched 2-D.*got a 4-D tensor"):
        m(minigrad.randn(1, L, N, E), kv, kv)
    with pytest.raises(ValueError, match="is_causal=True is only a hint"):
        m(x, x, x, is_causal=True)
    with pytest.raises(TypeError, match="only bool and floating point attn_mask"):
        m(x, kv, kv, attn_mask=np.zeros((L, S), dtype=np.int64))
    model = nn.Transformer(E, H, 1, 1, 16)
    with pytest.raises(ValueError, match=r"Transformer\(d_model=8, nhead=2\): the feature size "
                                         r"of src and tgt must be d_model=8.*\(4, 3, 4\)"):
        model(minigrad.randn(S, N, E), minigrad.randn(L, N, 4))
    with pytest.raises(ValueError, match=r"^Transformer\(d_model=8, nhead=2\): "
                                         r"TransformerDecoder\(num_layers=1\): "
                                         r"TransformerDecoderLayer\(d_model=8, nhead=2\): "
                                         r"MultiheadAttention.*got \(5, 5\)"):
        model(minigrad.randn(S, N, E), minigrad.randn(L, N, E), tgt_mask=causal(S))
    with pytest.raises(TypeError, match=r"^TransformerEncoderLayer\(d_model=8, nhead=2\): "
                                        r"MultiheadAttention.*query must be a Tensor, got list"):
        nn.TransformerEncoderLayer(E, H, 16)([[1.0]])
