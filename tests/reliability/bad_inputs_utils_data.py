"""Bad inputs of ``minigrad.utils.data`` (PyTorch's DataLoader options, samplers,
``random_split(generator=)``, ``ConcatDataset``, ``default_collate``) and of ``save``/``load``
with file objects (issue 20, items 5 and 9; groups DATA and SAVING of docs/errors.md).  Each
is refused before any batch is drawn, any byte written or the generator moved."""
import io

import numpy as np

import minigrad
from minigrad import nn
from minigrad import random as mg_random
from minigrad.utils import data

from .bad_inputs import DATA, SAVING, case, saved_model_file

X = np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32)
Y = np.arange(8) % 4


def dataset(tmp):
    """Build: a TensorDataset of 8 examples and minigrad's generator (a refused loader,
    sampler or split draws nothing from it)."""
    return {"x": X.copy(), "y": Y.copy(), "ds": data.TensorDataset(X.copy(), Y.copy()),
            "rng": mg_random}


def saved(tmp):
    """Build: a model's state saved to bytes, and the model."""
    minigrad.manual_seed(0)
    model = nn.Linear(3, 4)
    buffer = io.BytesIO()
    minigrad.save(model.state_dict(), buffer)
    return {"model": model, "bytes": buffer.getvalue(), "rng": mg_random}


def opened(path, read):
    """Act: ``read`` an open binary file of ``path`` (closed afterwards)."""
    with open(path, "rb") as f:
        return read(f)


# -- DataLoader: PyTorch's options ------------------------------------------------------------- ---
case("dataloader_sampler_and_shuffle", DATA, "`DataLoader(ds, sampler=s, shuffle=True)`",
     dataset, lambda o: data.DataLoader(o.ds, sampler=[0, 1], shuffle=True), ValueError,
     ["DataLoader: sampler option is mutually exclusive with shuffle",
      "got sampler=[0, 1] (list) and shuffle=True"])
case("dataloader_batch_sampler_and_batch_size", DATA,
     "`DataLoader(ds, batch_sampler=b, batch_size=4)`", dataset,
     lambda o: data.DataLoader(o.ds, batch_sampler=[[0, 1]], batch_size=4), ValueError,
     ["DataLoader: batch_sampler option is mutually exclusive with batch_size, shuffle, "
      "sampler, and drop_last", "got batch_size=4"])
case("dataloader_num_workers_negative", DATA, "`DataLoader(num_workers=-1)`", dataset,
     lambda o: data.DataLoader(o.ds, num_workers=-1), ValueError,
     ["DataLoader: num_workers must be an int ≥ 0", "got -1"])
case("dataloader_generator_int", DATA, "`DataLoader(generator=42)`: a seed, not a Generator",
     dataset, lambda o: data.DataLoader(o.ds, shuffle=True, generator=42), TypeError,
     ["DataLoader: generator must be a minigrad.Generator or None", "42 (int)"])
case("dataloader_generator_and_seed", DATA, "`DataLoader(generator=g, seed=0)`", dataset,
     lambda o: data.DataLoader(o.ds, shuffle=True, generator=minigrad.Generator(), seed=0),
     ValueError, ["DataLoader: give generator= or seed=, not both", "got seed=0"])
case("dataloader_persistent_workers_without_workers", DATA,
     "`DataLoader(persistent_workers=True)` with num_workers=0", dataset,
     lambda o: data.DataLoader(o.ds, persistent_workers=True), ValueError,
     ["DataLoader: persistent_workers option needs num_workers > 0"])
case("dataloader_batch_size_none", DATA,
     "`DataLoader(batch_size=None)`: PyTorch's unbatched loading", dataset,
     lambda o: data.DataLoader(o.ds, batch_size=None), TypeError,
     ["DataLoader: batch_size must be an int ≥ 1", "None (NoneType)", "not implemented"])
case("dataloader_collate_fn_not_callable", DATA, "`DataLoader(collate_fn=\"stack\")`",
     dataset, lambda o: data.DataLoader(o.ds, collate_fn="stack"), TypeError,
     ["DataLoader: collate_fn must be None or a callable", "'stack' (str)"])
case("dataloader_sampler_index_out_of_range", DATA,
     "a sampler yielding an index past the dataset's end", dataset,
     lambda o: next(iter(data.DataLoader(o.ds, sampler=[8, 0]))), ValueError,
     ["DataLoader: indices must be in [-8, 8) for a dataset of 8 items", "got 8"])

