"""Principle 3 of issue 15: every public function that takes a size, an axis or an index
checks it at the boundary, in the API's own words.

``CALLS`` has, for each such function, the calls a careless user makes — a float where an
int belongs, a string, a value out of range — and the error each must raise: the exact type
and a message that names the function and the argument and shows the value given.
``test_every_function_with_a_size_axis_or_index_is_listed`` walks the public API (the
``minigrad`` namespace, ``functional``, Tensor methods and ``nn`` layers) by signature, so a
new function with such a parameter cannot be added without its row here.
"""
import inspect

import numpy as np
import pytest

import minigrad
from minigrad import functional as F
from minigrad import nn

# parameter names that hold a size, an axis or an index
NAMES = {"size", "shape", "axis", "dim", "axes", "index", "k", "num_samples", "n", "m",
         "diagonal", "start_dim", "end_dim", "padding_idx", "num_classes", "seed",
         "correction", "in_features", "out_features", "in_channels", "out_channels",
         "kernel_size", "stride", "padding", "num_features", "normalized_shape",
         "num_embeddings", "embedding_dim", "embed_dim", "num_heads", "d_model", "nhead",
         "dim_feedforward", "num_layers", "num_encoder_layers", "num_decoder_layers",
         "n_directions", "max_elements", "pad", "start", "stop", "step", "low", "high"}


def x():
    return minigrad.tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True)


def ids():
    return minigrad.tensor(np.array([0, 1]))


