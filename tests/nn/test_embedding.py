"""Embedding: padding row, pretrained tables."""
import numpy as np
import pytest

import minigrad
from minigrad import nn


def test_padding_row_is_zero_and_gets_no_gradient():
    minigrad.manual_seed(0)
    emb = nn.Embedding(4, 3, padding_idx=-1)
    assert emb.padding_idx == 3 and not emb.weight.numpy()[3].any()
    out = emb(minigrad.tensor([[3, 1], [1, 0]]))
    assert out.shape == (2, 2, 3) and not out.numpy()[0, 0].any()
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[:, 0], [1, 2, 0, 0])


def test_from_pretrained_shares_and_freezes():
    table = minigrad.tensor(np.arange(6.0).reshape(3, 2))
    emb = nn.Embedding.from_pretrained(table)
    assert emb.weight._data is table._data and not emb.weight.requires_grad
    np.testing.assert_array_equal(emb(minigrad.tensor([2])).numpy(), [[4, 5]])
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    with pytest.raises(ValueError, match="must be 2-d"):
        nn.Embedding.from_pretrained(minigrad.zeros(3))
