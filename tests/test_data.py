"""Tests of utils.data: search order, sha256 checks, errors, downloads, caches, Keras parity.

Everything runs offline on tiny files written here (their hashes injected into ``data.SHA256``);
``_download`` is replaced so no test can reach the network. The tests marked "real data" run on
the verified copies in ``$COURSE_DATA_DIR`` (or ``../shared/datasets``) and skip without them.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

import numpy as np
import pytest

from utils import data

REPO = Path(__file__).resolve().parents[1]
_ORIGINAL_DATA_DIR = os.environ.get("COURSE_DATA_DIR", "")


# --------------------------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Hermetic locations, an offline default, fresh in-process caches, and no network."""
    dirs = {
        "course": tmp_path / "course_data",
        "repo": tmp_path / "repo_data",
        "home": tmp_path / "home",
        "cache": tmp_path / "cache",
    }
    for d in dirs.values():
        d.mkdir()
    dirs["keras"] = dirs["home"] / ".keras" / "datasets"
    monkeypatch.setenv("COURSE_DATA_DIR", str(dirs["course"]))
    monkeypatch.setenv("HOME", str(dirs["home"]))
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("COURSE_CACHE_DIR", str(dirs["cache"]))
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setattr(data, "REPO_DATA_DIR", dirs["repo"])
    monkeypatch.setattr(data, "SHA256", dict(data.SHA256))
    monkeypatch.setattr(data, "_HASH_CACHE", {})
    monkeypatch.setattr(data, "_WORD_INDEX_MEMO", {})
    monkeypatch.setattr(data, "_REVERSE_MEMO", {})

    def no_network(url: str, dest: Path) -> None:
        pytest.fail(f"a test tried to download {url}")

    monkeypatch.setattr(data, "_download", no_network)
    return dirs


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def put(folder: Path, relpath: str, content: bytes, register: bool = True) -> Path:
    """Write ``folder/relpath`` and (by default) make its hash the known one."""
    path = folder / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    if register:
        data.SHA256[relpath] = sha256(path)
    return path


RANDOM_IMAGES = np.random.default_rng(0).integers(0, 256, (5, 28, 28), dtype=np.uint8)


def idx_gz(array: np.ndarray, magic: int) -> bytes:
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0)


def tiny_images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), (np.arange(n) % 10).astype(np.uint8)


def write_idx_set(folder: Path, relpaths: tuple[str, ...], seed: int = 0, register: bool = True):
    """Four tiny IDX .gz files (5 train, 3 test images); returns the arrays written."""
    (x, y), (xt, yt) = tiny_images(5, seed), tiny_images(3, seed + 1)
    for rel, arr, magic in zip(relpaths, (x, y, xt, yt), (0x803, 0x801, 0x803, 0x801), strict=True):
        put(folder, rel, idx_gz(arr, magic), register)
    return (x, y), (xt, yt)


WORD_INDEX = {"the": 1, "and": 2, "a": 3, "movie": 4, "it's": 5, "great": 6, "bad": 7,
              "film": 8, "was": 9, "i": 10}  # fmt: skip

# (split, label folder, id, rating) -> text. Members are written out of order on purpose.
REVIEWS = {
    ("train", "pos", 1, 8): "I loved it's... great",
    ("train", "pos", 0, 9): "A great movie!<br /><br />The film was GREAT.",
    ("train", "neg", 3, 1): "the film was (bad)",
    ("train", "neg", 0, 2): "Bad, bad movie.",
    ("test", "pos", 0, 10): "Great film",
    ("test", "neg", 2, 4): "Was it bad? Yes.",
    ("test", "neg", 0, 1): "it's a bad movie",
    ("train", "unsup", 0, 0): "an unlabeled review, skipped",
}


