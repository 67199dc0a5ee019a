"""The argument helpers shared by the op wrappers (minigrad/ops/_util.py)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minigrad.ops._util import check_broadcast

shape = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=3)   # 0: empty axes


@given(shapes=st.lists(shape, min_size=2, max_size=3))
def test_check_broadcast_agrees_with_numpy(shapes):
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        with pytest.raises(ValueError, match=r"^mul: shapes .* do not broadcast"):
            check_broadcast("mul", *shapes)
    else:
        check_broadcast("mul", *shapes)


@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=4))
def test_check_broadcast_accepts_every_broadcastable_triple(shapes):
    check_broadcast("where", *shapes.input_shapes)


def test_an_empty_axis_broadcasts_like_any_other_size():
    check_broadcast("add", (0,), (1,))                 # (0,): an axis of 1 stretches to 0
    with pytest.raises(ValueError, match=r"add: shapes \(0,\) and \(1,\) and \(5,\)"):
        check_broadcast("add", (0,), (1,), (5,))       # but 0 and 5 disagree
