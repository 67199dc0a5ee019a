"""``Embedding``: a lookup table of learned vectors, indexed by integers."""
from .. import functional as F
from ..grad_mode import no_grad
from ..parameter import Parameter
from ..tensor import Tensor
from . import init
from ._util import empty_parameter, size, unsupported
from .module import Module

__all__ = ["Embedding"]


class Embedding(Module):
    """Rows of a table: y[..., :] = weight[idx[...], :] for integer indices of any shape.

    Args:
        num_embeddings: V, the number of rows (valid indices are 0 … V − 1).
        embedding_dim: D, the size of each row.  Output shape: idx.shape + (D,).
        padding_idx: a row that is initialised to zeros and never gets a gradient (e.g. a
            padding token); negative values count from the end.

    Parameter: ``weight`` (V, D) from N(0, 1), row ``padding_idx`` zeroed, as in PyTorch.
    PyTorch's ``max_norm``, ``scale_grad_by_freq`` and ``sparse`` exist for its argument
    order; only their defaults are supported.
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
                 norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None,
                 _freeze=False, device=None, dtype=None):
        super().__init__()
        unsupported("Embedding", max_norm=(max_norm, None),
                     scale_grad_by_freq=(scale_grad_by_freq, False), sparse=(sparse, False))
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        self.num_embeddings = size(num_embeddings, "num_embeddings", "Embedding")
        self.embedding_dim = size(embedding_dim, "embedding_dim", "Embedding")
        if padding_idx is not None:
            padding_idx = int(padding_idx)
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(f"Embedding: padding_idx {padding_idx} must be within "
                                 f"num_embeddings ({self.num_embeddings})")
            padding_idx %= self.num_embeddings
        self.padding_idx = padding_idx
        if _weight is None:
            self.weight = empty_parameter((self.num_embeddings, self.embedding_dim), dtype, device)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (self.num_embeddings, self.embedding_dim):
                raise ValueError(f"Embedding: weight has shape {tuple(_weight.shape)}, "
                                 f"expected ({self.num_embeddings}, {self.embedding_dim})")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self):
        """Draw the table from N(0, 1) again and zero the padding row."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None):
        """An Embedding whose table is ``embeddings`` (V, D) (shared, not copied, if a
        Tensor); ``freeze`` turns its gradient off."""
        if not isinstance(embeddings, Tensor):
            embeddings = Tensor(embeddings)
        if embeddings.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-d, got "
                             f"{embeddings.shape}")
        v, d = embeddings.shape
        return cls(v, d, padding_idx=padding_idx, _weight=embeddings, _freeze=freeze)

    def forward(self, idx):
        """idx (any shape, integers in [0, V)) → idx.shape + (D,)."""
        return self._call(F.embedding, idx, self.weight, self.padding_idx)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s
