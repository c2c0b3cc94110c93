"""Every data set of the course, loaded the way ``keras.datasets`` loads it, with a verified cache.

Loaders (each returns what the matching ``keras.datasets.*.load_data()`` returns)::

    (x_train, y_train), (x_test, y_test) = load_mnist()          # uint8 (60000, 28, 28), (60000,)
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist()  # uint8, same shapes
    (x_train, y_train), (x_test, y_test) = load_imdb(num_words=10_000)  # object arrays of lists
    (t_train, y_train), (t_test, y_test) = load_imdb_text()      # raw review strings
    word_index = get_imdb_word_index()                           # {"the": 1, "and": 2, ...}
    (x_train, y_train), (x_test, y_test) = load_iris()           # float32 (120, 4), int64 (120,)

Where files are looked for, in this order (Keras cache layout inside each folder:
``mnist.npz``, ``mnist/<idx>.gz``, ``fashion-mnist/<idx>.gz``, ``imdb.npz``,
``imdb_word_index.json``, ``aclImdb_v1_labeled.tar.gz``, ``aclImdb_v1.tar.gz``):

1. ``$COURSE_DATA_DIR`` (several folders may be joined with ``os.pathsep``),
2. the repository's ``data/`` folder,
3. ``~/.keras/datasets`` (``$KERAS_HOME/datasets`` when ``KERAS_HOME`` is set).

Every file is checked against its sha256 (:data:`SHA256`) before use. When no folder has a
file it is downloaded from Keras' own URLs (the Stanford archive for raw IMDB) into
``~/.keras/datasets``, unless ``COURSE_OFFLINE=1``. Any problem (missing file offline, truncated
or corrupted file, hash mismatch, failed download) raises :class:`DataError`, whose message names
the file, the folders searched and the fix. Derived data (the tokenized IMDB reviews) is cached
in ``$COURSE_CACHE_DIR`` (default ``~/.cache/dl-course``).

Command line::

    python -m utils.data prefetch [mnist fashion_mnist imdb imdb_text imdb_word_index | all]
    python -m utils.data verify   [names...]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import itertools
import json
import os
import pickle
import re
import sys
import tarfile
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "DATASETS",
    "FASHION_MNIST_CLASSES",
    "FASHION_MNIST_CLASSES_JA",
    "IMDB_CLASSES",
    "IRIS_CLASSES",
    "MNIST_CLASSES",
    "SHA256",
    "URLS",
    "DataError",
    "cache_dir",
    "decode_review",
    "get_imdb_word_index",
    "imdb_tokenize",
    "keras_datasets_dir",
    "load_fashion_mnist",
    "load_imdb",
    "load_imdb_text",
    "load_iris",
    "load_mnist",
    "locate_file",
    "main",
    "prefetch",
    "search_path",
    "sha256_file",
    "verify",
]

# --------------------------------------------------------------------------------------------
# Known files: one table of hashes (tests monkeypatch it) and one of download URLs.
# --------------------------------------------------------------------------------------------

KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
STANFORD_IMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"

MNIST_NPZ = "mnist.npz"
#: The original LeCun IDX files, in the order train images, train labels, test images, test labels.
MNIST_IDX = (
    "mnist/train-images-idx3-ubyte.gz",
    "mnist/train-labels-idx1-ubyte.gz",
    "mnist/t10k-images-idx3-ubyte.gz",
    "mnist/t10k-labels-idx1-ubyte.gz",
)
FASHION_MNIST_IDX = (
    "fashion-mnist/train-images-idx3-ubyte.gz",
    "fashion-mnist/train-labels-idx1-ubyte.gz",
    "fashion-mnist/t10k-images-idx3-ubyte.gz",
    "fashion-mnist/t10k-labels-idx1-ubyte.gz",
)
IMDB_NPZ = "imdb.npz"
IMDB_WORD_INDEX = "imdb_word_index.json"
IMDB_LABELED = "aclImdb_v1_labeled.tar.gz"
IMDB_STANFORD = "aclImdb_v1.tar.gz"

#: sha256 of every file the loaders read, keyed by its path in the Keras cache layout.
#: Keras' own hashes (keras/src/datasets/*.py), the official MNIST files, the Stanford archive
#: as pinned by TensorFlow Datasets (84125825 bytes), and the course's labeled IMDB archive.
SHA256: dict[str, str] = {
    MNIST_NPZ: "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    MNIST_IDX[0]: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    MNIST_IDX[1]: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    MNIST_IDX[2]: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    MNIST_IDX[3]: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    FASHION_MNIST_IDX[0]: "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    FASHION_MNIST_IDX[1]: "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    FASHION_MNIST_IDX[2]: "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    FASHION_MNIST_IDX[3]: "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    IMDB_NPZ: "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
    IMDB_WORD_INDEX: "027313fe9a320280f3bf0fac5baf58c4a683cf39a7ed9c3d3d3912bde4284cf6",
    IMDB_LABELED: "3c27c84c5b647935a2b44ee9c5b3fc302d26b6d268caf4c6a360aa7cb1f5fce7",
    IMDB_STANFORD: "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe",
}

#: Where a missing file is downloaded from (files without an entry are never downloaded).
URLS: dict[str, str] = {
    MNIST_NPZ: KERAS_URL + "mnist.npz",
    **{rel: KERAS_URL + rel.split("/", 1)[1] for rel in FASHION_MNIST_IDX},
    IMDB_NPZ: KERAS_URL + "imdb.npz",
    IMDB_WORD_INDEX: KERAS_URL + "imdb_word_index.json",
    IMDB_STANFORD: STANFORD_IMDB_URL,
}

#: Data set names accepted by ``prefetch``/``verify``, with the files each can use.
DATASETS: dict[str, tuple[str, ...]] = {
    "mnist": (MNIST_NPZ, *MNIST_IDX),
    "fashion_mnist": FASHION_MNIST_IDX,
    "imdb": (IMDB_NPZ,),  # or imdb_text + imdb_word_index
    "imdb_text": (IMDB_LABELED, IMDB_STANFORD),
    "imdb_word_index": (IMDB_WORD_INDEX,),
}
_DATASET_OF = {rel: name for name, rels in DATASETS.items() for rel in rels}

MNIST_CLASSES: tuple[str, ...] = tuple(str(d) for d in range(10))
FASHION_MNIST_CLASSES: tuple[str, ...] = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
FASHION_MNIST_CLASSES_JA: tuple[str, ...] = (
    "Tシャツ/トップス", "ズボン", "プルオーバー", "ドレス", "コート",
    "サンダル", "シャツ", "スニーカー", "バッグ", "アンクルブーツ",
)  # fmt: skip
IMDB_CLASSES: tuple[str, ...] = ("negative", "positive")
IRIS_CLASSES: tuple[str, ...] = ("setosa", "versicolor", "virginica")

#: Special tokens shown by :func:`decode_review` (Keras: 0 = padding, 1 = start, 2 = OOV).
PAD_TOKEN, START_TOKEN, OOV_TOKEN = "<pad>", "<start>", "<unk>"

#: Keras' default ``filters`` of ``text_to_word_sequence`` / ``Tokenizer``.
KERAS_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
_FILTER_TABLE = str.maketrans(dict.fromkeys(KERAS_FILTERS, " "))

#: The repository's ``data/`` folder (repo root = parent of the ``utils`` package).
REPO_DATA_DIR = Path(__file__).resolve().parent.parent / "data"

_TOKEN_CACHE_VERSION = 1
_HASH_CACHE: dict[tuple[str, int, int], str] = {}
_WORD_INDEX_MEMO: dict[tuple[str, int, int], dict[str, int]] = {}
_REVERSE_MEMO: dict[tuple[tuple[str, int, int], int], dict[int, str]] = {}

Split = tuple[NDArray[Any], NDArray[Any]]
TextSplit = tuple[list[str], NDArray[np.int64]]


class DataError(RuntimeError):
    """A data file is missing, corrupted or has the wrong sha256; the message says how to fix it."""


# --------------------------------------------------------------------------------------------
# Locations
# --------------------------------------------------------------------------------------------


def keras_datasets_dir() -> Path:
    """Keras' download cache: ``$KERAS_HOME/datasets``, else ``~/.keras/datasets``.

    Like Keras, falls back to ``/tmp/.keras/datasets`` when the home folder is not writable.
    """
    home = os.environ.get("KERAS_HOME")
    if home:
        return Path(home).expanduser() / "datasets"
    base = Path.home()
    if not os.access(base, os.W_OK):
        base = Path(tempfile.gettempdir())
    return base / ".keras" / "datasets"


def _search_locations() -> list[tuple[Path, str]]:
    """(folder, why it is searched), in search order, without duplicates."""
    found: list[tuple[Path, str]] = []
    env = os.environ.get("COURSE_DATA_DIR", "")
    for part in env.split(os.pathsep):
        if part.strip():
            found.append((Path(part.strip()).expanduser(), "$COURSE_DATA_DIR"))
    found.append((Path(REPO_DATA_DIR), "the repository's data/"))
    found.append((keras_datasets_dir(), "Keras' cache; downloads go here"))
    seen: set[str] = set()
    unique = []
    for folder, why in found:
        key = os.path.abspath(folder)
        if key not in seen:
            seen.add(key)
            unique.append((folder, why))
    return unique


def search_path() -> list[Path]:
    """The folders searched for data files, in order: ``$COURSE_DATA_DIR``, the repo's ``data/``,
    ``~/.keras/datasets`` (``$KERAS_HOME/datasets``). Read from the environment at each call."""
    return [folder for folder, _ in _search_locations()]


def cache_dir() -> Path:
    """The course's own cache of derived data: ``$COURSE_CACHE_DIR``, else ``~/.cache/dl-course``.

    (``COURSE_DATA_DIR`` may be read-only, so nothing is ever written there.)
    """
    env = os.environ.get("COURSE_CACHE_DIR", "").strip()
    return Path(env).expanduser() if env else Path.home() / ".cache" / "dl-course"


def _offline() -> bool:
    return os.environ.get("COURSE_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def _find(relpath: str) -> Path | None:
    """The first existing ``folder/relpath`` along :func:`search_path`, unverified."""
    for folder in search_path():
        candidate = folder / relpath
        if candidate.is_file():
            return candidate
    return None


def _find_all(relpath: str) -> list[Path]:
    return [folder / relpath for folder in search_path() if (folder / relpath).is_file()]


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


def _searched_text() -> str:
    lines = [f"  {i}. {folder}  ({why})" for i, (folder, why) in enumerate(_search_locations(), 1)]
    return "Searched, in this order:\n" + "\n".join(lines)


def _fix_text(relpath: str, bad: Path | None = None) -> str:
    name = _DATASET_OF.get(relpath, "all")
    lines = ["How to fix:"]
    if bad is not None:
        lines.append(f"  - delete the bad file at {bad}  (rm '{bad}'), then")
    lines.append(
        f"  - run `python -m utils.data prefetch {name}` on a machine with internet access "
        f"(it downloads into {keras_datasets_dir()}), or"
    )
    lines.append(
        "  - set COURSE_DATA_DIR to a folder holding the verified files in the Keras cache "
        "layout (e.g. ../shared/datasets); see data/README.md."
    )
    return "\n".join(lines)


def _missing_error(relpath: str, reason: str, also: str | None = None) -> DataError:
    what = f"'{relpath}' was not found" + (f" ({also})" if also else "")
    reason = f" {reason}" if reason else ""
    return DataError(f"Data file {what}.{reason}\n{_searched_text()}\n{_fix_text(relpath)}")


def _bad_file_error(relpath: str, path: Path, problem: str) -> DataError:
    return DataError(
        f"Data file '{relpath}' at {path} {problem}\n{_searched_text()}\n"
        f"{_fix_text(relpath, bad=path)}"
    )


def _corrupted(relpath: str, path: Path, detail: str) -> DataError:
    return _bad_file_error(relpath, path, f"is truncated or corrupted: {detail}.")


# --------------------------------------------------------------------------------------------
# Hashing, verification, download
# --------------------------------------------------------------------------------------------


def _hash_file(path: Path) -> str:
    """sha256 of a file, read in 1 MiB chunks (no caching)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_file(path: str | os.PathLike[str]) -> str:
    """sha256 hex digest of ``path``, remembered for the process by (path, size, mtime)."""
    p = Path(path)
    st = p.stat()
    key = (os.path.abspath(p), st.st_size, st.st_mtime_ns)
    if key not in _HASH_CACHE:
        _HASH_CACHE[key] = _hash_file(p)
    return _HASH_CACHE[key]