def imdb_tar(reviews: dict[tuple[str, str, int, int], str]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, text in [("aclImdb/README", "readme")] + [
            (f"aclImdb/{s}/{lab}/{i}_{r}.txt", t) for (s, lab, i, r), t in reviews.items()
        ]:
            raw = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    return buf.getvalue()


def write_tiny_imdb(folder: Path, reviews=REVIEWS, word_index=WORD_INDEX) -> tuple[Path, Path]:
    archive = put(folder, data.IMDB_LABELED, imdb_tar(reviews))
    index = put(folder, data.IMDB_WORD_INDEX, json.dumps(word_index).encode())
    return archive, index


def sorted_reviews(reviews=REVIEWS) -> tuple[list[str], list[int], int]:
    """Texts and labels in the documented raw order: train then test, (neg, pos) x id."""
    keys = sorted(
        (k for k in reviews if k[1] in ("pos", "neg")),
        key=lambda k: (k[0] != "train", k[1], k[2]),
    )
    n_train = sum(k[0] == "train" for k in keys)
    return [reviews[k] for k in keys], [int(k[1] == "pos") for k in keys], n_train


def as_lists(x: np.ndarray) -> list[list[int]]:
    return [list(s) for s in x]


# --------------------------------------------------------------------------------------------
# Search path
# --------------------------------------------------------------------------------------------


def test_search_path_order(env: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    assert data.search_path() == [env["course"], env["repo"], env["keras"]]
    monkeypatch.setenv("KERAS_HOME", str(env["home"] / "kh"))
    assert data.search_path()[-1] == env["home"] / "kh" / "datasets"
    monkeypatch.delenv("COURSE_DATA_DIR")
    monkeypatch.delenv("KERAS_HOME")
    assert data.search_path() == [env["repo"], env["keras"]]
    assert data.cache_dir() == env["cache"]
    monkeypatch.delenv("COURSE_CACHE_DIR")
    assert data.cache_dir() == env["home"] / ".cache" / "dl-course"


def test_course_data_dir_wins_then_repo_data(env: dict[str, Path]) -> None:
    rels = data.FASHION_MNIST_IDX
    (x, y), (xt, yt) = write_idx_set(env["course"], rels)
    # Different (wrong-hash) copies further down the search path are never looked at.
    for folder in (env["repo"], env["keras"]):
        write_idx_set(folder, rels, seed=7, register=False)
    (x1, y1), (xt1, yt1) = data.load_fashion_mnist()
    np.testing.assert_array_equal(x1, x)
    assert data.locate_file(rels[0]) == env["course"] / rels[0]
    # Without the COURSE_DATA_DIR copy, the repo's data/ comes before ~/.keras/datasets.
    for rel in rels:
        (env["course"] / rel).unlink()
    (x2, _), _ = write_idx_set(env["repo"], rels, seed=7)
    np.testing.assert_array_equal(data.load_fashion_mnist()[0][0], x2)


# --------------------------------------------------------------------------------------------
# MNIST / Fashion-MNIST on tiny files
# --------------------------------------------------------------------------------------------


def test_load_fashion_mnist_tiny_matches_keras_parsing(env: dict[str, Path]) -> None:
    (x, y), (xt, yt) = write_idx_set(env["course"], data.FASHION_MNIST_IDX)
    (x1, y1), (xt1, yt1) = data.load_fashion_mnist()
    for got, want in ((x1, x), (y1, y), (xt1, xt), (yt1, yt)):
        assert got.dtype == np.uint8 and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
    # Keras' own parsing of the same file gives the same array.
    with gzip.open(env["course"] / data.FASHION_MNIST_IDX[0], "rb") as f:
        keras_x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(len(y), 28, 28)
    np.testing.assert_array_equal(x1, keras_x)


def test_load_mnist_prefers_npz_over_idx(env: dict[str, Path]) -> None:
    (x, y), (xt, yt) = write_idx_set(env["course"], data.MNIST_IDX)
    (x1, y1), _ = data.load_mnist()
    np.testing.assert_array_equal(x1, x)
    np.testing.assert_array_equal(y1, y)
    (nx, ny), (nxt, nyt) = tiny_images(4, 3), tiny_images(2, 4)
    buf = io.BytesIO()
    np.savez(buf, x_train=nx, y_train=ny, x_test=nxt, y_test=nyt)
    put(env["keras"], data.MNIST_NPZ, buf.getvalue())
    (x2, y2), (xt2, yt2) = data.load_mnist()
    np.testing.assert_array_equal(x2, nx)
    np.testing.assert_array_equal(yt2, nyt)


def test_hash_is_computed_once_per_file_version(
    env: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_idx_set(env["course"], data.FASHION_MNIST_IDX)
    calls: list[Path] = []
    real_hash = data._hash_file
    monkeypatch.setattr(data, "_hash_file", lambda p: calls.append(p) or real_hash(p))
    data.load_fashion_mnist()
    data.load_fashion_mnist()
    assert len(calls) == 4
    path = env["course"] / data.FASHION_MNIST_IDX[1]
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))  # a new mtime: hashed again
    data.load_fashion_mnist()
    assert len(calls) == 5


def assert_helpful(exc: pytest.ExceptionInfo[data.DataError], relpath: str) -> str:
    msg = str(exc.value)
    assert isinstance(exc.value, RuntimeError)
    assert relpath in msg
    for folder in data.search_path():
        assert str(folder) in msg
    assert "python -m utils.data prefetch" in msg
    assert "COURSE_DATA_DIR" in msg
    return msg


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"this is not gzip at all" * 10, id="garbage"),
        pytest.param(idx_gz(RANDOM_IMAGES, 0x803)[:300], id="truncated-gzip"),
        pytest.param(idx_gz(RANDOM_IMAGES, 0x802), id="bad-magic"),
        pytest.param(
            gzip.compress((0x803).to_bytes(4, "big") + (9).to_bytes(4, "big") * 3 + b"\0" * 99),
            id="bad-size",
        ),
    ],
)
def test_corrupted_file_raises_data_error(env: dict[str, Path], content: bytes) -> None:
    write_idx_set(env["course"], data.FASHION_MNIST_IDX)
    rel = data.FASHION_MNIST_IDX[0]
    path = put(env["course"], rel, content)  # hash "right", content broken
    with pytest.raises(data.DataError) as exc:
        data.load_fashion_mnist()
    msg = assert_helpful(exc, rel)
    assert "corrupted" in msg and f"delete the bad file at {path}" in msg


