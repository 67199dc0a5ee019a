"""Every bad input in the table raises the declared error, with a message that names the
op or layer and says what was expected and what was got, and changes nothing."""
import inspect
import re

import pytest

import minigrad
from minigrad import nn

from ..ops.test_op_table import ALL_OPS
from . import errors_doc
from .bad_inputs import CASES, message_of, missing_pieces, run_case


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_input_raises_a_clear_error_and_changes_nothing(case, tmp_path):
    error, changed = run_case(case, tmp_path)
    assert error is not None, f"{case.bad_input}: no error was raised"
    assert type(error) is case.error, \
        f"{case.bad_input}: raised {type(error).__name__}: {error}; expected {case.error.__name__}"
    message = message_of(error, tmp_path)
    assert not missing_pieces(case, message), \
        f"the message lacks {missing_pieces(case, message)}: {message}"
    assert not changed, f"{case.bad_input}: the error left {changed} changed"


def test_every_case_checks_concrete_values():
    """A case must check more than a phrase: some value (a shape, size, dtype, name or
    quoted key) that the message has to report."""
    value = re.compile(r"\d|'|\"|float|int|bool|str|list|dict|cuda|cpu|ndarray|None|True"
                       r"|\.idx|\.npz|\.ckpt")
    for case in CASES:
        assert any(value.search(piece) for piece in case.says), case.name


# Op-table rows and layers for which no shape can be wrong (they are still in the table
# for their other bad inputs) would be listed here; every other row needs a case.
def test_every_op_table_row_has_a_bad_input():
    covered = {row for case in CASES for row in case.covers}
    rows = {op.name for op in ALL_OPS}
    assert rows - covered == set(), f"op-table rows with no bad-input case: {rows - covered}"
    assert covered - rows == set(), f"cases cover unknown rows: {covered - rows}"


SHAPE_FREE_LAYERS = {
    # elementwise: any shape and any floating dtype is valid input
    "Identity", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Dropout",
    "SiLU", "ReLU6", "LogSigmoid", "Mish",
    # containers: their errors are their layers' (see Sequential_inner_mismatch)
    "ModuleList", "Module", "Parameter",
}


def test_every_layer_has_a_bad_input():
    layers = {name for name in nn.__all__
              if inspect.isclass(getattr(nn, name)) and issubclass(getattr(nn, name), nn.Module)}
    mentioned = {name for name in layers for case in CASES
                 if any(re.match(rf"{name}\b", piece) for piece in case.says)}
    missing = layers - mentioned - SHAPE_FREE_LAYERS
    assert not missing, f"layers with no bad-input case: {sorted(missing)}"


@pytest.mark.skipif(not (minigrad.cuda.status()[1] or "").startswith("CuPy is not installed"),
                    reason="the page shows the CUDA messages of a machine without CuPy (as CI)")
def test_docs_errors_md_is_up_to_date(tmp_path):
    """docs/errors.md is generated from CASES; regenerate it with
    `python -m tests.reliability.errors_doc` after changing the table or a message."""
    expected = errors_doc.render(tmp_path)
    current = errors_doc.DOC.read_text(encoding="utf-8")
    assert current == expected, ("docs/errors.md is stale: run "
                                 "`.venv/bin/python -m tests.reliability.errors_doc`")
