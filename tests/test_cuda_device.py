"""The ``"cuda"`` device end to end: moving tensors and modules, device checks, optimizer
state, checkpoints across devices, training, CUDA detection and ``minigrad.doctor()``.

Without a GPU these run on the CPU stand-in (tests/cuda_standin.py, the ``cuda_device``
fixture); on a GPU machine the same tests run on the real device.
"""
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import minigrad
import minigrad.functional as F
from minigrad import backend, nn, optim, train

from .cuda_standin import HostDeviceMixError, StandinArray, standin


def small_cnn(device=None):
    minigrad.manual_seed(0)
    model = train.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.1),
                             nn.Linear(3 * 4 * 4, 4))
    return model if device is None else model.to(device)


def blobs(n=96, seed=0):
    """Four classes of 8×8 images, each class a bright quadrant: learnable in a few steps."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    x = rng.normal(0, 0.3, (n, 1, 8, 8)).astype(np.float32)
    for i, c in enumerate(y):
        r, s = divmod(int(c), 2)
        x[i, 0, 4 * r:4 * r + 4, 4 * s:4 * s + 4] += 1.0
    return x, y


# -- the stand-in itself: it must refuse what CuPy refuses ---------------------------------

def test_standin_refuses_host_arrays_mixed_with_device_arrays():
    d = standin.asarray(np.ones(3, np.float32))
    assert isinstance(d, StandinArray) and isinstance(d + d, StandinArray)
    with pytest.raises(HostDeviceMixError, match="add: a host numpy.ndarray"):
        d + np.ones(3, np.float32)
    with pytest.raises(HostDeviceMixError):
        np.concatenate([d, np.ones(3)])
    with pytest.raises(HostDeviceMixError):
        standin.maximum(np.ones(3), 0)
    assert isinstance(d.sum(), StandinArray) and d.sum().ndim == 0   # 0-d, like CuPy
    assert isinstance(d.argmax(), StandinArray)
    assert type(d.get()) is np.ndarray


def test_a_kernel_returning_host_arrays_is_caught(cuda_device):
    """The stand-in is what makes the device tests able to fail: a cuda kernel that
    computes on the host hands back a CPU array, and the engine refuses it."""
    if not isinstance(backend.xp_for(cuda_device).asarray(np.zeros(1)), StandinArray):
        pytest.skip("real GPU: the stand-in is not in use")

    def matmul_on_host(a, b):
        return np.matmul(np.asarray(a), np.asarray(b))       # silently back to the host

    backend.register_kernel("matmul", "cuda", "host_test", matmul_on_host)
    try:
        a = minigrad.ones(2, 2, device=cuda_device, requires_grad=True)
        with backend.use_kernels("cuda", matmul="host_test"):
            with pytest.raises(RuntimeError,
                               match="MatMul.forward returned an array on cpu for inputs on cuda"):
                a @ a
    finally:
        backend.unregister_kernel("matmul", "cuda", "host_test")


# -- moving data -------------------------------------------------------------------------

def test_tensor_to_and_back(cuda_device):
    x = minigrad.tensor([[1.0, -2.0], [3.0, 4.0]], requires_grad=True)
    g = x.to(cuda_device)
    assert g.device == "cuda" and g.dtype == x.dtype and g.requires_grad
    assert g.to("cuda") is g and x.to("cpu") is x
    back = g.numpy()
    assert type(back) is np.ndarray and back.tolist() == [[1.0, -2.0], [3.0, 4.0]]
    (g * g).sum().backward()                  # the gradient flows back through to()
    assert x.grad.device == "cpu"
    np.testing.assert_array_equal(x.grad.numpy(), 2 * back)
    made = minigrad.tensor([1, 2], device=cuda_device)
    assert made.device == "cuda" and made.dtype == minigrad.int64
    assert minigrad.zeros(2, 3, device=cuda_device).device == "cuda"
    assert minigrad.randn(2, device=cuda_device).device == "cuda"
    assert "device='cuda'" in repr(made)
    with pytest.raises(TypeError, match="cannot convert a cuda tensor to a NumPy array"):
        np.array(made)


def test_ops_refuse_tensors_on_two_devices(cuda_device):
    a = minigrad.ones(2, 2)
    b = minigrad.ones(2, 2, device=cuda_device)
    with pytest.raises(RuntimeError, match=r"Add: expected all inputs on one device, got "
                                           r"\(2, 2\) on cpu, \(2, 2\) on cuda"):
        a + b
    with pytest.raises(RuntimeError, match="MatMul: expected all inputs on one device"):
        a @ b
    logits = minigrad.zeros(2, 3, device=cuda_device)
    with pytest.raises(RuntimeError, match="cross_entropy: logits on cuda, target on cpu"):
        F.cross_entropy(logits, minigrad.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="__iadd__: tensor on cuda, operand on cpu"):
        b += a


def test_module_to_moves_parameters_buffers_and_grads(cuda_device):
    model = small_cnn()
    x, _ = blobs(4)
    model(minigrad.tensor(x)).sum().backward()
    params = list(model.parameters())
    model.to(cuda_device)
    assert list(model.parameters()) == params      # the same Parameter objects
    for t in list(model.parameters()) + list(model.buffers()):
        assert t.device == "cuda"
    assert all(p.grad.device == "cuda" for p in params)
    assert model[1].num_batches_tracked.dtype == minigrad.int64
    with pytest.raises(RuntimeError, match="conv2d: input is on cpu but weight is on cuda"):
        model(minigrad.tensor(x))                  # input left on the host
    model.to("cpu")
    assert all(p.device == "cpu" for p in model.parameters())


def test_state_dict_crosses_devices(cuda_device, tmp_path):
    cpu_model = small_cnn()
    gpu_model = small_cnn(cuda_device)
    for p in gpu_model.parameters():
        with minigrad.no_grad():
            p += 0.5
    state = gpu_model.state_dict()
    assert all(v.device == "cuda" for v in state.values())
    cpu_model.load_state_dict(state)               # values are copied onto the host
    for (name, a), b in zip(cpu_model.state_dict().items(), state.values()):
        assert a.device == "cpu", name
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    minigrad.save(gpu_model.state_dict(), tmp_path / "ckpt")
    on_host = minigrad.load(tmp_path / "ckpt")
    assert all(v.device == "cpu" for v in on_host.values())
    on_device = minigrad.load(tmp_path / "ckpt", map_location=cuda_device)
    assert all(v.device == "cuda" for v in on_device.values())
    fresh = small_cnn(cuda_device)
    fresh.load_state_dict(on_host)                 # host values onto a device model
    assert all(p.device == "cuda" for p in fresh.parameters())
    np.testing.assert_array_equal(fresh[0].weight.numpy(), gpu_model[0].weight.numpy())


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
    lambda ps: optim.Adam(ps, lr=1e-2, amsgrad=True),
    lambda ps: optim.AdamW(ps, lr=1e-2),
    lambda ps: optim.RMSprop(ps, lr=1e-2, momentum=0.5, centered=True),
    lambda ps: optim.Adagrad(ps, lr=1e-2),
], ids=["sgd", "adam", "adamw", "rmsprop", "adagrad"])
def test_optimizers_update_on_the_device_like_on_the_host(make, cuda_device):
    x, y = blobs(16)
    trajectories = {}
    for device in ("cpu", cuda_device):
        model = small_cnn(device)
        model.eval()                               # no dropout: the same function twice
        opt = make(model.parameters())
        xb, yb = minigrad.tensor(x, device=device), minigrad.tensor(y, device=device)
        for _ in range(3):
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
        for s in opt.state.values():
            for v in s.values():
                if hasattr(v, "shape"):
                    assert backend.device_of(v) == device
        trajectories[device] = [p.numpy() for p in model.parameters()], opt.state_dict()
    for a, b in zip(trajectories["cpu"][0], trajectories[cuda_device][0]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # the device optimizer's checkpoint loads into a host optimizer (state moved to the host)
    host_model = small_cnn()
    host_opt = make(host_model.parameters())
    host_opt.load_state_dict(trajectories[cuda_device][1])
    for s in host_opt.state.values():
        for v in s.values():
            assert not hasattr(v, "shape") or backend.device_of(v) == "cpu"


def test_a_checkpoint_written_on_one_device_resumes_on_the_other(cuda_device, tmp_path):
    """save_checkpoint on cuda, load_checkpoint into a host model and optimizer (and back):
    values and optimizer state land on the loading side's device, unchanged."""
    x, y = blobs(8)
    for saved_on, loaded_on in (("cuda", "cpu"), ("cpu", "cuda")):
        model = small_cnn(saved_on)
        opt = optim.Adam(model.parameters(), lr=1e-2)
        F.cross_entropy(model(minigrad.tensor(x, device=saved_on)),
                        minigrad.tensor(y, device=saved_on)).backward()
        opt.step()
        path = tmp_path / f"{saved_on}.ckpt"
        minigrad.save_checkpoint(path, model=model, optimizer=opt, epoch=1)
        other = small_cnn(loaded_on)
        other_opt = optim.Adam(other.parameters(), lr=1e-2)
        assert minigrad.load_checkpoint(path, model=other, optimizer=other_opt)["epoch"] == 1
        for (name, a), b in zip(other.state_dict().items(), model.state_dict().values()):
            assert a.device == loaded_on, name
            np.testing.assert_array_equal(a.to("cpu").numpy(), b.to("cpu").numpy())
        for p, q in zip(other.parameters(), model.parameters()):
            for key, v in other_opt.state[p].items():
                if hasattr(v, "shape"):
                    assert backend.device_of(v) == loaded_on, key
                    np.testing.assert_array_equal(backend.to_device(v, "cpu"),
                                                  backend.to_device(opt.state[q][key], "cpu"))


