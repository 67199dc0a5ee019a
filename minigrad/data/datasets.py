"""Real datasets, found offline first: MNIST, Fashion-MNIST and a fortune-cookie corpus.

MNIST and Fashion-MNIST come as four IDX files (gzipped or not) in one directory, looked up
in this order, the first directory holding all four winning:

1. the ``root`` argument (then only there, and a download goes there);
2. ``$MINIGRAD_MNIST`` / ``$MINIGRAD_FASHION_MNIST``;
3. the cache, ``~/.cache/minigrad/<name>`` (``$MINIGRAD_DATA/<name>`` when set);
4. for Fashion-MNIST, ``/usr/share/datasets/fashion-mnist`` (Debian/Ubuntu:
   ``apt-get install dataset-fashion-mnist``).

Failing that, with ``download=True``, the files are fetched from the canonical mirrors into the
cache (``urllib``, a timeout, each written to a temporary file then ``os.replace``\\ d, so an
interrupted or failed download leaves nothing), and verified by SHA-256; otherwise the error
lists the files expected and where to put them.

The SHA-256 sums are of the *decompressed* IDX data: gzip output depends on the compressor
(Debian's package re-compressed the files, so its .gz bytes differ from the mirror's), the
data inside does not.
"""
import gzip
import hashlib
import os
import shutil
import tempfile
import warnings
import zlib

import numpy as np

from ._errors import ChecksumError, DatasetNotFoundError
from .._check import check_bool, check_callable, check_real, got
from .fortunes import FORTUNE_LANGUAGES, fortune_languages
from .idx import GZIP_MAGIC, read_idx

__all__ = ["mnist", "fashion_mnist", "locate", "download_url", "download_files", "cache_dir",
           "DatasetNotFoundError", "ChecksumError", "fortune_languages", "FORTUNE_LANGUAGES"]

FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
DEBIAN_FASHION_MNIST = "/usr/share/datasets/fashion-mnist"

_SPECS = {
    "fashion-mnist": {
        "title": "Fashion-MNIST",
        "env": "MINIGRAD_FASHION_MNIST",
        "system": [DEBIAN_FASHION_MNIST],
        "apt": "dataset-fashion-mnist",
        "mirrors": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                    "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/"],
        # SHA-256 of the decompressed files, computed from Debian's dataset-fashion-mnist
        # 0.0~git20200523.55506a9-1 (/usr/share/datasets/fashion-mnist/*.gz, gunzipped).
        "sha256": {
            "train-images-idx3-ubyte":
                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "train-labels-idx1-ubyte":
                "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "t10k-images-idx3-ubyte":
                "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "t10k-labels-idx1-ubyte":
                "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        },
    },
    "mnist": {
        "title": "MNIST",
        "env": "MINIGRAD_MNIST",
        "system": [],
        "apt": None,
        "mirrors": ["https://ossci-datasets.s3.amazonaws.com/mnist/",
                    "https://storage.googleapis.com/cvdf-datasets/mnist/",
                    "http://yann.lecun.com/exdb/mnist/"],
        # Not verified: no copy of MNIST was available offline to hash the decompressed data,
        # so downloads are checked only as IDX files, with a warning.  For reference, the
        # SHA-256 of the *.gz* files as published by TensorFlow Datasets' checksums (not
        # checked here): train-images 440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f
        # 203523609, train-labels 3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e801
        # 0255c, t10k-images 8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6,
        # t10k-labels f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6.
        "sha256": {},
    },
}


def _spec(name):
    if not isinstance(name, str):
        raise TypeError(f"dataset name must be a str, one of {sorted(_SPECS)}, got {got(name)}")
    if name not in _SPECS:
        raise ValueError(f"unknown dataset {name!r}; expected one of {sorted(_SPECS)}")
    return _SPECS[name]


def cache_dir(name):
    """Where downloads of dataset ``name`` go: ``$MINIGRAD_DATA/<name>`` or
    ``~/.cache/minigrad/<name>``."""
    base = os.environ.get("MINIGRAD_DATA") or os.path.join(os.path.expanduser("~"), ".cache",
                                                           "minigrad")
    return os.path.join(base, name)


def _find_files(directory):
    """{key: path} for the four files in ``directory`` (``name.gz`` or ``name``), and the
    names missing."""
    paths, missing = {}, []
    for key, name in FILES.items():
        for candidate in (name + ".gz", name):
            path = os.path.join(directory, candidate)
            if os.path.isfile(path):
                paths[key] = path
                break
        else:
            missing.append(name)
    return paths, missing


