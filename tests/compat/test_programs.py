"""Issue 20: PyTorch programs run unchanged, only their import lines rewritten.

Each program in tests/compat/programs/ is written for PyTorch (``import torch``...). The test
rewrites its import lines to minigrad's (``import minigrad as torch``, ``torch.nn.functional``
→ ``minigrad.functional``, ``torch.utils.data`` → ``minigrad.utils.data``), runs it in a
fresh process and, where PyTorch is installed, runs the original too and compares what the
two print: the same words, and every number equal within float32 rounding of a short
training run.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAMS = Path(__file__).parent / "programs"
ROOT = Path(__file__).resolve().parents[2]
NUMBER = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?|-?\d+")

try:
    import torch  # noqa: F401
except ImportError:
    HAVE_TORCH = False
else:
    HAVE_TORCH = True


def to_minigrad(source):
    """The program with its import lines (only those) pointing at minigrad."""
    lines = []
    for line in source.splitlines():
        if re.match(r"\s*(import|from)\s+torch\b", line):
            line = line.replace("torch.nn.functional", "minigrad.functional")
            line = re.sub(r"\btorch\b", "minigrad", line)
            line = re.sub(r"^(\s*)import minigrad$", r"\1import minigrad as torch", line)
        lines.append(line)
    return "\n".join(lines) + "\n"


def run(source, tmp_path, name):
    script = tmp_path / name
    script.write_text(source, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300, env=env, cwd=tmp_path)
    assert done.returncode == 0, f"{name} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout.splitlines()


def skeleton(line):
    """The words of a line: numbers replaced, and shapes (torch.Size([2, 3]) or a tuple
    (2, 3)) reduced to their numbers."""
    return re.sub(r"torch\.Size|[\[\](),]", "", NUMBER.sub("#", line))


def compare(ours, theirs, rtol, atol):
    assert len(ours) == len(theirs), f"{len(ours)} lines against {len(theirs)}"
    for a, b in zip(ours, theirs):
        assert skeleton(a) == skeleton(b), f"{a!r} vs {b!r}"
        for x, y in zip(NUMBER.findall(a), NUMBER.findall(b)):
            assert abs(float(x) - float(y)) <= atol + rtol * abs(float(y)), f"{a!r} vs {b!r}"


@pytest.mark.parametrize("program", sorted(p.name for p in PROGRAMS.glob("*.py")))
def test_a_pytorch_program_runs_with_only_its_imports_changed(program, tmp_path):
    source = (PROGRAMS / program).read_text(encoding="utf-8")
    assert "minigrad" not in source, "the programs are PyTorch programs"
    ours = run(to_minigrad(source), tmp_path, "ours_" + program)
    assert ours, f"{program} printed nothing"
    if HAVE_TORCH:
        theirs = run(source, tmp_path, "torch_" + program)
        # float32 training: a few hundred rounding steps apart, no more
        compare(ours, theirs, rtol=2e-4, atol=2e-5)


def test_the_rewrite_changes_only_import_lines():
    source = ("import torch\nimport torch.nn.functional as F\nfrom torch.utils.data import "
              "DataLoader\nx = torch.zeros(2)  # torch stays torch here\n")
    assert to_minigrad(source) == (
        "import minigrad as torch\nimport minigrad.functional as F\nfrom minigrad.utils.data "
        "import DataLoader\nx = torch.zeros(2)  # torch stays torch here\n")


def test_a_missing_name_fails_at_its_line_saying_not_implemented(tmp_path):
    source = "import torch\nx = torch.zeros(3)\ny = torch.compile(x)\n"
    script = tmp_path / "missing.py"
    script.write_text(to_minigrad(source), encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.returncode == 1
    assert 'line 3' in done.stderr and "not implemented in minigrad" in done.stderr
    assert "'compile'" in done.stderr