def test_an_optimizer_over_parameters_on_two_devices_updates_each_on_its_own(cuda_device):
    """Not an error (as in PyTorch): each parameter and its state stay on its device, and the
    updates are those of the same optimizer with every parameter on the host."""
    x = minigrad.tensor(blobs(8)[0].reshape(8, -1)[:, :5])
    results = {}
    for devices in (("cpu", "cpu"), ("cpu", cuda_device)):
        minigrad.manual_seed(0)
        first, second = nn.Linear(5, 4).to(devices[0]), nn.Linear(4, 2).to(devices[1])
        opt = optim.Adam(list(first.parameters()) + list(second.parameters()), lr=0.1)
        for _ in range(2):
            opt.zero_grad()
            (second(first(x).to(devices[1])) ** 2).sum().backward()
            opt.step()
        for layer, device in zip((first, second), devices):
            for p in layer.parameters():
                assert p.device == device
                assert all(backend.device_of(v) == device
                           for v in opt.state[p].values() if hasattr(v, "shape"))
        results[devices] = [p.to("cpu").numpy() for p in opt.param_groups[0]["params"]]
    for a, b in zip(*results.values()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_a_model_trains_on_the_cuda_device_with_fit(cuda_device):
    x, y = blobs(192)
    model = small_cnn(cuda_device)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], lr=0.02)
    history = model.fit(x[:160], y[:160], epochs=4, batch_size=32, verbose=0, seed=0)
    assert all(p.device == "cuda" for p in model.parameters())
    loss, accuracy = model.evaluate(x[160:], y[160:], verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert accuracy >= 0.9, (loss, accuracy)
    assert model.predict(x[:5]).shape == (5, 4)


# -- CUDA detection: why is it unusable? ---------------------------------------------------

def _fake_cupy(count=None, error=None):
    def get_device_count():
        if error is not None:
            raise error
        return count
    runtime = types.SimpleNamespace(getDeviceCount=get_device_count)
    return types.SimpleNamespace(__version__="99.0", cuda=types.SimpleNamespace(runtime=runtime))


@pytest.mark.parametrize("fake, reason", [
    (None, "CuPy is not installed"),
    (_fake_cupy(error=RuntimeError("cudaErrorInsufficientDriver")),
     "CuPy 99.0 is installed but the CUDA driver or runtime is unusable: RuntimeError: "
     "cudaErrorInsufficientDriver"),
    (_fake_cupy(count=0), "CuPy 99.0 found no CUDA device"),
])
def test_cuda_unusable_says_why(monkeypatch, fake, reason):
    monkeypatch.setattr(backend, "_cuda_state", None)
    monkeypatch.setitem(sys.modules, "cupy", fake)    # None makes `import cupy` fail
    available, why = minigrad.cuda.status()
    assert not available and why.startswith(reason)
    with pytest.raises(minigrad.CudaUnavailableError, match="device 'cuda' is unavailable"):
        minigrad.zeros(1, device="cuda")
    with pytest.raises(minigrad.CudaUnavailableError, match=reason.split(":")[0]):
        small_cnn().to("cuda")


def test_use_cuda_module_checks_its_argument():
    with pytest.raises(TypeError, match="numpy.ndarray subclass"):
        with backend.use_cuda_module(np):
            pass


# -- doctor --------------------------------------------------------------------------------

def test_doctor_reports_versions_cuda_and_kernels():
    text = minigrad.doctor(file=None)
    for needle in ("minigrad", "NumPy", "Numba", "CuPy", "CUDA usable", "Numba CUDA kernels",
                   "matmul", "cpu: numpy*", "cuda: cupy*"):
        assert needle in text, (needle, text)


def test_doctor_command_line():
    out = subprocess.run([sys.executable, "-m", "minigrad", "doctor"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "CUDA usable" in out.stdout and "kernels" in out.stdout
    bad = subprocess.run([sys.executable, "-m", "minigrad", "frobnicate"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "doctor" in bad.stderr


def test_cpu_kernels_and_the_stand_in_import_no_gpu_library():
    """Only a selected numba_cuda/cupy kernel may bring numba.cuda or CuPy in."""
    out = subprocess.run([sys.executable, "-c", (
        "import sys, numpy as np, minigrad\n"
        "from minigrad import backend\n"
        "import minigrad_kernels._arrays\n"
        "for op, device, impl in backend.available_kernels(device='cpu'):\n"
        "    backend.kernel(op, device)\n"
        "import tests.cuda_standin\n"
        "print(sorted(m for m in sys.modules if m.startswith(('cupy', 'numba.cuda'))))")],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[1])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


# -- real GPU only ---------------------------------------------------------------------------

@pytest.mark.gpu
@pytest.mark.skipif(not backend.is_cuda_available(), reason="needs a CUDA GPU")
def test_cupy_arrays_in_and_out():
    cupy = backend.xp_for("cuda")
    a = cupy.arange(6, dtype=cupy.float32).reshape(2, 3)
    t = minigrad.tensor(a, requires_grad=True)            # a copy, staying on the GPU
    assert t.device == "cuda" and type(t._data) is type(a)
    a += 1
    assert t.numpy().tolist() == [[0, 1, 2], [3, 4, 5]]
    (t * t).sum().backward()
    assert type(t.grad._data) is type(a)
    np.testing.assert_array_equal(t.grad.numpy(), 2 * np.arange(6).reshape(2, 3))


@pytest.mark.gpu
@pytest.mark.skipif(not backend.is_cuda_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("impl", ["cupy", "numba_cuda"])
def test_a_cnn_batch_of_64_on_the_gpu_matches_the_cpu(impl):
    x, y = blobs(64)
    x = np.repeat(np.repeat(x, 4, axis=2), 4, axis=3)       # 32×32 images
    results = {}
    for device in ("cpu", "cuda"):
        minigrad.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(64 * 8 * 8, 4)).to(device)
        opt = optim.Adam(model.parameters(), lr=1e-3)
        kernels = {} if device == "cpu" else {op.split(".")[0]: impl for op, _, i in
                                              backend.available_kernels(device="cuda")
                                              if i == impl}
        with backend.use_kernels(device, **kernels):
            loss = F.cross_entropy(model(minigrad.tensor(x, device=device)),
                                   minigrad.tensor(y, device=device))
            loss.backward()
            opt.step()
        results[device] = [loss.numpy()] + [p.numpy() for p in model.parameters()]
    for a, b in zip(results["cpu"], results["cuda"]):
        np.testing.assert_allclose(b, a, rtol=2e-3, atol=2e-4)
