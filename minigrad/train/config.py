"""``compile``: choose the optimizer, the loss and the metrics that ``fit`` will use."""
import numpy as np

from .. import optim
from .._check import check_real, got
from ..tensor import Tensor
from . import losses

__all__ = ["compile", "CompiledConfig", "get_config", "OPTIMIZERS"]

#: Optimizer names → (class, default lr).  The lrs are Keras' defaults for these names
#: (SGD 0.01, the others 0.001), not the classes' own (PyTorch's) defaults.
OPTIMIZERS = {
    "sgd": (optim.SGD, 1e-2),
    "adam": (optim.Adam, 1e-3),
    "adamw": (optim.AdamW, 1e-3),
    "rmsprop": (optim.RMSprop, 1e-3),
    "adagrad": (optim.Adagrad, 1e-3),
}


class CompiledConfig:
    """What ``compile`` chose: ``optimizer``, ``loss`` (a :class:`losses.Loss`) and
    ``metrics`` (a list of :class:`BatchMetric`)."""

    def __init__(self, optimizer, loss, metrics):
        self.optimizer, self.loss, self.metrics = optimizer, loss, metrics

    def __repr__(self):
        return (f"CompiledConfig(optimizer={type(self.optimizer).__name__}, loss={self.loss!r},"
                f" metrics={[m.name for m in self.metrics]})")


def get_config(model):
    """The :class:`CompiledConfig` of a model; a clear error if it was not compiled."""
    config = model.__dict__.get("_compile_config")
    if config is None:
        raise RuntimeError(f"{type(model).__name__} must be compiled before fit/evaluate: call "
                           f"model.compile(optimizer='adam', loss=..., metrics=[...]) first")
    return config


# -- metrics computed batch by batch during fit/evaluate -------------------------------------
class BatchMetric:
    """A metric that is a mean over samples: ``fn(pred, target)`` on NumPy arrays returns
    the batch's mean; fit/evaluate average it over batches weighted by their sizes."""

    def __init__(self, name, fn):
        self.name, self.fn = name, fn

    def __call__(self, pred, target):
        return float(self.fn(pred, target))


def _flat_binary(pred, target, threshold):
    return np.mean((pred.reshape(-1) > threshold) == (target.reshape(-1) > 0.5))


def _make_accuracy(kind, threshold):
    """Keras' accuracy: binary for outputs (N,)/(N, 1), else argmax compared with sparse
    labels (N,) or with the argmax of one-hot / probability targets (N, K)."""

    def accuracy(pred, target):
        binary = pred.ndim == 1 or pred.shape[-1] == 1
        if kind == "binary" or (kind == "auto" and binary):
            return _flat_binary(pred, target, threshold)
        predicted = pred.argmax(axis=-1)
        if kind == "categorical" or (kind == "auto" and target.ndim == pred.ndim
                                     and target.shape[-1] == pred.shape[-1]):
            return np.mean(predicted == target.argmax(axis=-1))
        return np.mean(predicted == target.reshape(predicted.shape))
    return accuracy


def _regression(fn):
    def metric(pred, target):
        return fn(pred - target.reshape(pred.shape).astype(pred.dtype)).mean()
    return metric


def _metric(spec, loss):
    # A sigmoid output's decision threshold: 0 on logits, 0.5 on probabilities.
    threshold = 0.0 if (isinstance(loss, losses.BinaryCrossentropy) and loss.from_logits) \
        else 0.5
    if isinstance(spec, BatchMetric):
        return spec
    if isinstance(spec, str):
        key = spec.lower()
        kinds = {"accuracy": "auto", "acc": "auto", "binary_accuracy": "binary",
                 "categorical_accuracy": "categorical",
                 "sparse_categorical_accuracy": "sparse"}
        if key in kinds:
            return BatchMetric(spec, _make_accuracy(kinds[key], threshold))
        if key in ("mse", "mean_squared_error"):
            return BatchMetric(spec, _regression(np.square))
        if key in ("mae", "mean_absolute_error"):
            return BatchMetric(spec, _regression(np.abs))
        raise ValueError(f"compile: unknown metric {spec!r}; expected 'accuracy', "
                         f"'binary_accuracy', 'categorical_accuracy', "
                         f"'sparse_categorical_accuracy', 'mse', 'mae' or a "
                         f"callable(pred, target) on NumPy arrays")
    if callable(spec):
        return BatchMetric(getattr(spec, "__name__", type(spec).__name__), spec)
    raise TypeError(f"compile: a metric must be a name or a callable, got "
                    f"{type(spec).__name__}")


