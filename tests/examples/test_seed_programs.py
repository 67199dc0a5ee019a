"""The reproduced source programs run end to end on real data (Debian's Fashion-MNIST)."""
import pytest

from ._scripts import fashion_mnist_available, load_script


needs_data = pytest.mark.skipif(not fashion_mnist_available(),
                                reason="Fashion-MNIST not installed (make data)")


@needs_data
def test_seed000_quick_run_learns_and_writes_plots(tmp_path):
    script = load_script("seed000_cnn")
    accuracy = script.main(["--quick", "--verbose", "0", "--out", str(tmp_path)])
    assert accuracy > 0.6          # 1 epoch on 6000 images: ~0.68 measured
    assert (tmp_path / "confusion_matrix.png").stat().st_size > 1000


@pytest.mark.slow
@needs_data
def test_seed000_reaches_85_percent_on_fashion_mnist(tmp_path):
    script = load_script("seed000_cnn")
    accuracy = script.main(["--epochs", "2", "--verbose", "0", "--out", str(tmp_path)])
    assert accuracy >= 0.85