def _candidates(name, root):
    spec = _spec(name)
    if root is not None:
        return [(os.fspath(root), "root argument")]
    out = []
    if os.environ.get(spec["env"]):
        out.append((os.environ[spec["env"]], f"${spec['env']}"))
    out.append((cache_dir(name), "cache"))
    out += [(d, "system package") for d in spec["system"]]
    return out


def _state(directory, missing):
    if not os.path.exists(directory):
        return "does not exist"
    if not os.path.isdir(directory):
        return "is not a directory"
    return "lacks " + ", ".join(missing)


def locate(name, root=None, download=True, timeout=30):
    """The directory holding dataset ``name``'s four IDX files and their paths.

    Args:
        name: "mnist" or "fashion-mnist".
        root: a directory to use instead of the search (downloads go there too).
        download: fetch the files from the mirrors when they are nowhere to be found.
        timeout: seconds per network operation.
    Returns:
        ``(directory, {"train_images": path, "train_labels": ..., "test_images": ...,
        "test_labels": ...})``.
    Raises:
        DatasetNotFoundError: not found (and not downloadable); lists what and where.
    """
    spec = _spec(name)
    check_bool("locate", "download", download)
    check_real("locate", "timeout", timeout, low=0, low_open=True, none=True)
    searched = []
    for directory, source in _candidates(name, root):
        paths, missing = _find_files(directory)
        if not missing:
            return directory, paths
        searched.append(f"{directory} ({source}): {_state(directory, missing)}")
    target = os.fspath(root) if root is not None else cache_dir(name)
    failure = ""
    if download:
        try:
            return target, download_files(name, target, timeout=timeout)
        except (OSError, ValueError) as exc:
            failure = f"\nDownloading into {target} failed: {exc}"
    names = "\n".join(f"    {n}[.gz]" for n in FILES.values())
    where = "\n".join(f"    {line}" for line in searched)
    how = (f"`sudo apt-get install {spec['apt']}` (Debian/Ubuntu; puts them in "
           f"{spec['system'][0]}), or " if spec["apt"] else "")
    raise DatasetNotFoundError(
        f"{spec['title']} not found.  Needed, gzipped or not, in one directory:\n{names}\n"
        f"Searched, in order:\n{where}{failure}\n"
        f"To get them: {how}download them from {spec['mirrors'][0]} into {cache_dir(name)} "
        f"(or any directory named by ${spec['env']} or the root argument).")


def _open_url(url, timeout):
    """``urllib.request.urlopen`` (imported here: nothing network-related at import time)."""
    import urllib.request
    return urllib.request.urlopen(url, timeout=timeout)


def _content_sha256(path):
    """SHA-256 of the file's data, gunzipped when it is gzipped."""
    with open(path, "rb") as f:
        gzipped = f.read(2) == GZIP_MAGIC
    h = hashlib.sha256()
    with (gzip.open if gzipped else open)(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download_url(url, dest, sha256=None, timeout=30, check=None):
    """Fetch ``url`` into ``dest`` atomically, checking the SHA-256 of its (gunzipped) data.

    The bytes go to a temporary file beside ``dest``, which replaces ``dest`` only once it is
    complete and verified; on any failure it is removed and ``dest`` is left as it was.

    Args:
        url: http(s):// or file:// URL.
        dest: the file to create.
        sha256: expected hex digest of the data (after gunzip); None skips the check with a
            warning.
        timeout: seconds per network operation.
        check: called with the temporary file's path before it is moved into place; an
            exception it raises aborts the download (e.g. ``read_idx``).
    Raises:
        ChecksumError: the data's SHA-256 is not ``sha256``.
        OSError: the download failed (urllib's URLError is an OSError).
    """
    dest = os.fspath(dest)
    if sha256 is not None and not (isinstance(sha256, str) and len(sha256) == 64 and all(
            c in "0123456789abcdef" for c in sha256.lower())):
        raise ValueError(f"download_url: sha256 must be None or 64 hex digits, got "
                         f"{sha256!r:.80}")
    check_real("download_url", "timeout", timeout, low=0, low_open=True, none=True)
    check_callable("download_url", "check", check, none=True)
    directory = os.path.dirname(os.path.abspath(dest))
    response = _open_url(url, timeout)       # first: a failed connection creates nothing
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(dest),
                                   suffix=".part")
    except BaseException:
        response.close()
        raise
    try:
        with os.fdopen(fd, "wb") as out, response:
            shutil.copyfileobj(response, out, 1 << 20)
        if sha256 is None:
            warnings.warn(f"{url}: no SHA-256 recorded for this file; its contents are not "
                          f"verified", stacklevel=2)
        else:
            try:
                got = _content_sha256(tmp)
            except (OSError, EOFError, zlib.error) as exc:
                raise ChecksumError(f"{url}: cannot gunzip the data to verify it "
                                    f"({type(exc).__name__}: {exc})") from None
            if got != sha256:
                raise ChecksumError(f"{url}: SHA-256 of the data is {got}, expected {sha256}")
        if check is not None:
            check(tmp)
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return dest