def _check(relpath: str, path: Path) -> Path:
    """Return ``path`` when its sha256 is the known one for ``relpath``, else raise DataError."""
    expected = SHA256[relpath]
    try:
        actual = sha256_file(path)
    except OSError as exc:
        raise _bad_file_error(relpath, path, f"cannot be read: {exc}.") from exc
    if actual != expected:
        raise _bad_file_error(
            relpath,
            path,
            f"has the wrong sha256 (truncated, corrupted or a different version):\n"
            f"  got      {actual}\n  expected {expected}",
        )
    return path


def _download(url: str, dest: Path) -> None:
    """Stream ``url`` into the file ``dest`` with a progress bar. The module's only network access."""
    import urllib.request

    from tqdm import tqdm

    request = urllib.request.Request(url, headers={"User-Agent": "dl-course-utils"})
    with urllib.request.urlopen(request, timeout=60) as response, open(dest, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0) or None
        name = url.rsplit("/", 1)[-1]
        with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=name) as bar:
            while chunk := response.read(1 << 20):
                out.write(chunk)
                bar.update(len(chunk))


def _fetch(relpath: str, also: str | None = None) -> Path:
    """Download ``relpath`` into :func:`keras_datasets_dir` atomically and verify it."""
    url = URLS.get(relpath)
    if url is None:
        raise _missing_error(relpath, "It is not downloaded automatically.", also)
    if _offline():
        raise _missing_error(relpath, "Downloads are disabled (COURSE_OFFLINE=1).", also)
    dest = keras_datasets_dir() / relpath
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
        os.close(fd)
    except OSError as exc:
        raise _missing_error(
            relpath, f"Cannot create {dest.parent} to download it: {exc}."
        ) from exc
    tmp = Path(tmp_name)
    try:
        _download(url, tmp)
        actual = _hash_file(tmp)
        if actual != SHA256[relpath]:
            raise DataError(
                f"Downloaded {url} but its sha256 is wrong, so it was deleted:\n"
                f"  got      {actual}\n  expected {SHA256[relpath]}\n"
                f"(an interrupted transfer, a proxy page or a changed file).\n"
                f"{_searched_text()}\n{_fix_text(relpath)}"
            )
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except DataError:
        tmp.unlink(missing_ok=True)
        raise
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        raise _missing_error(
            relpath, f"Downloading it from {url} failed: {type(exc).__name__}: {exc}.", also
        ) from exc
    except BaseException:  # KeyboardInterrupt: no partial file either
        tmp.unlink(missing_ok=True)
        raise
    return dest


