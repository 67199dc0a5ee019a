"""``Model`` and ``Sequential``: Modules whose ``compile`` / ``fit`` / ``evaluate`` /
``predict`` methods are the functions of ``config.py`` and ``loop.py``."""
from .. import nn
from .config import compile
from .loop import evaluate, fit, predict

__all__ = ["Model", "Sequential"]


class Model(nn.Module):
    """An ``nn.Module`` that can also be compiled and trained the Keras way (Keras' name).

    Subclass it instead of ``nn.Module`` (same ``__init__`` and ``forward``), or stack layers
    in a :class:`Sequential`; all else (parameters, ``state_dict`` keys...) is the Module's.

    >>> class MLP(train.Model):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden, self.out = nn.Linear(2, 16), nn.Linear(16, 3)
    ...     def forward(self, x):                     # x (N, 2) -> logits (N, 3)
    ...         return self.out(F.relu(self.hidden(x)))
    >>> model = MLP()
    >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    >>> history = model.fit(x, y, epochs=10, validation_split=0.2)

    Any other Module is trained by the same functions: ``train.fit(module, x, y, ...)``.
    """

    compile = compile
    fit = fit
    evaluate = evaluate
    predict = predict


class Sequential(Model, nn.Sequential):
    """An ``nn.Sequential`` that is a :class:`Model` (Keras' ``Sequential``): same arguments,
    same ``state_dict`` keys ("0.weight"...); ``train.Sequential(*seq)`` shares the layers of
    an ``nn.Sequential`` ``seq``.

    >>> model = train.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    """
