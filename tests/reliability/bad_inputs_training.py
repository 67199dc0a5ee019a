"""Bad inputs of data loading and of ``fit``/``evaluate``/``predict`` (the DATA group of
docs/errors.md): each refused before any batch is drawn or any epoch trained."""
import numpy as np

import minigrad
from minigrad import nn, train
from minigrad import random as mg_random
from minigrad.data import DataLoader, Subset, TensorDataset, random_split
from minigrad.data.shakespeare import CharVocab
from minigrad.data.transforms import RandomCrop
from minigrad.optim import lr_scheduler
from minigrad.train import EarlyStopping, ModelCheckpoint

from .bad_inputs import DATA, case  # noqa: F401

X = np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32)
Y = np.arange(8) % 4


def dataset(tmp):
    """Build: a TensorDataset of 8 examples, and minigrad's generator (a refused loader or
    split draws nothing from it)."""
    return {"x": X.copy(), "y": Y.copy(), "ds": TensorDataset(X.copy(), Y.copy()),
            "rng": mg_random}


def compiled(extra=lambda model, tmp: {}):
    """Build: a compiled Linear(3, 4) whose Adam has state (one step taken), minigrad's
    generator (fit's seed= must not reseed it) and ``extra(model, tmp)``."""
    def build(tmp):
        minigrad.manual_seed(0)
        model = nn.Linear(3, 4)
        train.compile(model, "adam", "sparse_categorical_crossentropy")
        model(minigrad.tensor(X)).sum().backward()
        model.optimizer.step()
        model.optimizer.zero_grad()
        return {"model": model, "opt": model.optimizer, "rng": mg_random,
                **extra(model, tmp)}
    return build


def fit(**kwargs):
    """Act: fit(model, X, Y, verbose=0, **kwargs), x and y replaceable."""
    def act(o):
        arguments = {"x": X, "y": Y, "verbose": 0, **kwargs}
        x, y = arguments.pop("x"), arguments.pop("y")
        return train.fit(o.model, x, y, **arguments)
    return act


# -- datasets, loaders, splits -------------------------------------------------------------------
case("subset_float_indices", DATA, "`Subset(ds, [0.9, 1.9])`: float indices (used to become "
     "rows 0 and 1)", dataset, lambda o: Subset(o.ds, [0.9, 1.9]), TypeError,
     ["Subset: indices must be ints", "float64", "0.9 (float)"])
case("subset_index_out_of_range", DATA, "`Subset` with an index past the dataset's end",
     dataset, lambda o: Subset(o.ds, [0, 8]), ValueError,
     ["Subset: indices must be in [-8, 8)", "8 items", "got 8"])
case("subset_bool_mask", DATA, "`Subset` given a bool mask instead of indices", dataset,
     lambda o: Subset(o.ds, o.y > 1), TypeError,
     ["Subset: indices must be ints", "bool mask", "np.flatnonzero(mask)"])
case("dataloader_seed_str", DATA, "`DataLoader(seed=\"abc\")`", dataset,
     lambda o: DataLoader(o.ds, seed="abc"), TypeError,
     ["DataLoader: seed must be None or an int ≥ 0", "'abc' (str)"])
case("dataloader_seed_negative", DATA, "`DataLoader(seed=-1)`", dataset,
     lambda o: DataLoader(o.ds, shuffle=True, seed=-1), ValueError,
     ["DataLoader: seed", "int ≥ 0", "got -1"])
case("dataloader_shuffle_str", DATA, "`DataLoader(shuffle=\"yes\")`", dataset,
     lambda o: DataLoader(o.ds, shuffle="yes"), TypeError,
     ["DataLoader: shuffle must be True or False", "'yes' (str)"])
case("dataloader_drop_last_int", DATA, "`DataLoader(drop_last=1)`", dataset,
     lambda o: DataLoader(o.ds, drop_last=1), TypeError,
     ["DataLoader: drop_last must be True or False", "1 (int)"])
case("dataloader_batch_size_float", DATA, "`DataLoader(batch_size=32.0)`", dataset,
     lambda o: DataLoader(o.ds, batch_size=32.0), TypeError,
     ["DataLoader: batch_size must be an int ≥ 1", "32.0 (float)"])
case("dataloader_batch_size_zero", DATA, "`DataLoader(batch_size=0)`", dataset,
     lambda o: DataLoader(o.ds, batch_size=0), ValueError,
     ["DataLoader: batch_size must be an int ≥ 1", "got 0"])
case("dataloader_dataset_int", DATA, "`DataLoader(5)`: not a dataset", dataset,
     lambda o: DataLoader(5), TypeError,
     ["DataLoader: dataset must be a Dataset, an array or a tuple of arrays", "int"])
case("dataloader_string_field", DATA, "a DataLoader over strings, which no batch could hold",
     dataset, lambda o: DataLoader((o.x, np.array(["a"] * 8))), TypeError,
     ["DataLoader: field 1", "dtype <U1", "bool, integer or floating-point"])