# -- samplers, splits, ConcatDataset, collation ------------------------------------------------ ---
case("random_sampler_num_samples_zero", DATA, "`RandomSampler(ds, num_samples=0)`", dataset,
     lambda o: data.RandomSampler(o.ds, num_samples=0), ValueError,
     ["RandomSampler: num_samples must be None or an int ≥ 1", "got 0"])
case("batch_sampler_batch_size_float", DATA, "`BatchSampler(sampler, 32.0, False)`", dataset,
     lambda o: data.BatchSampler(data.SequentialSampler(o.ds), 32.0, False), TypeError,
     ["BatchSampler: batch_size must be an int ≥ 1", "32.0 (float)"])
case("weighted_sampler_too_many_without_replacement", DATA,
     "`WeightedRandomSampler([0, 1, 1], 3, replacement=False)`", dataset,
     lambda o: data.WeightedRandomSampler([0, 1, 1], 3, replacement=False), ValueError,
     ["WeightedRandomSampler: cannot draw 3 samples without replacement from 2 non-zero "
      "weights"])
case("random_split_generator_int", DATA, "`random_split(ds, [6, 2], 42)`: a seed where the "
     "Generator goes", dataset, lambda o: data.random_split(o.ds, [6, 2], 42), TypeError,
     ["random_split: generator must be a minigrad.Generator or None", "42 (int)",
      "pass seed=42"])
case("concat_dataset_empty", DATA, "`ConcatDataset([])`", dataset,
     lambda o: data.ConcatDataset([]), ValueError,
     ["ConcatDataset: datasets should not be an empty iterable", "got [] (list)"])
case("concat_dataset_index_out_of_range", DATA, "`ConcatDataset([a, b])[len]`", dataset,
     lambda o: data.ConcatDataset([o.ds, o.ds])[16], IndexError,
     ["ConcatDataset: index 16 is out of range for a dataset of 16 items"])
case("default_collate_ragged", DATA, "`default_collate` of samples with different numbers of "
     "fields", dataset, lambda o: data.default_collate([(o.x[0], 1), (o.x[1],)]), RuntimeError,
     ["default_collate: each element in list of batch should be of equal size"])
case("default_collate_object", DATA, "`default_collate` of samples that are not data",
     dataset, lambda o: data.default_collate([None, None]), TypeError,
     ["default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists",
      "NoneType"])

# -- save / load with file objects ------------------------------------------------------------- ---
case("save_to_text_file_object", SAVING, "`save(obj, io.StringIO())`: a text-mode file",
     saved, lambda o: minigrad.save(o.model.state_dict(), io.StringIO()), TypeError,
     ["save: f is a file opened in text mode (StringIO)", "'wb'"])
case("save_module_to_file_object", SAVING, "`save(model, buffer)`: the Module, not its "
     "state_dict", saved, lambda o: minigrad.save(o.model, io.BytesIO()), TypeError,
     ["save: cannot save obj", "save its state_dict() instead"])
case("load_truncated_file_object", SAVING, "`load` of an open file (`open(path, \"rb\")`) "
     "holding a truncated file", lambda tmp: {"path": saved_model_file(
         tmp, "model.pt", lambda b: b[:-40])}, lambda o: opened(o.path, minigrad.load),
     minigrad.CheckpointFormatError,
     ["load: the file object of 'model.pt' is not a valid minigrad file", "truncated"])
case("load_weights_only_str", SAVING, "`load(f, weights_only=\"true\")`", saved,
     lambda o: minigrad.load(io.BytesIO(o.bytes), weights_only="true"), TypeError,
     ["load: weights_only must be True, False or None", "'true' (str)"])
case("load_map_location_function", SAVING, "`load(f, map_location=lambda s, loc: s)`",
     saved, lambda o: minigrad.load(io.BytesIO(o.bytes), map_location=lambda s, loc: s),
     TypeError, ["load: map_location must be None, 'cpu' or 'cuda'", "a function (PyTorch's "
                 "storage remapping) is not implemented"])
case("load_int", SAVING, "`load(3)`: neither a path nor a file object", saved,
     lambda o: minigrad.load(3), TypeError,
     ["load: f must be a file path (str, bytes or os.PathLike) or a binary file object",
      "got int"])