def locate_file(relpath: str, *, download: bool = True, also: str | None = None) -> Path:
    """Path of the verified file ``relpath`` (Keras cache layout, e.g. ``"mnist.npz"``).

    The first folder of :func:`search_path` that has it wins; its sha256 must match
    :data:`SHA256` (else :class:`DataError`, not a silent fall-back). When no folder has it,
    it is downloaded (unless ``download=False`` or ``COURSE_OFFLINE=1``).
    """
    if relpath not in SHA256:
        raise KeyError(f"unknown data file {relpath!r}; known: {sorted(SHA256)}")
    found = _find(relpath)
    if found is not None:
        return _check(relpath, found)
    if not download:
        raise _missing_error(relpath, "", also)
    return _fetch(relpath, also)


# --------------------------------------------------------------------------------------------
# MNIST / Fashion-MNIST
# --------------------------------------------------------------------------------------------


def _read_gzip(relpath: str, path: Path) -> bytes:
    try:
        with gzip.open(path, "rb") as f:
            return f.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise _corrupted(relpath, path, f"bad gzip data ({type(exc).__name__}: {exc})") from exc


def _read_idx(relpath: str, path: Path, magic: int) -> NDArray[np.uint8]:
    """Parse one gzipped IDX file of unsigned bytes: magic 0x803 = images (N, rows, cols),
    0x801 = labels (N,). Returns a writable uint8 array."""
    data = _read_gzip(relpath, path)
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(data) < header:
        raise _corrupted(relpath, path, f"IDX header too short ({len(data)} bytes)")
    found_magic = int.from_bytes(data[:4], "big")
    if found_magic != magic:
        raise _corrupted(
            relpath, path, f"bad IDX magic number 0x{found_magic:x} (expected 0x{magic:x})"
        )
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    size = int(np.prod(dims))
    if len(data) - header != size:
        raise _corrupted(
            relpath, path, f"IDX header says {dims} = {size} bytes, file holds {len(data) - header}"
        )
    return np.frombuffer(data, np.uint8, offset=header).reshape(dims).copy()