case("random_split_fractions_not_summing", DATA, "`random_split` fractions summing to 0.9",
     dataset, lambda o: random_split(o.ds, [0.5, 0.4]), ValueError,
     ["random_split: lengths must be fractions in [0, 1] summing to 1", "[0.5, 0.4]"])
case("random_split_negative_length", DATA, "`random_split` with a negative length", dataset,
     lambda o: random_split(o.ds, [10, -2]), ValueError,
     ["random_split: lengths must be non-negative ints", "size 8", "[10, -2]"])
case("random_split_scalar_lengths", DATA, "`random_split(ds, 0.8)`: one fraction, not a list",
     dataset, lambda o: random_split(o.ds, 0.8), TypeError,
     ["random_split: lengths must be a sequence", "0.8 (float)"])
case("random_split_seed_float", DATA, "`random_split(seed=0.5)`", dataset,
     lambda o: random_split(o.ds, [4, 4], seed=0.5), TypeError,
     ["random_split: seed", "0.5 (float)"])
case("random_crop_float_size", DATA, "`RandomCrop((2.5, 3))` (used to crop 2 × 3)", dataset,
     lambda o: RandomCrop((2.5, 3)), TypeError,
     ["RandomCrop: size must be an int ≥ 1 or (height, width)", "(2.5, 3) (tuple)"])
case("char_vocab_decode_out_of_range", DATA, "`CharVocab.decode` of an id past the vocabulary",
     dataset, lambda o: CharVocab("hello").decode([0, 7]), ValueError,
     ["CharVocab.decode: ids must be in [0, 4)", "got 7"])

# -- fit / evaluate / predict ----------------------------------------------------------------
case("fit_model_not_a_module", DATA, "`fit` of something that is not a Module",
     compiled(), lambda o: train.fit("mlp", X, Y), TypeError,
     ["fit: model must be a minigrad Module", "'mlp' (str)"])
case("fit_epochs_float", DATA, "`fit(epochs=2.0)`", compiled(), fit(epochs=2.0), TypeError,
     ["fit: epochs must be an int ≥ 0", "2.0 (float)"])
case("fit_batch_size_str", DATA, "`fit(batch_size=\"32\")`", compiled(),
     fit(batch_size="32"), TypeError, ["fit: batch_size must be an int ≥ 1", "'32' (str)"])
case("fit_verbose_bool", DATA, "`fit(verbose=True)`", compiled(), fit(verbose=True),
     TypeError, ["fit: verbose must be 0, 1 or 2", "True (bool)"])
case("fit_shuffle_str", DATA, "`fit(shuffle=\"yes\")`", compiled(), fit(shuffle="yes"),
     TypeError, ["fit: shuffle must be True or False", "'yes' (str)"])
case("fit_seed_str", DATA, "`fit(seed=\"abc\")`: refused before the generator is reseeded",
     compiled(), fit(seed="abc"), TypeError, ["fit: seed", "'abc' (str)"])
case("fit_initial_epoch_after_epochs", DATA, "`fit(epochs=2, initial_epoch=5)`: nothing to "
     "train", compiled(), fit(epochs=2, initial_epoch=5), ValueError,
     ["fit: initial_epoch must be ≤ epochs", "initial_epoch=5", "epochs=2"])
case("fit_validation_split_str", DATA, "`fit(validation_split=\"0.2\")`", compiled(),
     fit(validation_split="0.2"), TypeError,
     ["fit: validation_split must be a finite number in [0, 1)", "'0.2' (str)"])
case("fit_validation_data_bare_array", DATA, "`fit(validation_data=x_val)` without y_val",
     compiled(), fit(validation_data=X), TypeError,
     ["fit: validation_data must be (x_val, y_val)", "ndarray of shape (8, 3)"])
case("fit_validation_data_other_shape", DATA, "validation samples shaped unlike x's (failed "
     "after the first epoch)", compiled(), fit(validation_data=(X[:, :2], Y)), ValueError,
     ["fit: validation_data has samples of shape (2,)", "x has (3,)"])
case("fit_callbacks_not_a_list", DATA, "`fit(callbacks=EarlyStopping(...))`, not in a list",
     compiled(), fit(callbacks=EarlyStopping(patience=2)), TypeError,
     ["fit: callbacks must be a list of Callbacks", "one EarlyStopping",
      "callbacks=[EarlyStopping(...)]"])
case("fit_dataloader_and_y", DATA, "`fit(DataLoader, y)`: the loader yields (x, y) already",
     compiled(lambda model, tmp: {"loader": DataLoader((X, Y), batch_size=4)}),
     lambda o: train.fit(o.model, o.loader, Y, verbose=0), ValueError,
     ["fit: y must be None when x is a DataLoader", "got y of type ndarray"])
