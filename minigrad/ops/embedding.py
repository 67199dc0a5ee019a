"""Lookup tables: embedding (rows of a weight matrix picked by index) and one_hot."""
from .._check import check_int
from .. import dtypes
from ..function import Function
from ..tensor import Tensor

__all__ = ["embedding", "one_hot"]


class Embedding(Function):
    """Row lookup in a table W (V, D) by integer indices idx of any shape.

    forward:   y[..., :] = W[idx[...], :]
    backward:  dW[v] = Σ over positions with idx = v of dy[..., :]   (repeats accumulate);
               row ``padding_idx`` gets no gradient
    """

    def forward(self, idx, w, padding_idx=None):
        self.save_for_backward(idx)
        self.w_shape, self.w_dtype, self.padding_idx = w.shape, w.dtype, padding_idx
        return w[idx]

    def backward(self, dy):
        (idx,) = self.saved
        xp = self.xp
        rows, dy = idx.reshape(-1), dy.reshape(-1, self.w_shape[1])
        dw = xp.zeros(self.w_shape, dtype=self.w_dtype)
        if rows.size:
            # sorted, the positions of one index are adjacent and one reduceat sums each
            # group: 5x faster than add.at's row-by-row scatter (0.11 vs 0.67 ms, 768 × 128)
            order = xp.argsort(rows, kind="stable")
            rows = rows[order]
            starts = xp.flatnonzero(xp.concatenate((xp.ones(1, bool), rows[1:] != rows[:-1])))
            dw[rows[starts]] = xp.add.reduceat(dy[order], starts, axis=0)
        if self.padding_idx is not None:
            dw[self.padding_idx] = 0
        return None, dw


def _indices(op, idx, n, device):
    if not isinstance(idx, Tensor):
        idx = Tensor(idx)
    if idx.device != device:
        raise RuntimeError(f"{op}: indices on {idx.device}, table on {device}")
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be integers, got dtype {idx.dtype}")
    if idx._data.size and (int(idx._data.min()) < 0 or int(idx._data.max()) >= n):
        bad = int(idx._data.min()) if int(idx._data.min()) < 0 else int(idx._data.max())
        raise IndexError(f"{op}: index {bad} is out of range for {n} entries "
                         f"(expected 0 ≤ index < {n})")
    return idx


def embedding(input, weight, padding_idx=None):
    """Rows of ``weight`` (num_embeddings, dim) at the integer ``input`` indices."""
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        raise ValueError("embedding: weight must be a (num_embeddings, embedding_dim) Tensor")
    idx = _indices("embedding", input, weight.shape[0], weight.device)
    if padding_idx is not None:
        n = weight.shape[0]
        if not -n <= check_int("embedding", "padding_idx", padding_idx) < n:
            raise ValueError(f"embedding: padding_idx must be in [{-n}, {n}), got "
                             f"{padding_idx}")
        padding_idx = int(padding_idx) % n
    return Embedding.apply(idx, weight, padding_idx=padding_idx)


def one_hot(input, num_classes=-1):
    """int64 one-hot encoding: shape input.shape + (num_classes,); -1 means max + 1."""
    if not isinstance(input, Tensor):
        input = Tensor(input)
    if input.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expects integer class indices, got dtype {input.dtype}")
    if check_int("one_hot", "num_classes", num_classes, low=-1) == -1:
        num_classes = int(input._data.max()) + 1 if input._data.size else 0
    idx = _indices("one_hot", input, num_classes, input.device)
    xp = idx.xp
    return Tensor._wrap(xp.eye(num_classes, dtype=dtypes.int64)[idx._data])