def test_corrupted_npz_and_tar_raise_data_error(env: dict[str, Path]) -> None:
    put(env["course"], data.MNIST_NPZ, b"PK\x03\x04 not really a zip")
    with pytest.raises(data.DataError, match="corrupted"):
        data.load_mnist()
    archive, _ = write_tiny_imdb(env["course"])
    put(env["course"], data.IMDB_LABELED, archive.read_bytes()[:200])
    with pytest.raises(data.DataError, match="corrupted"):
        data.load_imdb_text()
    with pytest.raises(data.DataError, match="corrupted"):
        data.load_imdb()


def test_hash_mismatch_raises_and_names_the_file(env: dict[str, Path]) -> None:
    write_idx_set(env["course"], data.FASHION_MNIST_IDX)
    rel = data.FASHION_MNIST_IDX[2]
    data.SHA256[rel] = "0" * 64
    with pytest.raises(data.DataError) as exc:
        data.load_fashion_mnist()
    msg = assert_helpful(exc, rel)
    assert "wrong sha256" in msg and str(env["course"] / rel) in msg


def test_missing_file_offline(env: dict[str, Path]) -> None:
    with pytest.raises(data.DataError) as exc:
        data.load_fashion_mnist()
    msg = assert_helpful(exc, data.FASHION_MNIST_IDX[0])
    assert "prefetch fashion_mnist" in msg and "COURSE_OFFLINE=1" in msg
    with pytest.raises(data.DataError) as exc:
        data.load_mnist()
    assert "mnist.npz" in str(exc.value) and "IDX" in str(exc.value)
    for loader in (data.load_imdb, data.load_imdb_text, data.get_imdb_word_index):
        with pytest.raises(data.DataError, match="prefetch"):
            loader()


# --------------------------------------------------------------------------------------------
# Downloads (a fake _download; never the network)
# --------------------------------------------------------------------------------------------


