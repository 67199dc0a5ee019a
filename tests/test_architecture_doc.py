"""docs/architecture.md runs: every ``>>>`` example in it is a doctest, executed top to
bottom in one namespace, in a fresh interpreter (the walkthrough shows what is imported
right after ``import minigrad``, and defines Functions and registers a kernel that must not
leak into the other tests), and any output that differs fails the test."""
import json
import os
import pathlib
import subprocess
import sys

DOC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "architecture.md"

# Runs in the child: the namespace the document says its examples start from.
RUNNER = r"""
import doctest, json, re, sys
import numpy as np
import minigrad
from minigrad import functional as F, nn

path = sys.argv[1]
text = open(path, encoding="utf-8").read()
# a Markdown fence closing an example would read as expected output: blank it (the line
# numbers in the report stay the file's)
text = re.sub(r"(?m)^```\w*[ \t]*$", "", text)
globs = {"minigrad": minigrad, "np": np, "F": F, "nn": nn, "sys": sys,
         "__name__": "architecture_md"}
test = doctest.DocTestParser().get_doctest(text, globs, "architecture.md", path, 0)
runner = doctest.DocTestRunner(
    optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
report = []
runner.run(test, out=report.append)
print(json.dumps({"attempted": runner.tries, "failed": runner.failures,
                  "report": "".join(report)}))
"""


def run_doctests(path):
    """(examples run, examples failed, doctest's report) for the file at ``path``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINIGRAD_")}
    done = subprocess.run([sys.executable, "-c", RUNNER, str(path)], capture_output=True,
                          text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["attempted"], result["failed"], result["report"]


def test_every_example_in_architecture_md_runs_and_matches():
    attempted, failed, report = run_doctests(DOC)
    assert attempted >= 50, f"only {attempted} examples found in {DOC.name}"
    assert failed == 0, f"{failed} of {attempted} examples in {DOC.name} differ:\n{report}"


def test_the_doctest_run_notices_a_wrong_value(tmp_path):
    """A test that cannot fail is a defect: change one expected value, see it fail."""
    text = DOC.read_text(encoding="utf-8")
    right = ">>> x.grad\ntensor(8.)\n"
    assert text.count(right) == 1
    wrong = tmp_path / "architecture.md"
    wrong.write_text(text.replace(right, ">>> x.grad\ntensor(2.)\n"), encoding="utf-8")
    attempted, failed, report = run_doctests(wrong)
    assert failed == 1, report
    assert "tensor(2.)" in report and "tensor(8.)" in report
