"""Optimizers and learning-rate schedules, with PyTorch's names, options and update rules.

>>> opt = minigrad.optim.Adam(model.parameters(), lr=1e-3)
>>> for x, y in batches:
...     opt.zero_grad()
...     loss = F.cross_entropy(model(x), y)
...     loss.backward()
...     opt.step()

Each optimizer is a per-parameter rule ``update(p, g, state, group)`` on raw arrays (NumPy
or CuPy), run by :class:`Optimizer.step` under ``no_grad``; the rules are written out in
each class's docstring.
"""
from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta",
           "lr_scheduler"]