def _load_idx_set(relpaths: Sequence[str], paths: Sequence[Path]) -> tuple[Split, Split]:
    x_train = _read_idx(relpaths[0], paths[0], 0x803)
    y_train = _read_idx(relpaths[1], paths[1], 0x801)
    x_test = _read_idx(relpaths[2], paths[2], 0x803)
    y_test = _read_idx(relpaths[3], paths[3], 0x801)
    for xr, yr, x, y, xp in (
        (relpaths[0], relpaths[1], x_train, y_train, paths[0]),
        (relpaths[2], relpaths[3], x_test, y_test, paths[2]),
    ):
        if len(x) != len(y):
            raise _corrupted(xr, xp, f"{len(x)} images but {yr} holds {len(y)} labels")
    return (x_train, y_train), (x_test, y_test)


def _load_mnist_npz(path: Path) -> tuple[Split, Split]:
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in ("x_train", "y_train", "x_test", "y_test")}
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
        raise _corrupted(MNIST_NPZ, path, f"bad npz ({type(exc).__name__}: {exc})") from exc
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _mnist_source() -> tuple[str, list[Path]]:
    """("npz", [path]) when a folder has mnist.npz, else ("idx", 4 paths), else download npz."""
    npz = _find(MNIST_NPZ)
    if npz is not None:
        return "npz", [_check(MNIST_NPZ, npz)]
    idx = [_find(rel) for rel in MNIST_IDX]
    if all(p is not None for p in idx):
        return "idx", [
            _check(rel, p) for rel, p in zip(MNIST_IDX, idx, strict=True) if p is not None
        ]
    return "npz", [_fetch(MNIST_NPZ, also="nor the four IDX files mnist/*-ubyte.gz")]


def load_mnist() -> tuple[Split, Split]:
    """MNIST digits, as ``keras.datasets.mnist.load_data()``.

    Returns ``(x_train, y_train), (x_test, y_test)``: x uint8 ``(60000, 28, 28)`` /
    ``(10000, 28, 28)`` with pixels 0..255, y uint8 ``(60000,)`` / ``(10000,)`` in 0..9.
    Read from ``mnist.npz`` when a folder has it, else from the four original IDX files in
    ``mnist/`` (the same arrays), else ``mnist.npz`` is downloaded.
    """
    kind, paths = _mnist_source()
    if kind == "npz":
        return _load_mnist_npz(paths[0])
    return _load_idx_set(MNIST_IDX, paths)


def load_fashion_mnist() -> tuple[Split, Split]:
    """Fashion-MNIST, as ``keras.datasets.fashion_mnist.load_data()``; names in
    :data:`FASHION_MNIST_CLASSES`.

    Returns ``(x_train, y_train), (x_test, y_test)``: x uint8 ``(60000, 28, 28)`` /
    ``(10000, 28, 28)``, y uint8 ``(60000,)`` / ``(10000,)``. Files: ``fashion-mnist/*.gz``.
    Unlike Keras (read-only ``frombuffer`` views) the arrays are writable.
    """
    paths = [locate_file(rel) for rel in FASHION_MNIST_IDX]
    return _load_idx_set(FASHION_MNIST_IDX, paths)


# --------------------------------------------------------------------------------------------
# IMDB: word index, tokenization, raw archive, Keras-style sequences
# --------------------------------------------------------------------------------------------


def _word_index_with_key() -> tuple[tuple[str, int, int], dict[str, int]]:
    path = locate_file(IMDB_WORD_INDEX)
    st = path.stat()
    key = (os.path.abspath(path), st.st_size, st.st_mtime_ns)
    if key not in _WORD_INDEX_MEMO:
        try:
            with open(path, encoding="utf-8") as f:
                index = json.load(f)
            if not isinstance(index, dict):
                raise ValueError("not a JSON object")
        except (ValueError, UnicodeDecodeError) as exc:
            raise _corrupted(IMDB_WORD_INDEX, path, f"bad JSON ({exc})") from exc
        _WORD_INDEX_MEMO[key] = index
    return key, _WORD_INDEX_MEMO[key]


