"""``import minigrad.nn.functional as F`` gives minigrad.functional's functions."""
import minigrad.functional
import minigrad.nn.functional as F


def test_nn_functional_re_exports_minigrad_functional():
    assert F.__all__ == minigrad.functional.__all__
    for name in F.__all__:
        assert getattr(F, name) is getattr(minigrad.functional, name)
    assert F.relu(minigrad.tensor([-1.0, 2.0])).tolist() == [0.0, 2.0]
