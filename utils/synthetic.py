"""Synthetic tasks generated in code, with a seed: binary addition, date formats, shape images.

``utils.data`` loads the real data files; this module makes the small tasks whose rule we know,
so that a lesson can check a model against the rule itself.

    (x_train, t_train), (x_test, t_test) = binary_addition(2_000, 500, bits=8, seed=0)
    sources, targets = date_pairs(10_000, seed=0)   # "27 Sep 1994" -> "1994-09-27"
    vocab = CharVocab(sources + targets); ids = vocab.encode(sources, length=30)

Taught in 3_1 (binary addition), 3_4 / 3_6 (dates) and 4_7 (shapes with masks and boxes).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "DATE_FORMATS",
    "CharVocab",
    "binary_addition",
    "bits_to_int",
    "date_pairs",
    "format_date",
    "int_to_bits",
    "SHAPE_CLASSES",
    "shapes_dataset",
]


# ---------------------------------------------------------------------------- binary addition

def int_to_bits(values: Sequence[int] | NDArray[np.integer], bits: int) -> NDArray[np.float32]:
    """Binary digits of non-negative integers, least significant first. (N,) -> (N, bits). Taught in 3_1.

    The RNN reads the digits in the order a person adds them, from the right, so the carry
    flows forward in time.
    """
    v = np.asarray(values, dtype=np.int64)
    if v.ndim != 1:
        raise ValueError(f"int_to_bits expects a 1-D array of integers, got shape {v.shape}")
    if v.size and (v.min() < 0 or v.max() >= 2 ** bits):
        raise ValueError(f"int_to_bits: values must lie in [0, {2 ** bits}) for {bits} bits, "
                         f"got {v.min()}..{v.max()}")
    return ((v[:, None] >> np.arange(bits)) & 1).astype(np.float32)


def bits_to_int(digits: NDArray[np.floating] | NDArray[np.integer], threshold: float = 0.5) -> NDArray[np.int64]:
    """Integers from binary digits, least significant first; values ≥ threshold count as 1.

    (N, bits) or (N, bits, 1) -> (N,). Taught in 3_1.
    """
    d = np.asarray(digits)
    if d.ndim == 3 and d.shape[-1] == 1:
        d = d[..., 0]
    if d.ndim != 2:
        raise ValueError(f"bits_to_int expects digits of shape (N, bits) or (N, bits, 1), got {d.shape}")
    ones = (d >= threshold).astype(np.int64)
    return ones @ (1 << np.arange(d.shape[1], dtype=np.int64))


def binary_addition(n_train: int, n_test: int, bits: int = 8, seed: int = 0
                    ) -> tuple[tuple[NDArray[np.float32], NDArray[np.float32]],
                               tuple[NDArray[np.float32], NDArray[np.float32]]]:
    """Pairs (a, b) with a, b < 2**(bits-1) and the digits of a + b, train and test disjoint.

    Returns ``(x_train, t_train), (x_test, t_test)``: x (N, bits, 2) holds the digits of a and b
    at every time step, t (N, bits, 1) the digits of the sum, least significant first (float32).
    The pairs are drawn without replacement from all 4**(bits-1) of them, so no test pair
    was seen in training. Taught in 3_1.
    """
    half = 2 ** (bits - 1)
    if bits < 2:
        raise ValueError(f"binary_addition needs at least 2 bits, got {bits}")
    if n_train < 0 or n_test < 0 or n_train + n_test > half * half:
        raise ValueError(f"binary_addition: {n_train} + {n_test} pairs asked, but {bits} bits give "
                         f"only {half * half} distinct pairs")
    rng = np.random.default_rng(seed)
    codes = rng.choice(half * half, size=n_train + n_test, replace=False)
    a, b = codes // half, codes % half

    def pack(sel: slice) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        x = np.stack([int_to_bits(a[sel], bits), int_to_bits(b[sel], bits)], axis=-1)
        return x, int_to_bits(a[sel] + b[sel], bits)[..., None]

    return pack(slice(0, n_train)), pack(slice(n_train, None))


# ---------------------------------------------------------------------------------- dates

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

#: The human-readable formats of :func:`date_pairs`, each shown for 27 September 1994.
DATE_FORMATS: tuple[str, ...] = (
    "{D} {Mon} {Y}",          # 27 Sep 1994
    "{D} {Month} {Y}",        # 27 September 1994
    "{Month} {D}, {Y}",       # September 27, 1994
    "{Mon} {D}, {Y}",         # Sep 27, 1994
    "{Day}, {Month} {D}, {Y}",  # Tuesday, September 27, 1994
    "{M}/{D}/{y}",            # 9/27/94
    "{DD}.{MM}.{Y}",          # 27.09.1994
    "{Y}/{MM}/{DD}",          # 1994/09/27
    "{DD} {MON} {Y}",         # 27 SEP 1994
    "{d}th of {Month} {Y}",   # 27th of September 1994 (st/nd/rd/th as English writes them)
)


def _ordinal(d: int) -> str:
    suffix = "th" if 11 <= d % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")
    return f"{d}{suffix}"


def format_date(date: _dt.date, fmt: str) -> str:
    """``date`` written in one of :data:`DATE_FORMATS`. Taught in 3_4."""
    month = _MONTHS[date.month - 1]
    text = fmt.replace("{d}th", _ordinal(date.day))
    return text.format(D=date.day, DD=f"{date.day:02d}", M=date.month, MM=f"{date.month:02d}",
                       Y=date.year, y=f"{date.year % 100:02d}", Month=month, Mon=month[:3],
                       MON=month[:3].upper(), Day=_DAYS[date.weekday()])


def date_pairs(n: int, seed: int = 0, start: str = "1950-01-01", end: str = "2049-12-31",
               formats: Sequence[str] = DATE_FORMATS) -> tuple[list[str], list[str]]:
    """``n`` dates in random human formats and the same dates in ISO form (YYYY-MM-DD).

    Dates are uniform between ``start`` and ``end`` (the two-digit year of "9/27/94" is
    ambiguous outside a century, so keep the range within 100 years). Returns two lists of
    strings; the same seed gives the same pairs. Taught in 3_4 and 3_6.
    """
    first, last = _dt.date.fromisoformat(start), _dt.date.fromisoformat(end)
    span = (last - first).days
    if span < 0 or span >= 36_525:
        raise ValueError(f"date_pairs: the range {start}..{end} must be ordered and shorter than 100 years")
    if n < 0:
        raise ValueError(f"date_pairs: n must be non-negative, got {n}")
    rng = np.random.default_rng(seed)
    offsets = rng.integers(0, span + 1, size=n)
    which = rng.integers(0, len(formats), size=n)
    dates = [first + _dt.timedelta(days=int(o)) for o in offsets]
    return ([format_date(d, formats[k]) for d, k in zip(dates, which, strict=True)],
            [d.isoformat() for d in dates])


class CharVocab:
    """Characters <-> integer ids with padding, start and end tokens. Taught in 3_4.

    Id 0 is ``PAD`` (so Keras' ``mask_zero=True`` skips it), 1 is ``START`` ("\\t"), 2 is
    ``END`` ("\\n"); the characters seen in ``texts`` follow in sorted order.
    """

    PAD, START, END = 0, 1, 2

    def __init__(self, texts: Iterable[str]) -> None:
        chars = sorted(set("".join(texts)) - {"\t", "\n"})
        self.chars: list[str] = ["", "\t", "\n", *chars]
        self.index: dict[str, int] = {c: i for i, c in enumerate(self.chars) if i >= 3}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, texts: Sequence[str], length: int, start: bool = False, end: bool = False
               ) -> NDArray[np.int32]:
        """(N,) strings -> (N, length) ids, padded with 0 after the text (and END if asked).

        ``start`` puts START first, ``end`` puts END after the last character. A text that
        does not fit, or holds a character the vocabulary has not seen, raises ValueError.
        """
        out = np.zeros((len(texts), length), dtype=np.int32)
        for row, text in enumerate(texts):
            unknown = set(text) - set(self.index)
            if unknown:
                raise ValueError(f"CharVocab.encode: {text!r} holds characters {sorted(unknown)} "
                                 f"outside the vocabulary")
            ids = [self.START] * start + [self.index[c] for c in text] + [self.END] * end
            if len(ids) > length:
                raise ValueError(f"CharVocab.encode: {text!r} needs {len(ids)} ids, more than length {length}")
            out[row, :len(ids)] = ids
        return out

    def decode(self, ids: Sequence[int] | NDArray[np.integer]) -> str:
        """One sequence of ids -> text, stopping at the first END and skipping PAD and START."""
        chars = []
        for i in np.asarray(ids).ravel().tolist():
            if i == self.END:
                break
            if i >= 3:
                chars.append(self.chars[i])
        return "".join(chars)

    def decode_batch(self, ids: NDArray[np.integer]) -> list[str]:
        """(N, T) ids -> N texts (see :meth:`decode`)."""
        return [self.decode(row) for row in np.asarray(ids)]


# ---------------------------------------------------------------------------- shapes (4_7)

SHAPE_CLASSES = ("background", "square", "circle", "triangle")


def _shape_mask(kind: int, cx: float, cy: float, r: float, size: int, angle: float) -> NDArray[np.bool_]:
    """The pixels of one shape of "radius" r centred at (cx, cy) on a size × size grid."""
    yy, xx = np.mgrid[0:size, 0:size] + 0.5                       # pixel centres
    dx, dy = xx - cx, yy - cy
    if kind == 1:                                                  # axis-aligned square, side 2r·0.85
        half = 0.85 * r
        return (np.abs(dx) <= half) & (np.abs(dy) <= half)
    if kind == 2:
        return dx ** 2 + dy ** 2 <= r ** 2
    r = 1.3 * r                                                    # a triangle fills less of its circle
    corners = [(cx + r * np.cos(angle + k * 2 * np.pi / 3), cy + r * np.sin(angle + k * 2 * np.pi / 3))
               for k in range(3)]
    inside = np.ones((size, size), dtype=bool)
    for k in range(3):                                             # the same side of all three edges
        (x0, y0), (x1, y1) = corners[k], corners[(k + 1) % 3]
        inside &= (x1 - x0) * (yy - y0) - (y1 - y0) * (xx - x0) >= 0
    return inside


def shapes_dataset(n: int, size: int = 64, seed: int = 0, max_shapes: int = 3,
                   radius: tuple[float, float] = (6.0, 13.0), noise: float = 0.06
                   ) -> tuple[NDArray[np.float32], NDArray[np.uint8], list[NDArray[np.float32]],
                              list[NDArray[np.int64]]]:
    """Grey images of squares, circles and triangles, with per-pixel labels and boxes. Taught in 4_7.

    Each image holds 1 … ``max_shapes`` shapes that do not touch (their boxes are at least one
    pixel apart), each of a random size, position and brightness on a darker, noisy background,
    so that the class is told by the outline, not by the grey level. Triangles are rotated at
    random. Returns

    - images ``(n, size, size, 1)`` float32 in [0, 1],
    - masks ``(n, size, size)`` uint8: 0 background, 1 square, 2 circle, 3 triangle
      (:data:`SHAPE_CLASSES`),
    - boxes: n arrays ``(k, 4)`` float32 of the tight box ``(x1, y1, x2, y2)`` of each shape's
      pixels (pixel ``x`` spans ``[x, x + 1)``),
    - labels: n arrays ``(k,)`` int64 (1 … 3).
    """
    if n < 0 or size < 16 or max_shapes < 1:
        raise ValueError(f"shapes_dataset needs n >= 0, size >= 16 and max_shapes >= 1, got {n}, {size}, {max_shapes}")
    rng = np.random.default_rng(seed)
    images = np.empty((n, size, size, 1), dtype=np.float32)
    masks = np.zeros((n, size, size), dtype=np.uint8)
    all_boxes: list[NDArray[np.float32]] = []
    all_labels: list[NDArray[np.int64]] = []
    for i in range(n):
        img = np.full((size, size), rng.uniform(0.0, 0.35), dtype=np.float64)
        boxes: list[list[float]] = []
        labels: list[int] = []
        for _ in range(int(rng.integers(1, max_shapes + 1))):
            for _attempt in range(30):                                 # place without touching
                kind = int(rng.integers(1, 4))
                r = rng.uniform(*radius)
                cx, cy = rng.uniform(1.3 * r + 1, size - 1.3 * r - 1, size=2)
                shape = _shape_mask(kind, cx, cy, r, size, rng.uniform(0, 2 * np.pi))
                ys, xs = np.nonzero(shape)
                if len(xs) < 12:
                    continue
                box = [float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)]
                if all(box[0] > b[2] or box[2] < b[0] or box[1] > b[3] or box[3] < b[1] for b in boxes):
                    img[shape] = rng.uniform(0.55, 1.0)
                    masks[i][shape] = kind
                    boxes.append(box)
                    labels.append(kind)
                    break
        img += rng.normal(0.0, noise, size=img.shape)
        images[i, ..., 0] = np.clip(img, 0.0, 1.0)
        all_boxes.append(np.asarray(boxes, dtype=np.float32).reshape(-1, 4))
        all_labels.append(np.asarray(labels, dtype=np.int64))
    return images, masks, all_boxes, all_labels