def get_imdb_word_index() -> dict[str, int]:
    """Keras' IMDB word index (``keras.datasets.imdb.get_word_index()``): word -> rank.

    88 584 words, ranks 1..88584 by frequency ("the" = 1); a sequence from :func:`load_imdb`
    holds ``rank + index_from``. Returns a fresh dict (safe to modify).
    """
    return dict(_word_index_with_key()[1])


def decode_review(
    seq: Iterable[int],
    index_from: int = 3,
    *,
    start_char: int = 1,
    oov_char: int = 2,
    word_index: Mapping[str, int] | None = None,
) -> str:
    """Turn an integer sequence from :func:`load_imdb` back into words.

    seq: ``(T,)`` token ids. Padding (0) is skipped, ``start_char`` shows as ``<start>``,
    ``oov_char`` and unknown ids as ``<unk>``. ``word_index`` defaults to
    :func:`get_imdb_word_index`.
    """
    if word_index is None:
        key, index = _word_index_with_key()
        memo_key = (key, index_from)
        if memo_key not in _REVERSE_MEMO:
            _REVERSE_MEMO[memo_key] = {rank + index_from: w for w, rank in index.items()}
        reverse = _REVERSE_MEMO[memo_key]
    else:
        reverse = {rank + index_from: w for w, rank in word_index.items()}
    words = []
    for token in seq:
        i = int(token)
        if i == 0:
            continue
        if i == start_char:
            words.append(START_TOKEN)
        elif i == oov_char:
            words.append(OOV_TOKEN)
        else:
            words.append(reverse.get(i, OOV_TOKEN))
    return " ".join(words)


def imdb_tokenize(text: str) -> list[str]:
    """Split a review into words the Keras way: lowercase, ``<br />`` removed, Keras' default
    punctuation filter (:data:`KERAS_FILTERS`) replaced by spaces, split on whitespace.

    Same result as ``keras.preprocessing.text.text_to_word_sequence(text.replace("<br />",
    " "))`` except that any whitespace separates words (Keras splits on " " only).
    """
    return text.lower().replace("<br />", " ").translate(_FILTER_TABLE).split()


_MEMBER_RE = re.compile(r"^(?:\./)?aclImdb/(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")


def _parse_imdb_archive(relpath: str, path: Path) -> tuple[list[str], NDArray[np.int64], int]:
    """Read every labeled review of an aclImdb tar.gz, streaming (``unsup/`` skipped).

    Returns ``(texts, labels, n_train)``: the train reviews then the test reviews, each part
    sorted by (label folder: neg then pos, numeric id); labels int64 (N,), 0 = neg, 1 = pos.
    """
    rows: list[tuple[int, int, int, str]] = []
    try:
        with tarfile.open(path, "r|gz") as tar:
            for member in tar:
                m = _MEMBER_RE.match(member.name)
                if m is None or not member.isfile():
                    continue
                f = tar.extractfile(member)
                if f is None:
                    continue
                text = f.read().decode("utf-8", errors="replace")
                split = 0 if m.group(1) == "train" else 1
                label = 1 if m.group(2) == "pos" else 0
                rows.append((split, label, int(m.group(3)), text))
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise _corrupted(relpath, path, f"bad tar.gz ({type(exc).__name__}: {exc})") from exc
    rows.sort(key=lambda r: r[:3])
    n_train = sum(1 for r in rows if r[0] == 0)
    if n_train == 0 or n_train == len(rows):
        raise _corrupted(
            relpath, path, "no reviews aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt found"
        )
    texts = [r[3] for r in rows]
    labels = np.array([r[1] for r in rows], dtype=np.int64)
    return texts, labels, n_train


def _imdb_archive(download: bool = True) -> tuple[str, Path]:
    """The verified raw IMDB archive: the course's labeled one, else Stanford's (downloaded)."""
    for rel in (IMDB_LABELED, IMDB_STANFORD):
        found = _find(rel)
        if found is not None:
            return rel, _check(rel, found)
    also = f"nor {IMDB_LABELED}"
    if not download:
        raise _missing_error(IMDB_STANFORD, "", also)
    return IMDB_STANFORD, _fetch(IMDB_STANFORD, also=also)


def _shuffled(n: int, rng: np.random.RandomState) -> NDArray[np.int64]:
    indices = np.arange(n)
    rng.shuffle(indices)
    return indices


def load_imdb_text(seed: int = 113) -> tuple[TextSplit, TextSplit]:
    """The raw IMDB reviews (for TextVectorization, word2vec, the Transformer).

    Returns ``(texts_train, y_train), (texts_test, y_test)``: lists of 25 000 str, y int64
    ``(25000,)`` (0 = negative, 1 = positive). From ``aclImdb_v1_labeled.tar.gz`` or Stanford's
    ``aclImdb_v1.tar.gz`` (downloaded if neither is found). Reviews are read in the order
    (neg, pos) x id, then shuffled like Keras' loader (``RandomState(seed)``, train then test), so
    with the same seed they line up with :func:`load_imdb` built from the archive. Not cached:
    reading the archive takes about 2 s.
    """
    relpath, path = _imdb_archive()
    texts, labels, n_train = _parse_imdb_archive(relpath, path)
    rng = np.random.RandomState(seed)
    i_train = _shuffled(n_train, rng)
    i_test = _shuffled(len(texts) - n_train, rng) + n_train
    return (
        ([texts[i] for i in i_train], labels[i_train]),
        ([texts[i] for i in i_test], labels[i_test]),
    )


