"""Against PyTorch itself (skipped where it is not installed): a torch state dict converted
to NumPy loads as is and gives the same outputs; keys, shapes, dtypes and reprs match."""
import numpy as np
import pytest

import minigrad
from minigrad import nn

from .test_container import SMALL_CNN_KEYS, small_cnn

torch = pytest.importorskip("torch")
tnn = torch.nn


def torch_small_cnn():
    return tnn.Sequential(
        tnn.Conv2d(1, 4, 3, padding=1), tnn.BatchNorm2d(4), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(4, 8, 3, padding="same"), tnn.BatchNorm2d(8), tnn.ReLU(), tnn.AvgPool2d(2),
        tnn.Flatten(), tnn.Linear(8 * 2 * 2, 10), tnn.Dropout(0.1))


def _to_numpy(state_dict):
    return {k: v.detach().numpy() for k, v in state_dict.items()}


def test_state_dict_keys_shapes_and_dtypes_match_pytorch():
    ours, theirs = small_cnn().state_dict(), torch_small_cnn().state_dict()
    assert list(ours) == list(theirs) == SMALL_CNN_KEYS
    for k in ours:
        assert ours[k].shape == tuple(theirs[k].shape), k
        assert ours[k].dtype == _to_numpy(theirs)[k].dtype, k


def test_a_pytorch_state_dict_loads_and_gives_the_same_outputs():
    torch.manual_seed(0)
    reference = torch_small_cnn()
    x = np.random.default_rng(0).standard_normal((6, 1, 8, 8)).astype(np.float32)
    reference.train()
    reference[10].p = 0.0                       # dropout off: the masks differ by design
    for _ in range(2):                          # move the running statistics away from 0/1
        reference(torch.from_numpy(x))
    model = small_cnn()
    model[10].p = 0.0
    assert model.load_state_dict(_to_numpy(reference.state_dict())) == ([], [])
    assert model.state_dict()["1.num_batches_tracked"].item() == 2

    want = reference(torch.from_numpy(x)).detach().numpy()      # training mode
    got = model(minigrad.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    theirs = _to_numpy(reference.state_dict())
    for k, v in model.state_dict().items():                     # same running statistics
        np.testing.assert_allclose(v.numpy(), theirs[k], rtol=1e-5, atol=1e-6, err_msg=k)

    reference.eval()
    model.eval()
    want = reference(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(model(minigrad.tensor(x)).numpy(), want, rtol=1e-4, atol=1e-5)


def test_parameter_gradients_match_pytorch():
    torch.manual_seed(1)
    reference = tnn.Sequential(tnn.Linear(5, 4), tnn.LayerNorm(4), tnn.GELU(),
                               tnn.Linear(4, 3))
    model = nn.Sequential(nn.Linear(5, 4), nn.LayerNorm(4), nn.GELU(), nn.Linear(4, 3))
    model.load_state_dict(_to_numpy(reference.state_dict()))
    rng = np.random.default_rng(0)
    x, t = rng.standard_normal((7, 5)).astype(np.float32), rng.integers(0, 3, 7)
    t[2] = -100
    tnn.CrossEntropyLoss(label_smoothing=0.2)(reference(torch.from_numpy(x)),
                                             torch.from_numpy(t)).backward()
    nn.CrossEntropyLoss(label_smoothing=0.2)(model(minigrad.tensor(x)),
                                             minigrad.tensor(t)).backward()
    for (name, p), q in zip(model.named_parameters(), reference.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-6,
                                   err_msg=name)


def test_batch_norm_cumulative_momentum_matches_pytorch():
    reference, ours = tnn.BatchNorm1d(3, momentum=None), nn.BatchNorm1d(3, momentum=None)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.standard_normal((5, 3, 2)).astype(np.float32)
        reference(torch.from_numpy(x))
        ours(minigrad.tensor(x))
    theirs = _to_numpy(reference.state_dict())
    for k, v in ours.state_dict().items():
        np.testing.assert_allclose(v.numpy(), theirs[k], rtol=1e-5, err_msg=k)


@pytest.mark.parametrize("make", [
    lambda m: m.Linear(784, 10, bias=False),
    lambda m: m.Conv2d(2, 3, (3, 5), stride=2, dilation=2, bias=False),
    lambda m: m.Conv2d(1, 2, 3, padding="same"),
    lambda m: m.MaxPool2d(3, 1, 1), lambda m: m.AvgPool2d(2),
    lambda m: m.Embedding(10, 3, padding_idx=-2), lambda m: m.Dropout(0.25),
    lambda m: m.LeakyReLU(0.3), lambda m: m.GELU("tanh"), lambda m: m.LogSoftmax(dim=1),
    lambda m: m.Flatten(0), lambda m: m.Identity(), lambda m: m.MSELoss(),
    lambda m: m.ModuleList([m.ReLU(), m.Sequential(m.Tanh())]),
    lambda m: m.ModuleList([m.Linear(2, 2), m.Linear(2, 2), m.Linear(2, 2), m.ReLU(),
                            m.Sequential(m.Tanh(), m.Tanh()), m.ModuleList()]),
])
def test_reprs_match_pytorch(make):
    assert repr(make(nn)) == repr(make(tnn))