case("fit_dataloader_without_targets", DATA, "`fit(DataLoader(x))`: batches without targets",
     compiled(lambda model, tmp: {"loader": DataLoader(X, batch_size=4)}),
     lambda o: train.fit(o.model, o.loader, verbose=0), ValueError,
     ["fit: x is a DataLoader whose batches have 1 fields", "(x, y) pairs"])
case("fit_no_samples", DATA, "`fit` on 0 samples (returned an empty History)", compiled(),
     fit(x=X[:0], y=Y[:0]), ValueError, ["fit: x has no samples", "(0, 3)"])
case("fit_empty_dataloader", DATA, "`fit` on a DataLoader of 0 batches (drop_last, batch_size "
     "> N)", compiled(lambda model, tmp: {
         "loader": DataLoader((X, Y), batch_size=16, drop_last=True)}),
     lambda o: train.fit(o.model, o.loader, verbose=0), ValueError,
     ["fit: x has no samples", "DataLoader of 0 batches", "8 items, batch_size=16"])
case("fit_model_checkpoint_val_key_without_validation", DATA,
     "`ModelCheckpoint(\"{val_loss}.ckpt\")` without validation data (failed after an epoch)",
     compiled(), lambda o: train.fit(o.model, X, Y, verbose=0, callbacks=[
         ModelCheckpoint("{val_loss:.3f}.ckpt")]), ValueError,
     ["fit: callbacks: ModelCheckpoint's filepath '{val_loss:.3f}.ckpt' uses 'val_loss'",
      "no validation data", "['epoch', 'loss']"])
case("fit_plateau_without_validation", DATA, "a ReduceLROnPlateau on val_loss without "
     "validation data (failed after an epoch)", compiled(lambda model, tmp: {
         "plateau": lr_scheduler.ReduceLROnPlateau(model.optimizer)}),
     lambda o: train.fit(o.model, X, Y, verbose=0, callbacks=[o.plateau]), ValueError,
     ["fit: callbacks: ReduceLROnPlateau monitors 'val_loss'", "['loss']",
      "no validation data"])
case("fit_checkpoint_missing_directory", DATA, "`fit(checkpoint=\"missing_dir/x\")` (failed "
     "after the first epoch trained)", compiled(lambda model, tmp: {
         "target": tmp / "missing_dir" / "x.ckpt"}),
     lambda o: train.fit(o.model, X, Y, verbose=0, checkpoint=o.target), FileNotFoundError,
     ["fit: checkpoint=", "x.ckpt' is in a directory that does not exist", "missing_dir"])
case("fit_checkpoint_every_without_checkpoint", DATA, "`fit(checkpoint_every=2)` without a "
     "checkpoint file", compiled(), fit(checkpoint_every=2), ValueError,
     ["fit: checkpoint_every=2 needs checkpoint=path", "checkpoint=None"])
case("fit_resume_int", DATA, "`fit(resume=1)`", compiled(), fit(resume=1), TypeError,
     ["fit: resume must be None, True, False or a path", "1 (int)"])
case("evaluate_batch_size_zero", DATA, "`evaluate(batch_size=0)`", compiled(),
     lambda o: train.evaluate(o.model, X, Y, batch_size=0, verbose=0), ValueError,
     ["evaluate: batch_size must be an int ≥ 1", "got 0"])
case("evaluate_without_targets", DATA, "`evaluate(x)` with arrays and no y", compiled(),
     lambda o: train.evaluate(o.model, X, verbose=0), ValueError,
     ["evaluate: y is required with arrays x", "y=None"])
case("predict_no_samples", DATA, "`predict` on 0 samples", compiled(),
     lambda o: train.predict(o.model, X[:0]), ValueError,
     ["predict: x has no samples", "(0, 3)"])
case("predict_verbose_three", DATA, "`predict(verbose=3)`", compiled(),
     lambda o: train.predict(o.model, X, verbose=3), ValueError,
     ["predict: verbose must be 0, 1 or 2", "got 3"])
case("early_stopping_patience_str", DATA, "`EarlyStopping(patience=\"3\")` (used to become 3)",
     compiled(), lambda o: EarlyStopping(patience="3"), TypeError,
     ["EarlyStopping: patience must be an int ≥ 0", "'3' (str)"])
case("model_checkpoint_bad_template", DATA, "`ModelCheckpoint(\"ckpt-{epoch\")`: a template "
     "that cannot be formatted (failed after an epoch)", compiled(),
     lambda o: ModelCheckpoint("ckpt-{epoch"), ValueError,
     ["ModelCheckpoint: filepath 'ckpt-{epoch' is not a valid template", "{{ and }}"])
case("compile_lr_nan", DATA, "`compile(lr=nan)` over a compiled model", compiled(),
     lambda o: train.compile(o.model, "sgd", "mse", lr=float("nan")), ValueError,
     ["compile: lr must be None or a finite number ≥ 0", "got nan"])