# -- the optimizer ---------------------------------------------------------------------------
def _optimizer(model, spec, lr):
    params = [p for p in model.parameters() if p.requires_grad]
    if isinstance(spec, optim.Optimizer):
        ours = {id(p) for p in model.parameters()}
        theirs = [p for g in spec.param_groups for p in g["params"]]
        if not any(id(p) in ours for p in theirs):
            raise ValueError("compile: the optimizer holds none of this model's parameters; "
                             "build it from model.parameters()")
        if lr is not None:
            for group in spec.param_groups:
                group["lr"] = lr
        return spec
    if not params:
        raise ValueError(f"compile: {type(model).__name__} has no trainable parameters")
    if isinstance(spec, str):
        key = spec.lower()
        if key not in OPTIMIZERS:
            raise ValueError(f"compile: unknown optimizer {spec!r}; expected one of "
                             f"{sorted(OPTIMIZERS)}, an Optimizer instance or class")
        cls, default_lr = OPTIMIZERS[key]
        return cls(params, lr=default_lr if lr is None else lr)
    if isinstance(spec, type) and issubclass(spec, optim.Optimizer):
        return spec(params) if lr is None else spec(params, lr=lr)
    raise TypeError(f"compile: optimizer must be a name, an Optimizer instance or an "
                    f"Optimizer class, got {type(spec).__name__}")


def compile(model, optimizer="adam", loss=None, metrics=None, lr=None):
    """Attach an optimizer, a loss and metrics to ``model`` for ``fit``/``evaluate``.

    Args:
        model: the Module (``model.compile(...)`` on a :class:`Model`).
        optimizer: "adam" | "sgd" | "rmsprop" | "adamw" | "adagrad" (built over the
            model's trainable parameters with Keras' default lr for that name: 0.01 for
            SGD, 0.001 for the others), an Optimizer class (built with its own defaults),
            or an Optimizer instance (used as is).
        loss: "categorical_crossentropy" (one-hot/probability targets (N, K)),
            "sparse_categorical_crossentropy" (integer labels (N,)), "binary_crossentropy"
            (targets in [0, 1]), "mse", "mae", a :class:`minigrad.train.losses.Loss`, or a
            callable ``fn(pred, target) -> 0-d Tensor`` (e.g. ``nn.CrossEntropyLoss()``).
            The cross-entropies take LOGITS: minigrad models end in a Linear layer and the
            softmax / sigmoid is inside the loss (``from_logits=True``); for a model that
            outputs probabilities use e.g. ``losses.CategoricalCrossentropy(
            from_logits=False)``.
        metrics: names ("accuracy" — sparse labels, one-hot targets and binary outputs
            alike —, "binary_accuracy", "categorical_accuracy",
            "sparse_categorical_accuracy", "mse", "mae") or callables ``fn(pred, target)``
            on NumPy arrays returning the batch mean.
        lr: the learning rate (overrides the default; sets every group of an instance).

    Returns:
        The :class:`CompiledConfig`, also kept on the model; the optimizer is
        ``model.optimizer`` as in Keras.
    """
    if loss is None:
        raise ValueError("compile: give a loss, e.g. loss='sparse_categorical_crossentropy'")
    check_real("compile", "lr", lr, low=0, none=True)
    if isinstance(metrics, dict):
        raise TypeError(f"compile: metrics must be a list of names or callables, got "
                        f"{got(metrics)}")
    loss_fn = losses.get(loss)
    if isinstance(metrics, (str, BatchMetric)) or callable(metrics):
        metrics = [metrics]
    batch_metrics = [_metric(m, loss_fn) for m in (metrics or [])]
    names = [m.name for m in batch_metrics]
    if len(set(names)) != len(names) or "loss" in names:
        raise ValueError(f"compile: metric names must be distinct and not 'loss', got {names}")
    config = CompiledConfig(_optimizer(model, optimizer, lr), loss_fn, batch_metrics)
    # Plain instance attributes (object.__setattr__): the loss may be a Module, and it must
    # not become a sub-module of the model (it would enter its state_dict).
    object.__setattr__(model, "_compile_config", config)
    if "optimizer" not in model._modules and not hasattr(type(model), "optimizer"):
        object.__setattr__(model, "optimizer", config.optimizer)
    return config


def as_array(a, name):
    """A host NumPy array from an array, a Tensor or nested lists."""
    if isinstance(a, Tensor):
        return a.numpy()
    a = np.asarray(a)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected numbers, got dtype {a.dtype}")
    return a