# Token arrays: ``tokens`` int32 (total,) word ranks (-1 = not in the word index), ``offsets``
# int64 (N + 1,) so that review i is tokens[offsets[i]:offsets[i + 1]], ``labels`` int64 (N,),
# and ``n_train`` (the first n_train reviews are the train split).
_TokenArrays = tuple[NDArray[np.int32], NDArray[np.int64], NDArray[np.int64], int]


def _encode(texts: Sequence[str], word_index: Mapping[str, int]) -> tuple[NDArray, NDArray]:
    get = word_index.get
    ids: list[int] = []
    lengths = np.empty(len(texts), dtype=np.int64)
    for i, text in enumerate(texts):
        words = imdb_tokenize(text)
        ids.extend([get(w, -1) for w in words])
        lengths[i] = len(words)
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return np.array(ids, dtype=np.int32), offsets


def _token_cache_path(archive_sha: str, index_sha: str) -> Path:
    name = f"imdb_tokens_v{_TOKEN_CACHE_VERSION}_{archive_sha[:16]}_{index_sha[:16]}.npz"
    return cache_dir() / name


def _read_token_cache(path: Path) -> _TokenArrays:
    with np.load(path, allow_pickle=False) as f:
        tokens, offsets = f["tokens"], f["offsets"]
        labels, n_train = f["labels"], int(f["n_train"])
    ok = (
        tokens.ndim == 1
        and offsets.ndim == 1
        and len(offsets) == len(labels) + 1
        and offsets[0] == 0
        and offsets[-1] == len(tokens)
        and bool(np.all(np.diff(offsets) >= 0))
        and 0 < n_train < len(labels)
    )
    if not ok:
        raise ValueError("inconsistent token cache")
    return tokens.astype(np.int32, copy=False), offsets, labels.astype(np.int64), n_train