# (public name, call, error, pieces of the message)
CALLS = [
    ("minigrad.zeros", lambda: minigrad.zeros(2.5, 3), TypeError,
     ["zeros: the size must be ints", "2.5 (float)"]),
    ("minigrad.zeros", lambda: minigrad.zeros(2, -1), ValueError,
     ["zeros: the size must be ints ≥ 0", "-1"]),
    ("minigrad.ones", lambda: minigrad.ones((2, "3")), TypeError,
     ["ones: the size must be ints", "'3' (str)"]),
    ("minigrad.full", lambda: minigrad.full((2, 2.0), 1.0), TypeError,
     ["full: the size must be ints", "2.0 (float)"]),
    ("minigrad.full", lambda: minigrad.full((2,), "x"), TypeError,
     ["full: fill_value must be a number", "'x' (str)"]),
    ("minigrad.eye", lambda: minigrad.eye(2.5), TypeError, ["eye: n must be an int", "2.5"]),
    ("minigrad.eye", lambda: minigrad.eye(2, -3), ValueError, ["eye: m must be an int ≥ 0",
                                                                "-3"]),
    ("minigrad.randn", lambda: minigrad.randn(2, 1.5), TypeError,
     ["randn: the size must be ints", "1.5 (float)"]),
    ("minigrad.rand", lambda: minigrad.rand(-2), ValueError, ["rand: the size must be ints ≥ 0",
                                                              "-2"]),
    ("minigrad.randint", lambda: minigrad.randint(0, 5, (2.5,)), TypeError,
     ["randint: the size must be ints", "2.5"]),
    ("minigrad.randint", lambda: minigrad.randint(0.5, 3), TypeError,
     ["randint: low must be an int", "0.5 (float)"]),
    ("minigrad.randint", lambda: minigrad.randint(5, 5), ValueError,
     ["randint: expected low < high", "low=5", "high=5"]),
    ("minigrad.arange", lambda: minigrad.arange(0, 5, 0), ValueError,
     ["arange: step must be nonzero", "0"]),
    ("minigrad.arange", lambda: minigrad.arange("5"), TypeError,
     ["arange: stop must be a finite real number", "'5' (str)"]),
    ("minigrad.arange", lambda: minigrad.arange(0, float("inf")), TypeError,
     ["arange: stop must be a finite real number", "inf"]),
    ("minigrad.multinomial", lambda: minigrad.multinomial(minigrad.ones(3), 1.5), ValueError,
     ["multinomial: num_samples must be a positive int", "1.5"]),
    ("minigrad.tril", lambda: minigrad.tril(x(), 0.5), TypeError,
     ["tril: diagonal must be an int", "0.5"]),
    ("minigrad.triu", lambda: minigrad.triu(x(), "1"), TypeError,
     ["triu: diagonal must be an int", "'1'"]),
    ("minigrad.gather", lambda: minigrad.gather(x(), 0.5, minigrad.zeros(2, 3, dtype="int64")),
     TypeError, ["gather: axis must be an int", "0.5 (float)"]),
    ("minigrad.gather", lambda: minigrad.gather(x(), 0, minigrad.zeros(2, 3)), TypeError,
     ["gather: index must be an integer tensor", "float32"]),
    ("minigrad.topk", lambda: minigrad.topk(x(), 1.5), ValueError,
     ["topk: k must be an int", "1.5"]),
    ("minigrad.topk", lambda: minigrad.topk(x(), 1, dim=2), ValueError,
     ["topk: axis 2 is out of range for a 2-d tensor"]),
    ("minigrad.manual_seed", lambda: minigrad.manual_seed("abc"), ValueError,
     ["manual_seed: expected a non-negative int", "'abc'"]),
    ("minigrad.gradcheck", lambda: minigrad.gradcheck(
        lambda a: a.sum(), [minigrad.randn(2, dtype="float64", requires_grad=True)],
        seed="x"), TypeError, ["gradcheck: seed must be an int", "'x' (str)"]),
    ("minigrad.gradcheck", lambda: minigrad.gradcheck(
        lambda a: a.sum(), [minigrad.randn(2, dtype="float64", requires_grad=True)],
        n_directions=0), ValueError, ["gradcheck: n_directions must be an int ≥ 1", "0"]),
    ("minigrad.gradcheck", lambda: minigrad.gradcheck(
        lambda a: a.sum(), [minigrad.randn(2, dtype="float64", requires_grad=True)],
        max_elements=1.5), TypeError, ["gradcheck: max_elements must be an int", "1.5"]),
    ("minigrad.save_checkpoint", lambda: minigrad.save_checkpoint("never.ckpt", step=2.5),
     TypeError, ["save_checkpoint: step must be None or an int ≥ 0", "2.5 (float)"]),
    ("minigrad.save_checkpoint", lambda: minigrad.save_checkpoint("never.ckpt", epoch=-1),
     ValueError, ["save_checkpoint: epoch must be None or an int ≥ 0", "-1"]),
    ("minigrad.set_num_threads", lambda: minigrad.set_num_threads(0), ValueError,
     ["set_num_threads: n must be an int ≥ 1", "got 0"]),
    ("minigrad.set_num_threads", lambda: minigrad.set_num_threads(True), TypeError,
     ["set_num_threads: n must be an int ≥ 1", "True (bool)"]),
    ("F.softmax", lambda: F.softmax(x(), 0.5), TypeError, ["softmax: axis must be an int",
                                                           "0.5 (float)"]),
    ("F.log_softmax", lambda: F.log_softmax(x(), dim=3), ValueError,
     ["log_softmax: axis 3 is out of range for a 2-d tensor"]),
    ("F.logsumexp", lambda: F.logsumexp(x(), "0"), TypeError,
     ["logsumexp: axis must be an int", "'0' (str)"]),
    ("F.concatenate", lambda: F.concatenate([x(), x()], axis=0.5), TypeError,
     ["concatenate: axis must be an int", "0.5"]),
    ("F.stack", lambda: F.stack([x(), x()], dim=1.0), TypeError,
     ["stack: axis must be an int", "1.0 (float)"]),
    ("F.sum", lambda: F.sum(x(), axis=0.5), TypeError, ["sum: axis must be an int", "0.5"]),
    ("F.sum", lambda: F.sum(x(), axis=(0, 0)), ValueError, ["sum: repeated axis", "(0, 0)"]),
    ("F.mean", lambda: F.mean(x(), dim=-3), ValueError,
     ["mean: axis -3 is out of range for a 2-d tensor"]),
    ("F.max", lambda: F.max(x(), axis=[0.5]), TypeError, ["max: axis must be an int", "0.5"]),
    ("F.min", lambda: F.min(x(), axis=True), TypeError, ["min: axis must be an int",
                                                         "True (bool)"]),
    ("F.var", lambda: F.var(x(), correction="1"), TypeError,
     ["var: correction must be a finite number", "'1' (str)"]),
    ("F.std", lambda: F.std(x(), axis=2), ValueError,
     ["std: axis 2 is out of range for a 2-d tensor"]),
    ("F.reshape", lambda: F.reshape(x(), 3, 2.0), TypeError,
     ["reshape: the size must be ints", "2.0 (float)"]),
    ("F.reshape", lambda: F.reshape(x(), 4, -2), ValueError,
     ["reshape: the size must be ints ≥ -1", "-2"]),
    ("F.transpose", lambda: F.transpose(x(), 0, 1.5), TypeError,
     ["transpose: axes must be an int", "1.5"]),
    ("F.permute", lambda: F.permute(x(), "ab"), TypeError, ["permute: axes must be an int",
                                                            "'ab' (str)"]),
    ("F.flatten", lambda: F.flatten(x(), 0.5), TypeError, ["flatten: axis must be an int",
                                                           "0.5"]),
    ("F.squeeze", lambda: F.squeeze(x(), 5), ValueError,
     ["squeeze: axis 5 is out of range for a 2-d tensor"]),
    ("F.unsqueeze", lambda: F.unsqueeze(x(), 0.5), TypeError,
     ["unsqueeze: axis must be an int", "0.5"]),
    ("F.broadcast_to", lambda: F.broadcast_to(x(), (2, 3.0)), TypeError,
     ["broadcast_to: the size must be ints", "3.0 (float)"]),
    ("F.embedding", lambda: F.embedding(ids(), minigrad.randn(3, 2), padding_idx=1.5),
     TypeError, ["embedding: padding_idx must be an int", "1.5"]),
    ("F.embedding", lambda: F.embedding(ids(), minigrad.randn(3, 2), padding_idx=3),
     ValueError, ["embedding: padding_idx must be in [-3, 3)", "3"]),
    ("F.one_hot", lambda: F.one_hot(ids(), 2.5), TypeError,
     ["one_hot: num_classes must be an int", "2.5"]),
    ("F.pad", lambda: F.pad(x(), (1.5, 1)), TypeError, ["pad: pad must be an int", "1.5"]),
    ("F.pad", lambda: F.pad(x(), 1), TypeError, ["pad: pad must be a tuple of ints",
                                                 "1 (int)"]),
    ("Tensor.__getitem__", lambda: x()[1.5], IndexError,
     ["getitem: index part 0 is 1.5 (float)", "expected an int"]),
    ("Tensor.__getitem__", lambda: x()[0, np.array([0.5])], IndexError,
     ["getitem: index part 1 is dtype float64"]),
    ("Tensor.__getitem__", lambda: x()[:, 1.0:], IndexError,
     ["getitem: index part 1 is 1.0 (float)"]),
    ("Tensor.__setitem__", lambda: x().detach().__setitem__(1.5, 1.0), IndexError,
     ["__setitem__: index part 0 is 1.5 (float)"]),
    ("Tensor.__setitem__", lambda: x().detach().__setitem__((0, 7), 1.0), IndexError,
     ["__setitem__", "index 7 is out of bounds", "tensor (2, 3) float32"]),
    ("Tensor.all", lambda: (x() > 0).all(axis=0.5), TypeError, ["all: axis must be an int",
                                                               "0.5"]),
    ("Tensor.any", lambda: (x() > 0).any(dim=4), ValueError,
     ["any: axis 4 is out of range for a 2-d tensor"]),
    ("Tensor.argmax", lambda: x().argmax(0.5), TypeError, ["argmax: axis must be an int",
                                                           "0.5"]),
    ("Tensor.argmin", lambda: x().argmin(dim="0"), TypeError, ["argmin: axis must be an int",
                                                               "'0'"]),
    ("Tensor.size", lambda: x().size(0.5), TypeError, ["size: axis must be an int", "0.5"]),
    ("Tensor.size", lambda: x().size(2), ValueError,
     ["size: axis 2 is out of range for a 2-d tensor"]),
    ("Tensor.view", lambda: x().T.view(-1), RuntimeError,
     ["view: a tensor of shape (3, 2)", "cannot be viewed as (-1,) without copying",
      ".reshape("]),
    ("Tensor.view", lambda: x().view(4.0), TypeError, ["view: the size must be ints", "4.0"]),
    ("Tensor.expand", lambda: x().expand(2, -3), ValueError,
     ["expand: the size must be ints ≥ -1", "-3"]),
    ("Tensor.expand", lambda: x().expand(4, 2, 3.0), TypeError,
     ["expand: the size must be ints", "3.0 (float)"]),
    ("F.layer_norm", lambda: F.layer_norm(x(), (3.0,)), TypeError,
     ["layer_norm: the size must be ints", "3.0 (float)"]),
    ("Tensor.narrow", lambda: x().narrow(0.5, 0, 1), TypeError,
     ["narrow: axis must be an int", "0.5"]),
    ("Tensor.narrow", lambda: x().narrow(1, 0, -1), ValueError,
     ["narrow: length must be an int ≥ 0", "-1"]),
    ("Tensor.narrow", lambda: x().narrow(1, 2.0, 1), TypeError,
     ["narrow: start must be an int", "2.0 (float)"]),
    ("Tensor.new_zeros", lambda: x().new_zeros(2, 1.5), TypeError,
     ["zeros: the size must be ints", "1.5 (float)"]),
    ("Tensor.new_empty", lambda: x().new_empty(2, 2.5), TypeError,
     ["empty: the size must be ints", "2.5 (float)"]),
    ("Tensor.new_ones", lambda: x().new_ones(-1), ValueError,
     ["ones: the size must be ints ≥ 0", "-1"]),
    ("Tensor.new_full", lambda: x().new_full((2, "2"), 1.0), TypeError,
     ["full: the size must be ints", "'2' (str)"]),
    ("Tensor.max", lambda: x().max(1.5), TypeError, ["max: axis must be an int", "1.5"]),
    ("Tensor.min", lambda: x().min(dim=3), ValueError,
     ["min: axis 3 is out of range for a 2-d tensor"]),
    ("Tensor.multinomial", lambda: minigrad.ones(3).multinomial(0), ValueError,
     ["multinomial: num_samples must be a positive int", "0"]),
    ("Tensor.requires_grad", lambda: minigrad.tensor([1.0], requires_grad="no"), TypeError,
     ["Tensor: requires_grad must be True or False", "'no' (str)"]),
    ("Tensor.requires_grad", lambda: minigrad.zeros(2, requires_grad=1), TypeError,
     ["zeros: requires_grad must be True or False", "1 (int)"]),
    ("nn.Linear", lambda: nn.Linear(2.5, 3), ValueError,
     ["Linear: in_features must be an int ≥ 0", "2.5"]),
    ("nn.Conv2d", lambda: nn.Conv2d(1, 2.0, 3), ValueError,
     ["Conv2d: out_channels must be an int ≥ 1", "2.0"]),
    ("nn.Conv2d", lambda: nn.Conv2d(1, 2, (3, 1.5)), ValueError,
     ["kernel_size must be an int or a pair of ints", "1.5"]),
    ("nn.MaxPool2d", lambda: nn.MaxPool2d(2.5), ValueError,
     ["MaxPool2d: kernel_size must be an int or a pair of ints", "2.5"]),
    ("nn.AvgPool2d", lambda: nn.AvgPool2d(2, stride="1"), ValueError,
     ["AvgPool2d: stride must be an int or a pair of ints", "'1'"]),
    ("nn.Flatten", lambda: nn.Flatten(0.5), TypeError, ["Flatten: start_dim must be an int",
                                                        "0.5"]),
    ("nn.Embedding", lambda: nn.Embedding(5.5, 2), ValueError,
     ["Embedding: num_embeddings must be an int ≥ 0", "5.5"]),
    ("nn.BatchNorm1d", lambda: nn.BatchNorm1d(3.5), ValueError,
     ["BatchNorm1d: num_features must be an int ≥ 0", "3.5"]),
    ("nn.BatchNorm2d", lambda: nn.BatchNorm2d(-1), ValueError,
     ["BatchNorm2d: num_features must be an int ≥ 0", "-1"]),
    ("nn.SyncBatchNorm", lambda: nn.SyncBatchNorm(0.5), ValueError,
     ["SyncBatchNorm: num_features must be an int ≥ 0", "0.5"]),
    ("nn.SyncBatchNorm", lambda: nn.SyncBatchNorm(3, process_group="world"), ValueError,
     ["SyncBatchNorm: only the default process group (None) is supported", "'world'"]),
    ("nn.LayerNorm", lambda: nn.LayerNorm(3.5), TypeError,
     ["LayerNorm: normalized_shape must be an int or a tuple of ints", "3.5 (float)"]),
    ("nn.LayerNorm", lambda: nn.LayerNorm((4, 0)), ValueError,
     ["LayerNorm: normalized_shape must be an int ≥ 1", "0"]),
    ("nn.MultiheadAttention", lambda: nn.MultiheadAttention(8.0, 2), ValueError,
     ["MultiheadAttention: embed_dim must be an int ≥ 1", "8.0"]),
    ("nn.TransformerEncoderLayer", lambda: nn.TransformerEncoderLayer(8, 2, 16.5), ValueError,
     ["TransformerEncoderLayer: dim_feedforward must be an int ≥ 1", "16.5"]),
    ("nn.TransformerDecoderLayer", lambda: nn.TransformerDecoderLayer(8, 2.0), ValueError,
     ["nhead", "2.0"]),
    ("nn.TransformerEncoder", lambda: nn.TransformerEncoder(
        nn.TransformerEncoderLayer(8, 2, 16), 1.5), ValueError, ["num_layers", "1.5"]),
    ("nn.TransformerDecoder", lambda: nn.TransformerDecoder(
        nn.TransformerDecoderLayer(8, 2, 16), -1), ValueError, ["num_layers", "-1"]),
    ("nn.Transformer", lambda: nn.Transformer(8, 2, num_encoder_layers=0.5), ValueError,
     ["num_encoder_layers", "0.5"]),
    ("nn.Softmax", lambda: nn.Softmax(dim=0.5)(x()), TypeError,
     ["Softmax(dim=0.5): softmax: axis must be an int", "0.5"]),
    ("nn.LogSoftmax", lambda: nn.LogSoftmax(dim=2)(x()), ValueError,
     ["log_softmax: axis 2 is out of range"]),
    ("nn.RNN", lambda: nn.RNN(3.0, 4), ValueError, ["RNN: input_size must be an int ≥ 0",
                                                    "3.0"]),
    ("nn.RNN", lambda: nn.RNN(3, 4, num_layers=1.5), ValueError,
     ["RNN: num_layers must be an int ≥ 1", "1.5"]),
    ("nn.LSTM", lambda: nn.LSTM(3, "4"), ValueError, ["LSTM: hidden_size must be an int ≥ 1",
                                                      "'4'"]),
    ("nn.LSTM", lambda: nn.LSTM(3, 4, proj_size=-1), ValueError,
     ["LSTM: proj_size must be an int ≥ 0", "-1"]),
    ("nn.GRU", lambda: nn.GRU(3, 0), ValueError, ["GRU: hidden_size must be an int ≥ 1", "0"]),
    ("nn.GRU", lambda: nn.GRU(3, 4, num_layers=True), ValueError,
     ["GRU: num_layers must be an int ≥ 1", "True"]),
    # issue 20: PyTorch's creation and random functions (minigrad.creation, exported as
    # minigrad.X)
    ("minigrad.empty", lambda: minigrad.creation.empty(2, 2.5), TypeError,
     ["empty: the size must be ints", "2.5 (float)"]),
    ("minigrad.empty", lambda: minigrad.creation.empty(size=(3, -1)), ValueError,
     ["empty: the size must be ints ≥ 0", "-1"]),
    ("minigrad.zeros", lambda: minigrad.creation.zeros(2, size=(3,)), TypeError,
     ["zeros: the size was given twice", "size=(3,)"]),
    ("minigrad.randn", lambda: minigrad.creation.randn(size=(2, "3")), TypeError,
     ["randn: the size must be ints", "'3' (str)"]),
    ("minigrad.randperm", lambda: minigrad.creation.randperm(2.5), TypeError,
     ["randperm: n must be an int ≥ 0", "2.5 (float)"]),
    ("minigrad.randperm", lambda: minigrad.creation.randperm(-1), ValueError,
     ["randperm: n must be an int ≥ 0", "-1"]),
    ("minigrad.normal", lambda: minigrad.creation.normal(0.0, 1.0, (2, 0.5)), TypeError,
     ["normal: the size must be ints", "0.5 (float)"]),
    ("minigrad.normal", lambda: minigrad.creation.normal(0.0, 1.0, -2), ValueError,
     ["normal: the size must be ints ≥ 0", "-2"]),
    ("minigrad.linspace", lambda: minigrad.creation.linspace("0", 1, 5), TypeError,
     ["linspace: start must be a finite number", "'0' (str)"]),
    ("minigrad.linspace", lambda: minigrad.creation.linspace(0, 1, 2.0), TypeError,
     ["linspace: steps must be an int ≥ 0", "2.0 (float)"]),
    ("minigrad.logspace", lambda: minigrad.creation.logspace(0, float("nan"), 3), ValueError,
     ["logspace: end must be a finite number", "nan"]),
    ("minigrad.logspace", lambda: minigrad.creation.logspace(0, 2, -3), ValueError,
     ["logspace: steps must be an int ≥ 0", "-3"]),
    ("minigrad.randint_like", lambda: minigrad.creation.randint_like(x(), 0.5, 3), TypeError,
     ["randint_like: low must be an int", "0.5 (float)"]),
    ("minigrad.randint_like", lambda: minigrad.creation.randint_like(x(), 4, 2), ValueError,
     ["randint_like: expected low < high", "low=4", "high=2"]),
    ("minigrad.data.RandomSampler",
     lambda: minigrad.data.RandomSampler(range(4), num_samples=2.0), TypeError,
     ["RandomSampler: num_samples must be None or an int ≥ 1", "2.0 (float)"]),
    ("minigrad.data.WeightedRandomSampler",
     lambda: minigrad.data.WeightedRandomSampler([1, 1], num_samples=-1), ValueError,
     ["WeightedRandomSampler: num_samples must be an int ≥ 1", "-1"]),
    ("minigrad.data.BatchSampler",
     lambda: minigrad.data.BatchSampler(range(4), "2", False), TypeError,
     ["BatchSampler: batch_size must be an int ≥ 1", "'2' (str)"]),
    ("minigrad.data.DataLoader",
     lambda: minigrad.data.DataLoader(np.zeros(4), num_workers=0.5), TypeError,
     ["DataLoader: num_workers must be an int ≥ 0", "0.5 (float)"]),
    ("minigrad.data.DataLoader",
     lambda: minigrad.data.DataLoader(np.zeros(4), prefetch_factor=0), ValueError,
     ["DataLoader: prefetch_factor must be None or an int ≥ 1", "got 0"]),
    ("minigrad.data.random_split",
     lambda: minigrad.data.random_split(np.zeros(4), [2, 2]), TypeError,
     ["random_split: dataset must be a Dataset", "ndarray"]),
    ("minigrad.data.random_split",
     lambda: minigrad.data.random_split(minigrad.data.TensorDataset(np.zeros(4)), [2, 2],
                                        seed=-3), ValueError,
     ["random_split: seed must be None or an int ≥ 0", "-3"]),
    ("minigrad.data.DistributedSampler",
     lambda: minigrad.data.DistributedSampler(range(4), num_replicas=2.0, rank=0), TypeError,
     ["DistributedSampler: num_replicas must be an int ≥ 1", "2.0 (float)"]),
    ("minigrad.data.DistributedSampler",
     lambda: minigrad.data.DistributedSampler(range(4), num_replicas=2, rank=-1), ValueError,
     ["DistributedSampler: rank must be in [0, 1]", "-1"]),
    ("minigrad.data.DistributedSampler",
     lambda: minigrad.data.DistributedSampler(range(4), num_replicas=1, rank=0, seed="1"),
     TypeError, ["DistributedSampler: seed must be an int ≥ 0", "'1' (str)"]),
]


