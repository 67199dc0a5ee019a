"""save_checkpoint / load_checkpoint: a manual training loop resumed from a checkpoint ends
bit-identical to one never interrupted; a checkpoint that does not fit, or a damaged file,
raises a clear error and changes nothing."""
import numpy as np
import pytest

import minigrad
import minigrad.functional as F
from minigrad import nn, optim
from minigrad.data import DataLoader, TensorDataset, transforms
from minigrad.optim import lr_scheduler


def data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = (rng.normal(size=(n, 6)) + 2.0 * np.eye(3, 6)[y]).astype(np.float32)
    return x, y


def setup(init_seed=0, plateau=False):
    minigrad.manual_seed(init_seed)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.25), nn.Linear(16, 3))
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = (lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0, threshold=0.3)
             if plateau else lr_scheduler.StepLR(opt, step_size=1, gamma=0.8))
    x, y = data()
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True,
                        transform=transforms.Compose([transforms.Normalize(0.0, 2.0)]))
    return model, opt, sched, loader


def train(model, opt, sched, loader, epochs, start=0, path=None, plateau=False):
    """A PyTorch-style loop writing a checkpoint after every epoch."""
    for epoch in range(start, epochs):
        model.train()
        total = 0.0
        for xb, yb in loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item()
        sched.step(total) if plateau else sched.step()
        if path is not None:
            minigrad.save_checkpoint(path, model=model, optimizer=opt, scheduler=sched,
                                     dataloader=loader, epoch=epoch + 1,
                                     extra={"loss": total})


def snapshot(model, opt, sched):
    return ({k: v.numpy().tobytes() for k, v in model.state_dict().items()},
            repr(opt.state_dict()["param_groups"]),
            [np.asarray(v).tobytes() for s in opt.state_dict()["state"].values()
             for v in s.values()],
            repr(sched.state_dict()), repr(minigrad.random.get_state()))


@pytest.mark.parametrize("plateau", [False, True], ids=["StepLR", "ReduceLROnPlateau"])
def test_manual_loop_resumes_bit_identically(tmp_path, plateau):
    straight = setup(plateau=plateau)
    train(*straight, epochs=4, plateau=plateau)
    expected = snapshot(*straight[:3])

    first = setup(plateau=plateau)
    train(*first, epochs=2, path=tmp_path / "run.ckpt", plateau=plateau)
    minigrad.random.generator().random(100)           # the interrupted process went on
    model, opt, sched, loader = setup(init_seed=7, plateau=plateau)
    ckpt = minigrad.load_checkpoint(tmp_path / "run.ckpt", model=model, optimizer=opt,
                                    scheduler=sched, dataloader=loader)
    assert ckpt["epoch"] == 2 and isinstance(ckpt["extra"]["loss"], float)
    train(model, opt, sched, loader, epochs=4, start=ckpt["epoch"], plateau=plateau)
    assert snapshot(model, opt, sched) == expected


def test_reduce_lr_on_plateau_state_with_an_infinite_best(tmp_path):
    model, opt, sched, _ = setup(plateau=True)
    assert sched.best == float("inf")
    minigrad.save_checkpoint(tmp_path / "c", scheduler=sched)
    other = setup(plateau=True)[2]
    other.best, other.num_bad_epochs = 1.0, 3
    minigrad.load_checkpoint(tmp_path / "c", scheduler=other)
    assert other.best == float("inf") and other.num_bad_epochs == 0