def test_download_success_is_verified_and_atomic(
    env: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COURSE_OFFLINE")
    staging = env["home"] / "staging"
    write_idx_set(staging, data.FASHION_MNIST_IDX)
    served = {data.URLS[rel]: (staging / rel).read_bytes() for rel in data.FASHION_MNIST_IDX}
    seen: list[str] = []

    def fake_download(url: str, dest: Path) -> None:
        assert dest.parent == env["keras"] / "fashion-mnist"
        seen.append(url)
        dest.write_bytes(served[url])

    monkeypatch.setattr(data, "_download", fake_download)
    (x, _), _ = data.load_fashion_mnist()
    assert x.shape == (5, 28, 28)
    assert sorted(os.listdir(env["keras"] / "fashion-mnist")) == sorted(
        rel.split("/")[1] for rel in data.FASHION_MNIST_IDX
    )
    assert all(u.startswith(data.KERAS_URL) for u in seen)
    data.load_fashion_mnist()  # now found locally: no second download
    assert len(seen) == 4


@pytest.mark.parametrize("error", [ConnectionResetError("peer reset"), KeyboardInterrupt()])
def test_download_failing_half_way_leaves_nothing(
    env: dict[str, Path], monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    monkeypatch.delenv("COURSE_OFFLINE")

    def broken_download(url: str, dest: Path) -> None:
        dest.write_bytes(b"\x1f\x8b" + b"x" * 1000)
        raise error

    monkeypatch.setattr(data, "_download", broken_download)
    expected = data.DataError if isinstance(error, Exception) else KeyboardInterrupt
    with pytest.raises(expected) as exc:
        data.get_imdb_word_index()
    if expected is data.DataError:
        assert "peer reset" in str(exc.value) and data.IMDB_WORD_INDEX in str(exc.value)
    assert list(env["keras"].rglob("*")) == []


def test_downloaded_file_with_wrong_hash_is_removed(
    env: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COURSE_OFFLINE")
    monkeypatch.setattr(data, "_download", lambda url, dest: dest.write_bytes(b"<html>proxy"))
    with pytest.raises(data.DataError, match="sha256") as exc:
        data.load_mnist()
    assert data.URLS[data.MNIST_NPZ] in str(exc.value)
    assert list(env["keras"].rglob("*")) == []


# --------------------------------------------------------------------------------------------
# IMDB on a tiny archive
# --------------------------------------------------------------------------------------------


def test_tokenizer_follows_keras_rules() -> None:
    text = (
        "Hello, World!<br /><br />It's \"GREAT\" -- isn't it?\tYes/no (maybe) [x] {y} a_b c@d "
        "e#f 50% $5 ~tilde~ `tick` back\\slash pipe|bar semi;colon: plus+equals=end."
    )
    expected = (
        "hello world it's great isn't it yes no maybe x y a b c d e f 50 5 tilde tick back "
        "slash pipe bar semi colon plus equals end"
    ).split()
    assert data.imdb_tokenize(text) == expected
    text_mod = pytest.importorskip("keras.src.legacy.preprocessing.text")
    assert data.imdb_tokenize(text) == text_mod.text_to_word_sequence(text.replace("<br />", " "))


def test_load_imdb_text_tiny(env: dict[str, Path]) -> None:
    write_tiny_imdb(env["course"])
    (t_train, y_train), (t_test, y_test) = data.load_imdb_text()
    texts, labels, n_train = sorted_reviews()
    assert y_train.dtype == np.int64 and len(t_train) == n_train == 4 and len(t_test) == 3
    assert dict(zip(t_train + t_test, [*y_train, *y_test], strict=True)) == dict(
        zip(texts, labels, strict=True)
    )
    assert "an unlabeled review, skipped" not in t_train + t_test
    # Deterministic, and shuffled like Keras: RandomState(seed) on train, then test.
    rng = np.random.RandomState(113)
    i_train = np.arange(n_train)
    rng.shuffle(i_train)
    assert t_train == [texts[i] for i in i_train]
    assert data.load_imdb_text()[0][0] == t_train
    i_train = np.arange(n_train)
    np.random.RandomState(5).shuffle(i_train)
    assert data.load_imdb_text(seed=5)[0][0] == [texts[i] for i in i_train]


def test_load_imdb_from_raw_reviews(env: dict[str, Path]) -> None:
    write_tiny_imdb(env["course"])
    (x_train, y_train), (x_test, y_test) = data.load_imdb(num_words=1000)
    (t_train, yt_train), (t_test, _) = data.load_imdb_text()
    assert x_train.dtype == object and y_train.dtype == np.int64
    np.testing.assert_array_equal(y_train, yt_train)  # same seed: same order as the texts
    for seq, text in zip([*x_train, *x_test], t_train + t_test, strict=True):
        assert isinstance(seq, list)
        want = [1] + [WORD_INDEX[w] + 3 if w in WORD_INDEX else 2 for w in data.imdb_tokenize(text)]
        assert seq == want
    # "A great movie!<br /><br />The film was GREAT." -> <start> a great movie the film was great
    assert [1, 6, 9, 7, 4, 11, 12, 9] in as_lists(x_train)


def test_decode_review_round_trip(env: dict[str, Path]) -> None:
    write_tiny_imdb(env["course"])
    (x_train, _), _ = data.load_imdb(num_words=1000)
    (t_train, _), _ = data.load_imdb_text()
    for seq, text in zip(x_train, t_train, strict=True):
        words = [w if w in WORD_INDEX else "<unk>" for w in data.imdb_tokenize(text)]
        assert data.decode_review(seq) == " ".join(["<start>", *words])
        padded = [0, 0, *seq]
        assert data.decode_review(padded, word_index=WORD_INDEX) == data.decode_review(seq)
    assert data.get_imdb_word_index() == WORD_INDEX


def test_imdb_token_cache_hit_and_rebuild(
    env: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    archive, index = write_tiny_imdb(env["course"])
    calls: list[Path] = []
    real_parse = data._parse_imdb_archive
    monkeypatch.setattr(
        data, "_parse_imdb_archive", lambda rel, p: calls.append(p) or real_parse(rel, p)
    )
    first = data.load_imdb()
    (cache_file,) = env["cache"].iterdir()
    assert cache_file.suffix == ".npz"
    assert sha256(archive)[:16] in cache_file.name and sha256(index)[:16] in cache_file.name
    monkeypatch.setattr(data, "_HASH_CACHE", {})  # as in a new process
    second = data.load_imdb()
    assert len(calls) == 1  # second load read the cache, no re-tokenizing
    assert as_lists(second[0][0]) == as_lists(first[0][0])
    # A damaged cache is deleted and rebuilt, not fatal.
    for damage in (b"garbage", cache_file.read_bytes()[:100]):
        cache_file.write_bytes(damage)
        with pytest.warns(UserWarning, match="damaged"):
            third = data.load_imdb()
        assert as_lists(third[1][0]) == as_lists(first[1][0])
    assert len(calls) == 3
    assert [p.name for p in env["cache"].iterdir()] == [cache_file.name]  # no temp files


def _keras_npz(path: Path, train: list[list[int]], test: list[list[int]], y_tr, y_te) -> None:
    """An imdb.npz in Keras' format: object arrays of lists of word ranks, int64 labels."""
    x_tr = np.empty(len(train), dtype=object)
    x_te = np.empty(len(test), dtype=object)
    x_tr[:], x_te[:] = train, test
    with open(path, "wb") as f:
        np.savez(f, x_train=x_tr, y_train=np.array(y_tr, np.int64),
                 x_test=x_te, y_test=np.array(y_te, np.int64))  # fmt: skip


KERAS_ARGS = [
    {},
    {"num_words": 20},
    {"num_words": 30, "skip_top": 5},
    {"maxlen": 9},
    {"num_words": 20, "oov_char": None},
    {"start_char": None},
    {"start_char": None, "index_from": 0, "num_words": 25},
    {"seed": 7, "index_from": 5, "oov_char": 3},
]


def test_load_imdb_matches_keras_load_data(
    env: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keras' own loader, our loader on the same imdb.npz, and our loader on the raw reviews
    (same word ranks written as text) give identical results for every argument set."""
    keras_imdb = pytest.importorskip("keras.src.datasets.imdb")
    rng = np.random.default_rng(0)

    def seqs(n: int) -> list[list[int]]:
        return [rng.integers(1, 41, rng.integers(1, 15)).tolist() for _ in range(n)]

    # Raw order: train (neg ids 0.., pos ids 0..), then test; Keras' npz in the same order.
    train, test = seqs(12), seqs(10)
    y_tr, y_te = [0] * 6 + [1] * 6, [0] * 5 + [1] * 5
    reviews = {}
    for split, rows, ys in (("train", train, y_tr), ("test", test, y_te)):
        for i, (seq, y) in enumerate(zip(rows, ys, strict=True)):
            folder = "pos" if y else "neg"
            reviews[(split, folder, i, 8 if y else 2)] = " ".join(f"W{r}," for r in seq)
    npz_dir, raw_dir = tmp_path / "npz", tmp_path / "raw"
    npz_dir.mkdir()
    _keras_npz(npz_dir / data.IMDB_NPZ, train, test, y_tr, y_te)
    data.SHA256[data.IMDB_NPZ] = sha256(npz_dir / data.IMDB_NPZ)
    write_tiny_imdb(raw_dir, reviews, {f"w{r}": r for r in range(1, 41)})
    monkeypatch.setattr(keras_imdb, "get_file", lambda **kw: str(npz_dir / data.IMDB_NPZ))
    for kwargs in KERAS_ARGS:
        (kx, ky), (kxt, kyt) = keras_imdb.load_data(**kwargs)
        for folder in (npz_dir, raw_dir):
            monkeypatch.setenv("COURSE_DATA_DIR", str(folder))
            (x, y), (xt, yt) = data.load_imdb(**kwargs)
            assert as_lists(x) == as_lists(kx) and as_lists(xt) == as_lists(kxt), kwargs
            assert y.dtype == ky.dtype == np.int64
            np.testing.assert_array_equal(y, ky)
            np.testing.assert_array_equal(yt, kyt)


def test_iris() -> None:
    (x, y), (xt, yt) = data.load_iris()
    assert x.shape == (120, 4) and xt.shape == (30, 4) and x.dtype == np.float32
    assert y.dtype == np.int64 and np.bincount(y).tolist() == [40, 40, 40]
    assert np.bincount(yt).tolist() == [10, 10, 10]
    assert len(data.IRIS_CLASSES) == 3 and len(data.FASHION_MNIST_CLASSES) == 10
    assert len(data.FASHION_MNIST_CLASSES_JA) == 10 and data.MNIST_CLASSES[3] == "3"
    np.testing.assert_array_equal(data.load_iris()[0][0], x)


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def test_cli_verify_and_prefetch(env: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    write_idx_set(env["course"], data.FASHION_MNIST_IDX)
    write_tiny_imdb(env["course"])
    assert data.main(["verify", "fashion_mnist", "imdb_text", "imdb"]) == 0
    out = capsys.readouterr().out
    assert f"✓ {env['course'] / data.FASHION_MNIST_IDX[0]}" in out
    assert data.main(["verify"]) == 1  # mnist is missing
    assert "✗ mnist cannot be loaded" in capsys.readouterr().out
    bad = put(env["keras"], data.FASHION_MNIST_IDX[0], b"bad copy", register=False)
    assert data.main(["verify", "fashion_mnist"]) == 1
    assert f"✗ {bad}" in capsys.readouterr().out

    assert data.main(["prefetch", "imdb", "imdb_word_index"]) == 0
    out = capsys.readouterr().out
    assert str(env["course"] / data.IMDB_WORD_INDEX) in out
    assert len(list(env["cache"].glob("imdb_tokens_*.npz"))) == 1  # token cache built
    assert data.main(["prefetch", "mnist"]) == 1  # offline and missing: error, no traceback
    assert "prefetch mnist" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        data.main(["prefetch", "cifar"])


# --------------------------------------------------------------------------------------------
# Real data (only where the verified copies exist)
# --------------------------------------------------------------------------------------------


def _real_data_dir() -> Path | None:
    for candidate in (_ORIGINAL_DATA_DIR, str(REPO.parent / "shared" / "datasets")):
        if candidate and (Path(candidate) / data.IMDB_WORD_INDEX).is_file():
            return Path(candidate)
    return None


_REAL_HASHES: dict[tuple[str, int, int], str] = {}


@pytest.fixture(scope="session")
def real_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("real_imdb_cache")


@pytest.fixture
def real(monkeypatch: pytest.MonkeyPatch, real_cache: Path) -> Path:
    folder = _real_data_dir()
    if folder is None:
        pytest.skip("real data not available (set COURSE_DATA_DIR or provide ../shared/datasets)")
    monkeypatch.setenv("COURSE_DATA_DIR", str(folder))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(real_cache))
    monkeypatch.setattr(data, "_HASH_CACHE", _REAL_HASHES)  # hash the real files once
    return folder


@pytest.mark.parametrize(
    ("loader", "mean", "train_counts", "test_counts"),
    [
        ("load_mnist", 33.318,
         [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
         [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]),
        ("load_fashion_mnist", 72.94, [6000] * 10, [1000] * 10),
    ],
)  # fmt: skip
def test_real_images(real: Path, loader: str, mean: float, train_counts, test_counts) -> None:
    (x, y), (xt, yt) = getattr(data, loader)()
    assert x.shape == (60000, 28, 28) and xt.shape == (10000, 28, 28)
    assert y.shape == (60000,) and yt.shape == (10000,)
    assert {a.dtype for a in (x, y, xt, yt)} == {np.dtype(np.uint8)}
    assert np.bincount(y).tolist() == train_counts and np.bincount(yt).tolist() == test_counts
    assert round(float(x.mean()), 3 if loader == "load_mnist" else 2) == mean
    assert x.max() == 255 and x.min() == 0


def test_real_imdb_sequences(real: Path) -> None:
    (x, y), (xt, yt) = data.load_imdb()
    assert len(x) == len(y) == 25000 and len(xt) == len(yt) == 25000
    assert x.dtype == object and y.dtype == np.int64
    assert np.bincount(y).tolist() == [12500, 12500] and np.bincount(yt).tolist() == [12500, 12500]
    assert all(s[0] == 1 for s in x[:500]) and all(s[0] == 1 for s in xt[:500])
    assert 200 < np.mean([len(s) for s in x]) < 300
    (x10, _), (xt10, _) = data.load_imdb(num_words=10000)
    assert max(max(s) for s in x10) < 10000 and max(max(s) for s in xt10) < 10000
    (xm, ym), (xtm, _) = data.load_imdb(maxlen=100)
    assert 0 < len(xm) < 25000 and 0 < len(xtm) < 25000 and len(ym) == len(xm)
    assert max(len(s) for s in xm) < 100
    # The first review decodes to (almost) its text.
    (texts, yt_text), _ = data.load_imdb_text()
    np.testing.assert_array_equal(yt_text, y)
    index = data.get_imdb_word_index()
    words = [w if w in index else "<unk>" for w in data.imdb_tokenize(texts[0])]
    assert data.decode_review(x[0]).split() == ["<start>", *words]


def test_real_imdb_text(real: Path) -> None:
    (t, y), (tt, yt) = data.load_imdb_text()
    assert len(t) == 25000 and len(tt) == 25000 and isinstance(t[0], str)
    assert np.bincount(y).tolist() == [12500, 12500] and yt.dtype == np.int64
    assert any(s.startswith("Bromwell High is a cartoon comedy.") for s in t)
    assert y[:20].min() == 0 and y[:20].max() == 1  # shuffled: pos and neg mixed


def test_real_verify(real: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert data.main(["verify"]) == 0
    assert "all verified" in capsys.readouterr().out
