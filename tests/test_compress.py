"""utils.compress: int8 round trip, distillation loss by hand, pruning masks, the pruning callback."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from utils import compress


# ------------------------------------------------------------------ quantization
@pytest.mark.parametrize(
    "seed, lo, hi", [(0, -1.0, 1.0), (1, 0.2, 3.0), (2, -5.0, -0.1), (3, -0.3, 1.7)]
)
def test_int8_round_trip_error_at_most_half_a_step(seed: int, lo: float, hi: float) -> None:
    x = np.random.default_rng(seed).uniform(lo, hi, size=(40, 25)).astype(np.float32)
    q, scale, zp = compress.quantize_int8(x)
    assert q.dtype == np.int8 and q.shape == x.shape and isinstance(zp, int)
    assert scale == pytest.approx((max(x.max(), 0) - min(x.min(), 0)) / 255)
    err = np.abs(compress.dequantize(q, scale, zp).astype(np.float64) - x)
    assert err.max() <= scale / 2 * (1 + 1e-5)
    assert compress.dequantize(np.array([zp], dtype=np.int8), scale, zp)[0] == 0.0  # 0 is exact


def test_int8_extremes_use_the_whole_code_range() -> None:
    x = np.array([-1.0, 0.0, 2.0])
    q, scale, zp = compress.quantize_int8(x)
    assert q.min() == -128 and q.max() == 127 and scale == pytest.approx(3 / 255)


@pytest.mark.parametrize("value", [0.0, 5.0, -2.5])
def test_int8_constant_tensor(value: float) -> None:
    x = np.full((3, 4), value)
    q, scale, zp = compress.quantize_int8(x)
    assert np.isfinite(scale) and scale > 0
    np.testing.assert_allclose(compress.dequantize(q, scale, zp), x, atol=scale / 2)


def test_int8_bad_input() -> None:
    with pytest.raises(ValueError, match=r"non-empty.*\(0,\)"):
        compress.quantize_int8(np.array([]))
    with pytest.raises(ValueError, match="NaN"):
        compress.quantize_int8(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="integer codes"):
        compress.dequantize(np.array([0.5]), 0.1, 0)
    with pytest.raises(ValueError, match="positive"):
        compress.dequantize(np.array([1], dtype=np.int8), 0.0, 0)


def test_one_bit_example() -> None:
    np.testing.assert_array_equal(
        compress.quantize_1bit(np.array([0.1, 0.49, 0.5, 0.9])), [0, 0, 1, 1]
    )


# ------------------------------------------------------------------ distillation
def _by_hand(s: np.ndarray, t: np.ndarray, y: np.ndarray, T: float, a: float) -> float:
    ops = keras.ops
    ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, s)
    kl = keras.losses.KLDivergence()(ops.softmax(t / T), ops.softmax(s / T))
    return float(a * ce + (1 - a) * T**2 * kl)


@pytest.mark.parametrize("T, a", [(1.0, 0.5), (4.0, 0.1), (2.5, 1.0), (3.0, 0.0)])
def test_distillation_loss_matches_keras_losses(T: float, a: float) -> None:
    rng = np.random.default_rng(int(10 * T))
    s, t = rng.normal(0, 2, size=(16, 10)), rng.normal(0, 3, size=(16, 10))
    y = rng.integers(0, 10, size=16)
    assert compress.distillation_loss_value(s, t, y, T, a) == pytest.approx(
        _by_hand(s, t, y, T, a), rel=1e-5
    )


def test_distillation_loss_is_zero_kl_when_student_equals_teacher() -> None:
    u = np.random.default_rng(0).normal(size=(5, 4))
    y = np.arange(5) % 4
    assert compress.distillation_loss_value(u, u, y, 3.0, 0.0) == pytest.approx(0.0, abs=1e-6)


def test_distillation_loss_bad_shapes() -> None:
    with pytest.raises(ValueError, match=r"\(4, 3\) and \(4, 5\)"):
        compress.distillation_loss(np.zeros((4, 3)), np.zeros((4, 5)), np.zeros(4, int))
    with pytest.raises(ValueError, match=r"\(3,\)"):
        compress.distillation_loss(np.zeros((4, 3)), np.zeros((4, 3)), np.zeros(3, int))
    with pytest.raises(ValueError, match="temperature"):
        compress.distillation_loss(
            np.zeros((4, 3)), np.zeros((4, 3)), np.zeros(4, int), temperature=0.0
        )


def test_distiller_trains_the_student_and_leaves_the_teacher_alone() -> None:
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 784)).astype("float32")
    y = rng.integers(0, 10, size=64)
    teacher, student = compress.build_mlp(8, compile=False), compress.build_mlp(4, compile=False)
    w_teacher, w_student = (
        [w.copy() for w in teacher.get_weights()],
        [w.copy() for w in student.get_weights()],
    )
    d = compress.Distiller(student, teacher, temperature=2.0, alpha=0.3)
    d.compile(optimizer=keras.optimizers.SGD(0.1))
    hist = d.fit(x, y, batch_size=32, epochs=1, verbose=0)
    loss0 = compress.distillation_loss_value(student(x[:32]), teacher(x[:32]), y[:32], 2.0, 0.3)
    assert np.isfinite(hist.history["loss"][0]) and np.isfinite(loss0)
    assert all(np.array_equal(a, b) for a, b in zip(teacher.get_weights(), w_teacher, strict=True))
    assert not all(
        np.array_equal(a, b) for a, b in zip(student.get_weights(), w_student, strict=True)
    )
    assert teacher.trainable and len(d.trainable_variables) == len(student.trainable_variables)


# ------------------------------------------------------------------ pruning
@pytest.mark.parametrize(
    "shape, s", [((20, 10), 0.8), ((7,), 0.5), ((3, 4, 5), 0.29), ((10,), 0.0), ((10,), 1.0)]
)
def test_magnitude_prune_exact_sparsity(shape: tuple[int, ...], s: float) -> None:
    w = np.random.default_rng(1).normal(size=shape)
    mask = compress.magnitude_prune(w, s)
    k = int(round(s * w.size))
    assert mask.shape == w.shape and set(np.unique(mask)) <= {0.0, 1.0}
    assert int((mask == 0).sum()) == k
    if 0 < k < w.size:
        assert np.abs(w[mask == 0]).max() <= np.abs(w[mask == 1]).min()


def test_magnitude_prune_bad_input() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        compress.magnitude_prune(np.ones(3), 1.5)
    with pytest.raises(ValueError, match=r"\(0,\)"):
        compress.magnitude_prune(np.array([]), 0.5)


def test_polynomial_schedule() -> None:
    assert compress.polynomial_sparsity(0, 0.8, 0, 100) == 0.0
    assert compress.polynomial_sparsity(100, 0.8, 0, 100) == pytest.approx(0.8)
    assert compress.polynomial_sparsity(50, 0.8, 0, 100) == pytest.approx(0.8 * (1 - 0.5**3))
    assert compress.polynomial_sparsity(500, 0.8, 0, 100) == pytest.approx(0.8)
    with pytest.raises(ValueError, match="after"):
        compress.polynomial_sparsity(0, 0.8, 10, 10)


def test_pruning_callback_keeps_pruned_weights_at_zero() -> None:
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 784)).astype("float32")
    y = rng.integers(0, 10, size=96)
    model = compress.build_mlp(16, lr=1e-2)
    cb = compress.PruningCallback(final_sparsity=0.8, begin_step=0, end_step=2, frequency=1)
    model.fit(
        x, y, batch_size=32, epochs=2, verbose=0, callbacks=[cb]
    )  # 6 steps: 2 pruning, 4 fine-tuning
    assert compress.sparsity_of(model) == pytest.approx(0.8, abs=1e-3)
    for layer in model.layers:
        kernel, mask = np.asarray(layer.kernel), np.asarray(cb.masks[layer.name])
        assert np.all(kernel[mask == 0] == 0) and np.all(kernel[mask == 1] != 0)


def test_pruning_callback_bad_arguments() -> None:
    with pytest.raises(ValueError, match="final_sparsity"):
        compress.PruningCallback(final_sparsity=1.0)
    with pytest.raises(ValueError, match="after"):
        compress.PruningCallback(begin_step=5, end_step=5)


def test_saved_weights_size_int8_and_gzip() -> None:
    model = compress.build_mlp(64, compile=False)
    q = compress.uncompiled_copy(model)
    q.quantize("int8")
    size, size_q = compress.saved_weights_size(model), compress.saved_weights_size(q)
    assert size > 4 * model.count_params() and size / size_q > 3.0
    pruned = compress.uncompiled_copy(model)
    for layer in pruned.layers:
        layer.kernel.assign(
            np.asarray(layer.kernel) * compress.magnitude_prune(np.asarray(layer.kernel), 0.9)
        )
    assert compress.saved_weights_size(pruned, gzipped=True) < 0.5 * compress.saved_weights_size(
        model, gzipped=True
    )