def download_files(name, directory, mirrors=None, timeout=30):
    """Download dataset ``name``'s four .gz files into ``directory``, trying each mirror in turn.

    Returns ``{key: path}`` like :func:`locate`.  Raises the last error when every mirror
    failed for a file.
    """
    spec = _spec(name)
    if mirrors is not None:
        given = mirrors
        listed = hasattr(mirrors, "__iter__") and not isinstance(mirrors, (str, bytes))
        mirrors = list(mirrors) if listed else None
        if not listed or not all(isinstance(m, str) for m in mirrors):
            raise TypeError(f"download_files: mirrors must be None or a list of URLs (str), "
                            f"got {got(given)}")
    check_real("download_files", "timeout", timeout, low=0, low_open=True, none=True)
    paths = {}
    for key, fname in FILES.items():
        dest = os.path.join(directory, fname + ".gz")
        ndim = 3 if "images" in key else 1
        errors = []
        for mirror in mirrors or spec["mirrors"]:
            url = mirror.rstrip("/") + "/" + fname + ".gz"
            try:
                paths[key] = download_url(url, dest, spec["sha256"].get(fname), timeout,
                                          check=lambda p, n=ndim: read_idx(p, n, np.uint8))
                break
            except (OSError, ValueError) as exc:       # ChecksumError, IDXFormatError too
                errors.append(f"{url}: {exc}")
        else:
            kind = ChecksumError if any("SHA-256" in e for e in errors) else OSError
            raise kind("; ".join(errors))
    return paths


def _load(name, root, download, as_float, timeout):
    spec = _spec(name)
    check_bool(name.replace("-", "_"), "download", download)
    check_bool(name.replace("-", "_"), "as_float", as_float)
    check_real(name.replace("-", "_"), "timeout", timeout, low=0, low_open=True, none=True)
    _, paths = locate(name, root, download, timeout)
    out = []
    for split in ("train", "test"):
        ipath, lpath = paths[f"{split}_images"], paths[f"{split}_labels"]
        images = read_idx(ipath, ndim=3, dtype=np.uint8)
        labels = read_idx(lpath, ndim=1, dtype=np.uint8)
        if images.shape[1:] != (28, 28):
            raise ValueError(f"{ipath}: images of {images.shape[1:]} pixels, expected (28, 28) "
                             f"for {spec['title']}")
        if len(images) != len(labels):
            raise ValueError(f"{ipath} holds {len(images)} images but {lpath} {len(labels)} "
                             f"labels")
        if labels.size and labels.max() > 9:
            raise ValueError(f"{lpath}: label {labels.max()} found, expected 0…9")
        x = images.astype(np.float32) / np.float32(255) if as_float else images
        out.append((x, labels.astype(np.int64)))
    return tuple(out)


def mnist(root=None, download=True, as_float=False, timeout=30):
    """MNIST handwritten digits: ``((x_train, y_train), (x_test, y_test))``.

    Args:
        root: directory with the four IDX files (else the search in the module doc).
        download: fetch them from the mirrors when not found.
        as_float: images as float32 in [0, 1] instead of uint8.
    Returns:
        x: uint8 (N, 28, 28) (N = 60 000 train, 10 000 test); y: int64 (N,) in 0…9.
    """
    return _load("mnist", root, download, as_float, timeout)


def fashion_mnist(root=None, download=True, as_float=False, timeout=30):
    """Fashion-MNIST (Zalando): ``((x_train, y_train), (x_test, y_test))``, as :func:`mnist`.

    Classes: 0 T-shirt/top, 1 trouser, 2 pullover, 3 dress, 4 coat, 5 sandal, 6 shirt,
    7 sneaker, 8 bag, 9 ankle boot.
    """
    return _load("fashion-mnist", root, download, as_float, timeout)
