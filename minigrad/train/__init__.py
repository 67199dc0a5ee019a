"""``minigrad.train``: Keras' ``compile`` / ``fit`` / ``evaluate`` / ``predict``, with
callbacks and losses by name, as methods of :class:`Model` and :class:`Sequential`.

>>> model = train.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))   # logits
>>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
...               metrics=["accuracy"])
>>> history = model.fit(x, y, epochs=10, validation_split=0.2,
...                     callbacks=[EarlyStopping(patience=2, restore_best_weights=True)])
>>> model.evaluate(x_test, y_test)            # [loss, accuracy]
>>> probs = model.predict(x_test)             # NumPy logits (N, 3)

``model.fit(..., checkpoint="run.ckpt", resume=True)`` writes the whole training state after
every epoch (``checkpoint_every=n``: also every n batches) and, when that file exists,
continues from it, bit-identically to a run never interrupted (CPU); see ``resume.py``.

The methods are the functions here: ``model.fit(x, y, ...)`` is ``train.fit(model, x, y,
...)``, which also trains any other Module.  tqdm (progress bars) is imported only when fit
shows a bar.
"""
from . import losses
from .callbacks import (Callback, EarlyStopping, History, LearningRateScheduler,
                        LRSchedulerCallback, ModelCheckpoint, TerminateOnNaN)
from .config import CompiledConfig, compile, get_config
from .loop import evaluate, fit, predict
from .model import Model, Sequential

__all__ = ["Model", "Sequential", "compile", "fit", "evaluate", "predict", "get_config",
           "CompiledConfig", "Callback", "History", "EarlyStopping", "ModelCheckpoint",
           "LearningRateScheduler", "LRSchedulerCallback", "TerminateOnNaN", "losses"]
