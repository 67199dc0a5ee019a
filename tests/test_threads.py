"""minigrad.set_num_threads / get_num_threads (minigrad/threads.py): the BLAS under NumPy
takes the count (through threadpoolctl), Numba's pool follows when it is running and is
never started or imported for this, and a bad count changes nothing."""
import subprocess
import sys
import textwrap

import pytest

import minigrad
from minigrad import threads


@pytest.fixture(autouse=True)
def restore_count():
    before = minigrad.get_num_threads()
    yield
    minigrad.set_num_threads(before)


def blas_counts():
    """Every BLAS library's thread count, as threadpoolctl reads it."""
    import threadpoolctl

    return [lib["num_threads"] for lib in threadpoolctl.threadpool_info()
            if lib["user_api"] == "blas"]


def test_set_one_then_back():
    before = minigrad.get_num_threads()
    assert before >= 1
    minigrad.set_num_threads(1)
    assert minigrad.get_num_threads() == 1
    minigrad.set_num_threads(before)
    assert minigrad.get_num_threads() == before


def test_the_blas_library_uses_the_count():
    minigrad.set_num_threads(1)
    assert blas_counts() and set(blas_counts()) == {1}
    minigrad.set_num_threads(2)
    assert set(blas_counts()) == {2}


def test_the_blas_cap_is_what_get_returns():
    minigrad.set_num_threads(10_000)          # OpenBLAS caps at its build's MAX_THREADS
    count = minigrad.get_num_threads()
    assert 1 <= count <= 10_000
    assert max(blas_counts()) == count


@pytest.mark.parametrize("n, error, says", [
    (0, ValueError, "set_num_threads: n must be an int ≥ 1, got 0"),
    (-2, ValueError, "got -2"),
    (True, TypeError, "got True (bool)"),
    (1.0, TypeError, "got 1.0 (float)"),
    ("1", TypeError, "got '1' (str)"),
    (None, TypeError, "got None (NoneType)"),
])
def test_a_bad_count_raises_and_changes_nothing(n, error, says):
    minigrad.set_num_threads(1)
    with pytest.raises(error) as info:
        minigrad.set_num_threads(n)
    assert says in str(info.value)
    assert minigrad.get_num_threads() == 1


def test_a_numpy_int_is_a_count():
    import numpy as np
    minigrad.set_num_threads(np.int64(1))
    assert minigrad.get_num_threads() == 1


def test_numbas_pool_follows_when_it_is_running():
    numba = pytest.importorskip("numba")
    numba_before = numba.get_num_threads()     # starts Numba's pool, as parallel code would
    try:
        minigrad.set_num_threads(1)
        assert numba.get_num_threads() == 1
        minigrad.set_num_threads(10_000)       # capped at NUMBA_NUM_THREADS, not refused
        assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS
    finally:
        numba.set_num_threads(numba_before)


def test_numba_is_neither_imported_nor_started():
    code = textwrap.dedent("""
        import sys
        import minigrad
        minigrad.set_num_threads(1)
        print('numba' in sys.modules, 'threadpoolctl' in sys.modules)
        import numba
        import numba.np.ufunc.parallel as parallel
        minigrad.set_num_threads(1)
        print(parallel._is_initialized)
    """)
    pytest.importorskip("numba")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    # threadpoolctl is imported on the call when installed, never by `import minigrad`
    assert out[0] == "False" and out[2] == "False"


def test_import_minigrad_imports_neither_numba_nor_threadpoolctl():
    code = "import sys, minigrad; print('numba' in sys.modules, 'threadpoolctl' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]


def test_no_controllable_blas_says_so(monkeypatch):
    import threadpoolctl

    class Nothing:
        lib_controllers = []

    monkeypatch.setattr(threadpoolctl.ThreadpoolController, "select",
                        lambda self, **kwargs: Nothing())
    for call in (lambda: minigrad.set_num_threads(1), minigrad.get_num_threads):
        with pytest.raises(RuntimeError) as info:
            call()
        assert "found no BLAS library whose thread count can be set" in str(info.value)
        assert "OPENBLAS_NUM_THREADS" in str(info.value)


def test_a_blas_that_keeps_its_count_is_an_error_and_is_put_back(monkeypatch):
    calls = []

    class Stuck:                                          # set does nothing: still 4
        internal_api = "OpenBLAS"
        get_num_threads = staticmethod(lambda: 4)
        set_num_threads = staticmethod(calls.append)

    monkeypatch.setattr(threads, "_blas", lambda who: [Stuck()])
    with pytest.raises(RuntimeError, match="did not take 1 thread.*OpenBLAS still uses 4"):
        minigrad.set_num_threads(1)
    assert calls == [1, 4]                                # tried, then put back
