"""The synthetic tasks: binary addition and date formats."""

import datetime as dt

import numpy as np
import pytest

from utils import synthetic as S


def test_bits_round_trip_lsb_first():
    v = np.array([0, 1, 6, 255])
    b = S.int_to_bits(v, 8)
    assert b.shape == (4, 8) and b.dtype == np.float32
    assert b[2].tolist() == [0, 1, 1, 0, 0, 0, 0, 0]  # 6 = 110, least significant first
    np.testing.assert_array_equal(S.bits_to_int(b), v)
    np.testing.assert_array_equal(S.bits_to_int(b[..., None] * 0.9), v)


def test_bits_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"\[0, 256\)"):
        S.int_to_bits([256], 8)
    with pytest.raises(ValueError, match=r"\(2, 3, 4\)"):
        S.bits_to_int(np.zeros((2, 3, 4)))


def test_binary_addition_is_the_sum_and_split_disjoint():
    (x, t), (xt, tt) = S.binary_addition(1000, 300, bits=8, seed=3)
    assert x.shape == (1000, 8, 2) and t.shape == (1000, 8, 1) and xt.shape == (300, 8, 2)
    for xs, ts in ((x, t), (xt, tt)):
        a, b = S.bits_to_int(xs[..., 0]), S.bits_to_int(xs[..., 1])
        assert a.max() < 128 and b.max() < 128
        np.testing.assert_array_equal(S.bits_to_int(ts), a + b)
    train = set(zip(S.bits_to_int(x[..., 0]), S.bits_to_int(x[..., 1]), strict=True))
    test = set(zip(S.bits_to_int(xt[..., 0]), S.bits_to_int(xt[..., 1]), strict=True))
    assert len(train) == 1000 and not train & test
    (x2, _), _ = S.binary_addition(1000, 300, bits=8, seed=3)
    np.testing.assert_array_equal(x, x2)


def test_binary_addition_too_many_pairs():
    with pytest.raises(ValueError, match="only 16 distinct pairs"):
        S.binary_addition(10, 10, bits=3)


def test_date_formats():
    d = dt.date(1994, 9, 27)
    got = [S.format_date(d, f) for f in S.DATE_FORMATS]
    assert got == ["27 Sep 1994", "27 September 1994", "September 27, 1994", "Sep 27, 1994",
                   "Tuesday, September 27, 1994", "9/27/94", "27.09.1994", "1994/09/27",
                   "27 SEP 1994", "27th of September 1994"]
    assert S.format_date(dt.date(2001, 3, 1), S.DATE_FORMATS[-1]) == "1st of March 2001"
    assert S.format_date(dt.date(2001, 3, 12), S.DATE_FORMATS[-1]) == "12th of March 2001"
    assert S.format_date(dt.date(2001, 3, 22), S.DATE_FORMATS[-1]) == "22nd of March 2001"


def test_date_pairs_match_and_repeat():
    src, tgt = S.date_pairs(500, seed=1)
    assert len(src) == len(tgt) == 500 and src == S.date_pairs(500, seed=1)[0]
    assert len({s.split()[0] for s in src}) > 20  # varied formats
    for s, t in zip(src, tgt, strict=True):
        d = dt.date.fromisoformat(t)
        assert s in {S.format_date(d, f) for f in S.DATE_FORMATS}


def test_char_vocab_round_trip_and_errors():
    src, tgt = S.date_pairs(200, seed=0)
    vocab = S.CharVocab(src + tgt)
    ids = vocab.encode(tgt, length=12, start=True, end=True)
    assert ids.shape == (200, 12) and (ids[:, 0] == vocab.START).all() and (ids[:, 11] == vocab.END).all()
    assert vocab.decode_batch(ids) == tgt
    assert vocab.decode(vocab.encode(["12"], 5)[0]) == "12"
    with pytest.raises(ValueError, match="more than length 3"):
        vocab.encode(["1994"], 3)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        vocab.encode(["é"], 3)