def _public_callables():
    """(names, callable) for every public function, Tensor method and nn layer; a function
    public under several names (``minigrad.sum`` is ``F.sum``) comes once, with all of them."""
    functions = {}
    for prefix, module in (("minigrad", minigrad), ("F", F)):
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                functions.setdefault(id(obj), ([], obj))[0].append(f"{prefix}.{name}")
    for name, obj in vars(minigrad.Tensor).items():
        if (not name.startswith("_") or name in ("__getitem__", "__setitem__")) \
                and inspect.isfunction(obj):
            functions.setdefault(id(obj), ([], obj))[0].append(f"Tensor.{name}")
    yield from ((tuple(names), obj) for names, obj in functions.values())
    for name in nn.__all__:
        obj = getattr(nn, name)
        if inspect.isclass(obj) and issubclass(obj, nn.Module):
            yield (f"nn.{name}",), obj.__init__


def _takes_a_size_axis_or_index(fn):
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name in NAMES or (p.kind is p.VAR_POSITIONAL and p.name in ("shape", "axes"))
               for p in params)


# Functions whose size/axis/index argument is checked by another listed function they call
# with it unchanged (aliases and thin wrappers), or that take such an argument only by name.
DELEGATES = {
    "minigrad.zeros_like", "minigrad.ones_like",        # sizes from a tensor
    "F.cat",                                            # = F.concatenate
    "Tensor.reshape", "Tensor.transpose", "Tensor.permute", "Tensor.flatten",
    "Tensor.squeeze", "Tensor.unsqueeze", "Tensor.broadcast_to", "Tensor.gather",
    "Tensor.topk", "Tensor.tril", "Tensor.triu", "Tensor.softmax", "Tensor.log_softmax",
    "Tensor.logsumexp", "Tensor.sum", "Tensor.mean", "Tensor.max", "Tensor.min",
    "Tensor.var", "Tensor.std", "Tensor._no_grad_reduce",     # -> F.* and Tensor.any/all
    "F.max_pool2d", "F.avg_pool2d", "F.conv2d",         # = nn.MaxPool2d/AvgPool2d/Conv2d
    "F.scaled_dot_product_attention",                   # scale/masks, no size argument
    "F.multi_head_attention_forward",
    "nn.Sequential", "nn.ModuleList", "nn.Dropout",
}


def test_every_function_with_a_size_axis_or_index_is_listed():
    listed = {name for name, *_ in CALLS}
    missing = sorted(names[0] for names, fn in _public_callables()
                     if _takes_a_size_axis_or_index(fn) and not set(names) & (listed | DELEGATES))
    assert not missing, f"public functions with a size, axis or index and no row: {missing}"


@pytest.mark.parametrize("name, call, error, says", CALLS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CALLS)])
def test_a_bad_size_axis_or_index_is_named_before_any_work(name, call, error, says):
    with pytest.raises(Exception) as info:
        call()
    assert type(info.value) is error, f"{name}: {type(info.value).__name__}: {info.value}"
    message = str(info.value)
    assert all(piece in message for piece in says), \
        f"{name}: the message lacks {[p for p in says if p not in message]}: {message}"