def test_a_failed_load_changes_nothing(tmp_path):
    model, opt, sched, loader = setup()
    train(model, opt, sched, loader, epochs=1, path=tmp_path / "run.ckpt")
    # The model loads, then the optimizer fails (another parameter layout): the model's
    # weights are put back.
    other = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.25), nn.Linear(16, 3))
    other_opt = optim.Adam([{"params": list(other.parameters())[:2]},
                            {"params": list(other.parameters())[2:]}], lr=0.5)
    other_sched = lr_scheduler.StepLR(other_opt, step_size=1)
    before = snapshot(other, other_opt, other_sched)
    with pytest.raises(ValueError, match="param groups") as info:
        minigrad.load_checkpoint(tmp_path / "run.ckpt", model=other, optimizer=other_opt,
                                 scheduler=other_sched)
    assert "while loading the optimizer" in info.value.__notes__[0]
    assert "nothing was changed" in info.value.__notes__[0]
    assert snapshot(other, other_opt, other_sched) == before

    with pytest.raises(ValueError, match="holds optimizer state of class Adam, expected "
                                         "optimizer state of class SGD"):
        minigrad.load_checkpoint(tmp_path / "run.ckpt", model=other,
                                 optimizer=optim.SGD(other.parameters(), lr=0.1))
    with pytest.raises(ValueError, match="holds scheduler state of class StepLR, expected "
                                         "scheduler state of class ExponentialLR"):
        minigrad.load_checkpoint(tmp_path / "run.ckpt", model=other, scheduler=lr_scheduler
                                 .ExponentialLR(optim.SGD(other.parameters(), lr=0.1), 0.9))
    assert snapshot(other, other_opt, other_sched) == before

    minigrad.save_checkpoint(tmp_path / "weights-only", model=model)
    with pytest.raises(ValueError, match="has no optimizer state"):
        minigrad.load_checkpoint(tmp_path / "weights-only", model=other, optimizer=other_opt)
    assert snapshot(other, other_opt, other_sched) == before


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.99])
def test_a_truncated_checkpoint_names_the_file_and_changes_nothing(tmp_path, cut):
    model, opt, sched, loader = setup()
    train(model, opt, sched, loader, epochs=1, path=tmp_path / "run.ckpt")
    raw = (tmp_path / "run.ckpt").read_bytes()
    (tmp_path / "run.ckpt").write_bytes(raw[:int(len(raw) * cut)])
    fresh = setup(init_seed=3)
    before = snapshot(*fresh[:3])
    with pytest.raises(minigrad.CheckpointFormatError, match=r"run.ckpt' is not a valid "
                                                             r"minigrad file: .*truncated"):
        minigrad.load_checkpoint(tmp_path / "run.ckpt", model=fresh[0], optimizer=fresh[1],
                                 scheduler=fresh[2], dataloader=fresh[3])
    assert snapshot(*fresh[:3]) == before


def test_a_plain_state_dict_file_is_not_a_checkpoint(tmp_path):
    model = setup()[0]
    minigrad.save(model.state_dict(), tmp_path / "weights.npz")
    with pytest.raises(minigrad.CheckpointFormatError, match="read it with minigrad.load"):
        minigrad.load_checkpoint(tmp_path / "weights.npz", model=model)


def test_checkpoint_file_is_an_ordinary_minigrad_file(tmp_path):
    model, opt, sched, loader = setup()
    minigrad.save_checkpoint(tmp_path / "c", model=model, optimizer=opt, epoch=3, step=120)
    raw = minigrad.load(tmp_path / "c")
    assert raw["epoch"] == 3 and raw["step"] == 120 and raw["optimizer"]["class"] == "Adam"
    fresh = setup(init_seed=1)[0]
    fresh.load_state_dict(raw["model"])          # the weights alone, as a state dict
    for a, b in zip(fresh.parameters(), model.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_seeded_loader_and_transform_generators_are_restored(tmp_path):
    x, y = data()
    def make():
        flip = transforms.Compose([transforms.RandomHorizontalFlip(seed=1)])
        return DataLoader(TensorDataset(x[:, None, None, :], y), batch_size=8, shuffle=True,
                          seed=2, transform=flip)
    a = make()
    list(a)
    minigrad.save_checkpoint(tmp_path / "c", dataloader=a, rng=False)
    expected = [xb.numpy() for xb, _ in a]
    b = make()
    minigrad.load_checkpoint(tmp_path / "c", dataloader=b)
    for got, want in zip((xb.numpy() for xb, _ in b), expected):
        np.testing.assert_array_equal(got, want)
    unseeded = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True)
    with pytest.raises(ValueError, match="loader with its own seed, this loader has none"):
        minigrad.load_checkpoint(tmp_path / "c", dataloader=unseeded)


def test_loading_runs_no_pickle_and_no_eval(tmp_path, monkeypatch):
    """Loading goes through JSON, zipfile and NumPy's literal header parser only."""
    import builtins
    import pickle

    model, opt, sched, loader = setup()
    train(model, opt, sched, loader, epochs=1, path=tmp_path / "run.ckpt")

    def forbidden(*args, **kwargs):
        raise AssertionError("loading a checkpoint called pickle / eval / exec")
    for module, name in [(pickle, "load"), (pickle, "loads"), (pickle, "Unpickler"),
                         (builtins, "eval"), (builtins, "exec")]:
        monkeypatch.setattr(module, name, forbidden)
    fresh = setup(init_seed=5)
    minigrad.load_checkpoint(tmp_path / "run.ckpt", model=fresh[0], optimizer=fresh[1],
                             scheduler=fresh[2], dataloader=fresh[3])
    monkeypatch.undo()
    assert snapshot(*fresh[:3]) == snapshot(model, opt, sched)