def _write_atomic_npz(path: Path, **arrays: NDArray[Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def _imdb_tokens_from_archive() -> _TokenArrays:
    """Token arrays of the raw archive, from the course cache or built (and cached) once."""
    relpath, archive = _imdb_archive()
    index_path = locate_file(IMDB_WORD_INDEX)
    cache = _token_cache_path(sha256_file(archive), sha256_file(index_path))
    if cache.is_file():
        try:
            return _read_token_cache(cache)
        except Exception as exc:  # any damage: rebuild, never fatal
            warnings.warn(
                f"IMDB token cache {cache} is damaged ({exc}); rebuilding it.", stacklevel=3
            )
            cache.unlink(missing_ok=True)
    print(f"[data] tokenizing the IMDB reviews of {archive.name} (first time only, ~10 s)...")
    texts, labels, n_train = _parse_imdb_archive(relpath, archive)
    _, word_index = _word_index_with_key()
    tokens, offsets = _encode(texts, word_index)
    try:
        _write_atomic_npz(
            cache, tokens=tokens, offsets=offsets, labels=labels, n_train=np.int64(n_train)
        )
    except OSError as exc:
        warnings.warn(f"could not write the IMDB token cache {cache}: {exc}", stacklevel=3)
    return tokens, offsets, labels, n_train


def _find_any_archive() -> bool:
    return _find(IMDB_LABELED) is not None or _find(IMDB_STANFORD) is not None


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickler for Keras' imdb.npz object arrays: only numpy array reconstruction allowed."""

    _ALLOWED = frozenset(
        {
            ("numpy", "ndarray"),
            ("numpy", "dtype"),
            ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct"),
        }
    )

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def _read_npy_member(raw: bytes) -> NDArray[Any]:
    fp = io.BytesIO(raw)
    try:
        return np.lib.format.read_array(fp, allow_pickle=False)
    except ValueError:
        fp.seek(0)
        version = np.lib.format.read_magic(fp)
        if version[0] == 1:
            np.lib.format.read_array_header_1_0(fp)
        else:
            np.lib.format.read_array_header_2_0(fp)
        return _NumpyOnlyUnpickler(fp).load()


def _imdb_tokens_from_npz(path: Path) -> _TokenArrays:
    """Token arrays of Keras' imdb.npz (word ranks, no start char, no offset)."""
    try:
        with zipfile.ZipFile(path) as archive:
            arrays = {
                name[: -len(".npy")]: _read_npy_member(archive.read(name))
                for name in archive.namelist()
                if name.endswith(".npy")
            }
        x_train, y_train = arrays["x_train"], arrays["y_train"]
        x_test, y_test = arrays["x_test"], arrays["y_test"]
        seqs = list(x_train) + list(x_test)
        lengths = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
        offsets = np.zeros(len(seqs) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        tokens = np.fromiter(
            itertools.chain.from_iterable(seqs), dtype=np.int32, count=int(offsets[-1])
        )
        labels = np.concatenate([y_train, y_test]).astype(np.int64)
        if len(labels) != len(seqs):
            raise ValueError("labels and sequences differ in number")
    except Exception as exc:
        raise _corrupted(IMDB_NPZ, path, f"bad npz ({type(exc).__name__}: {exc})") from exc
    return tokens, offsets, labels, len(x_train)


def _imdb_token_arrays() -> _TokenArrays:
    """imdb.npz when a folder has it; else the raw archive + word index; else download imdb.npz."""
    npz = _find(IMDB_NPZ)
    if npz is not None:
        return _imdb_tokens_from_npz(_check(IMDB_NPZ, npz))
    if _find_any_archive():
        return _imdb_tokens_from_archive()
    also = f"nor {IMDB_LABELED} / {IMDB_STANFORD} to build it from"
    return _imdb_tokens_from_npz(_fetch(IMDB_NPZ, also=also))


def _gather(
    tokens: NDArray[np.int32], offsets: NDArray[np.int64], order: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Concatenate reviews ``order`` -> (values (total,), lengths (len(order),))."""
    lengths = offsets[order + 1] - offsets[order]
    starts = np.cumsum(lengths) - lengths
    positions = np.repeat(offsets[order] - starts, lengths) + np.arange(int(lengths.sum()))
    return tokens[positions].astype(np.int64), lengths


def _to_object_array(values: NDArray[np.int64], lengths: NDArray[np.int64]) -> NDArray[Any]:
    flat = values.tolist()
    ends = np.cumsum(lengths).tolist()
    starts = [0, *ends[:-1]]
    out = np.empty(len(ends), dtype=object)
    for i, (a, b) in enumerate(zip(starts, ends, strict=True)):
        out[i] = flat[a:b]
    return out


def load_imdb(
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
) -> tuple[Split, Split]:
    """IMDB reviews as integer sequences, as ``keras.datasets.imdb.load_data(...)``.

    Returns ``(x_train, y_train), (x_test, y_test)``: x 1-D object arrays of Python int lists
    (review i = ``[start_char, rank + index_from, ...]``), y int64 (0 = neg, 1 = pos);
    25 000 reviews each without ``maxlen``. Post-processing is Keras': shuffle with
    ``RandomState(seed)`` (train then test), prepend ``start_char``, add ``index_from``, drop
    reviews with ``len >= maxlen``, replace ids outside ``[skip_top, num_words)`` by ``oov_char``
    (or drop them when it is None). As in Keras, ``num_words=None`` means the largest id seen,
    itself excluded.

    Source: Keras' ``imdb.npz`` when a folder has it. Otherwise the sequences are built from the
    raw labeled reviews (see :func:`load_imdb_text`) with Keras' word index and
    :func:`imdb_tokenize`; words missing from the index become ``oov_char``. Order before the
    shuffle: train then test, each sorted by (label folder neg, pos; review id) -- Keras' own
    npz order is not published. The token ids are cached in :func:`cache_dir` after the first
    build (~10 s); later loads take ~1-2 s.
    """
    tokens, offsets, labels, n_train = _imdb_token_arrays()
    rng = np.random.RandomState(seed)
    orders = (_shuffled(n_train, rng), _shuffled(len(labels) - n_train, rng) + n_train)
    parts = []
    for order in orders:
        raw, lengths = _gather(tokens, offsets, order)
        unknown = raw < 0
        values = raw + index_from
        if start_char is not None:
            starts = np.cumsum(lengths) - lengths
            values = np.insert(values, starts, start_char)
            unknown = np.insert(unknown, starts, False)
            lengths = lengths + 1
        y = labels[order]
        if maxlen:
            keep = lengths < maxlen
            element_keep = np.repeat(keep, lengths)
            values, unknown = values[element_keep], unknown[element_keep]
            lengths, y = lengths[keep], y[keep]
        parts.append([values, unknown, lengths, y])
    if maxlen and (len(parts[0][2]) == 0 or len(parts[1][2]) == 0):
        raise ValueError(
            f"After filtering for sequences shorter than maxlen={maxlen}, "
            "no sequence was kept. Increase maxlen."
        )
    if not num_words:
        known = [v[~u] for v, u, _, _ in parts if (~u).any()]
        num_words = int(max(int(k.max()) for k in known)) if known else 0
    result = []
    for values, unknown, lengths, y in parts:
        ok = (values >= skip_top) & (values < num_words) & ~unknown
        if oov_char is not None:
            values = np.where(ok, values, oov_char)
        else:
            segment = np.repeat(np.arange(len(lengths)), lengths)
            lengths = np.bincount(segment[ok], minlength=len(lengths)).astype(np.int64)
            values = values[ok]
        result.append((_to_object_array(values, lengths), y.astype(np.int64)))
    return result[0], result[1]


# --------------------------------------------------------------------------------------------
# Iris
# --------------------------------------------------------------------------------------------


def load_iris(test_size: float = 0.2, seed: int = 0) -> tuple[Split, Split]:
    """Fisher's iris (scikit-learn's bundled copy), stratified train/test split.

    Returns ``(x_train, y_train), (x_test, y_test)``: x float32 ``(120, 4)`` / ``(30, 4)``
    (sepal length, sepal width, petal length, petal width in cm), y int64 in 0..2
    (:data:`IRIS_CLASSES`), for the default ``test_size=0.2``.
    """
    from sklearn.datasets import load_iris as sk_load_iris
    from sklearn.model_selection import train_test_split

    iris = sk_load_iris()
    x = np.asarray(iris.data, dtype=np.float32)
    y = np.asarray(iris.target, dtype=np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_size, random_state=seed, stratify=y
    )
    return (x_train, y_train), (x_test, y_test)


# --------------------------------------------------------------------------------------------
# prefetch / verify / command line
# --------------------------------------------------------------------------------------------

_ALL = ("mnist", "fashion_mnist", "imdb_word_index", "imdb_text", "imdb")


def _names(names: Iterable[str] | None) -> list[str]:
    chosen = list(names or ["all"])
    out: list[str] = []
    for name in chosen:
        for n in _ALL if name == "all" else (name,):
            if n not in DATASETS:
                raise ValueError(f"unknown data set {n!r}; choose from {', '.join(_ALL)}, all")
            if n not in out:
                out.append(n)
    return out


def _prefetch_one(name: str) -> list[Path]:
    if name == "mnist":
        return _mnist_source()[1]
    if name == "fashion_mnist":
        return [locate_file(rel) for rel in FASHION_MNIST_IDX]
    if name == "imdb_word_index":
        return [locate_file(IMDB_WORD_INDEX)]
    if name == "imdb_text":
        return [_imdb_archive()[1]]
    # imdb: Keras' npz, or the archive + word index (building the token cache)
    npz = _find(IMDB_NPZ)
    if npz is None and _find_any_archive():
        _imdb_tokens_from_archive()
        archive = _imdb_archive(download=False)[1]
        index = locate_file(IMDB_WORD_INDEX)
        return [archive, index, _token_cache_path(sha256_file(archive), sha256_file(index))]
    _imdb_token_arrays()
    return [locate_file(IMDB_NPZ)]


def prefetch(names: Iterable[str] | None = None, out: TextIO | None = None) -> bool:
    """Locate, verify (and download if needed) the files of ``names`` (default: all), build the
    IMDB token cache, and print where each file is. Returns True when all succeeded."""
    out = out or sys.stdout
    ok = True
    for name in _names(names):
        try:
            paths = _prefetch_one(name)
        except DataError as exc:
            ok = False
            print(f"✗ {name}: {exc}", file=out)
            continue
        for path in paths:
            print(f"✓ {name:16s} {path}", file=out)
    return ok


def _file_status(relpath: str, path: Path) -> str | None:
    """None when ``path`` has the right sha256, else a short problem description."""
    try:
        actual = sha256_file(path)
    except OSError as exc:
        return f"unreadable: {exc}"
    return None if actual == SHA256[relpath] else f"wrong sha256 {actual[:16]}…"


_NEEDS = {
    "mnist": f"{MNIST_NPZ}, or the four mnist/*-ubyte.gz files",
    "fashion_mnist": "the four fashion-mnist/*-ubyte.gz files",
    "imdb_word_index": IMDB_WORD_INDEX,
    "imdb_text": f"{IMDB_LABELED} or {IMDB_STANFORD}",
    "imdb": f"{IMDB_NPZ}, or ({IMDB_LABELED} or {IMDB_STANFORD}) + {IMDB_WORD_INDEX}",
}


def verify(names: Iterable[str] | None = None, out: TextIO | None = None) -> bool:
    """Check the sha256 of every copy of every file of ``names`` (default: all) along
    :func:`search_path`, printing ✓/✗ per file. True when nothing is bad and every data set
    can be loaded from the files found (nothing would need a download)."""
    out = out or sys.stdout
    everything_ok = True
    good: dict[str, bool] = {}  # relpath -> the copy the loaders would use is good
    for name in _names(names):
        rels = DATASETS[name]
        if name == "imdb":
            rels = (IMDB_NPZ, IMDB_LABELED, IMDB_STANFORD, IMDB_WORD_INDEX)
        print(name, file=out)
        for rel in rels:
            copies = _find_all(rel)
            for i, path in enumerate(copies):
                problem = _file_status(rel, path)
                if i == 0:
                    good[rel] = problem is None
                if problem is None:
                    print(f"  ✓ {path}", file=out)
                else:
                    everything_ok = False
                    print(f"  ✗ {path}  ({problem}; delete it)", file=out)
            if not copies:
                good[rel] = False
        available = {
            "mnist": good.get(MNIST_NPZ) or all(good.get(r) for r in MNIST_IDX),
            "fashion_mnist": all(good.get(r) for r in FASHION_MNIST_IDX),
            "imdb_word_index": good.get(IMDB_WORD_INDEX),
            "imdb_text": good.get(IMDB_LABELED) or good.get(IMDB_STANFORD),
            "imdb": good.get(IMDB_NPZ)
            or ((good.get(IMDB_LABELED) or good.get(IMDB_STANFORD)) and good.get(IMDB_WORD_INDEX)),
        }[name]
        if not available:
            everything_ok = False
            print(f"  ✗ {name} cannot be loaded: it needs {_NEEDS[name]} (verified)", file=out)
            print(f"    in one of: {', '.join(map(str, search_path()))}", file=out)
    print("all verified" if everything_ok else "problems found (see ✗ above)", file=out)
    return everything_ok


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m utils.data {prefetch,verify} [names...]``; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m utils.data", description="Fetch and verify the course's data sets."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    choices = [*_ALL, "all"]
    for command, text in (
        ("prefetch", "locate, verify or download the files, and build the IMDB token cache"),
        ("verify", "check the sha256 of every data file found; exit 1 if any is bad or missing"),
    ):
        p = sub.add_parser(command, help=text, description=text)
        p.add_argument("names", nargs="*", metavar="name",
                       help=f"data sets: {', '.join(choices)} (default: all)")  # fmt: skip
    args = parser.parse_args(argv)
    try:
        _names(args.names)
    except ValueError as exc:
        parser.error(str(exc))
    if args.command == "prefetch":
        return 0 if prefetch(args.names) else 1
    return 0 if verify(args.names) else 1


if __name__ == "__main__":
    sys.exit(main())
