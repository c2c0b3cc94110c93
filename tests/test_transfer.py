"""utils.transfer (2_6): class splits, few-shot subsets, budgets, frozen bases, fine-tuning,
copies, rehearsal, and the small metrics, on tiny Keras models."""

import keras
import numpy as np
import pytest

from utils import transfer as T

SHAPE = (28, 28, 1)


def tiny_base(seed=0):
    keras.utils.set_random_seed(seed)
    return T.build_base(SHAPE, (2, 3))  # features 7 * 7 * 3 = 147


def images(n=8, seed=0):
    return np.random.default_rng(seed).uniform(size=(n, *SHAPE)).astype(np.float32)


def head(k=3, features=147, name="head"):
    layer = keras.layers.Dense(k, activation="softmax", name=name)
    layer.build((None, features))
    return layer


# ------------------------------------------------------------------ data helpers
def test_split_classes_keeps_and_renumbers():
    x = np.arange(10)[:, None] * np.ones((10, 3))
    y = np.array([0, 5, 6, 9, 5, 1, 9, 2, 6, 5])
    xs, ys = T.split_classes(x, y, (9, 5, 6))
    np.testing.assert_array_equal(ys, [1, 2, 0, 1, 0, 2, 1])  # 5 -> 1, 6 -> 2, 9 -> 0
    np.testing.assert_array_equal(xs[:, 0], [1, 2, 3, 4, 6, 8, 9])
    assert ys.dtype == np.int64


def test_split_classes_bad_input():
    with pytest.raises(ValueError, match=r"\(4, 2\).*\(3,\)"):
        T.split_classes(np.zeros((4, 2)), np.zeros(3, int), (0,))
    with pytest.raises(ValueError, match="duplicate"):
        T.split_classes(np.zeros((3, 2)), np.zeros(3, int), (0, 0))


def test_few_shot_counts_and_seed():
    y = np.repeat(np.arange(4), 30)
    x = np.arange(len(y))
    xs, ys = T.few_shot(x, y, 5, seed=3)
    assert np.bincount(ys).tolist() == [5, 5, 5, 5]
    np.testing.assert_array_equal(y[xs], ys)  # images and labels stay paired
    assert len(set(xs.tolist())) == 20
    np.testing.assert_array_equal(T.few_shot(x, y, 5, seed=3)[0], xs)
    assert not np.array_equal(T.few_shot(x, y, 5, seed=4)[0], xs)
    with pytest.raises(ValueError, match="fewer than 31"):
        T.few_shot(x, y, 31)
    with pytest.raises(ValueError, match="at least 1"):
        T.few_shot(x, y, 0)


def test_budget_index_passes_and_length():
    idx = T.budget_index(7, steps=5, batch_size=3, seed=1)
    assert len(idx) == 15
    assert sorted(idx[:7].tolist()) == list(range(7))  # each pass is a permutation
    assert sorted(idx[7:14].tolist()) == list(range(7))
    with pytest.raises(ValueError):
        T.budget_index(0, 5, 3)


def test_rehearsal_mix_labels_and_weights():
    x_new, y_new = np.zeros((6, 2)), np.array([0, 1, 2, 3, 4, 0])
    x_old, y_old = np.ones((3, 2)), np.array([4, 2, 1])
    x, y, w = T.rehearsal_mix(x_new, y_new, x_old, y_old, seed=0)
    old = x[:, 0] == 1
    assert x.shape == (9, 2) and old.sum() == 3
    np.testing.assert_array_equal(w["task_a"], old.astype(np.float32))
    np.testing.assert_array_equal(w["task_b"], (~old).astype(np.float32))
    assert sorted(y["task_a"][old].tolist()) == [1, 2, 4]
    assert sorted(y["task_b"][~old].tolist()) == sorted(y_new.tolist())
    with pytest.raises(ValueError, match="differ in shape"):
        T.rehearsal_mix(x_new, y_new, np.ones((3, 5)), y_old)


# ------------------------------------------------------------------ models
def test_build_base_shapes_and_keras_batch_norm():
    base = T.build_base()
    assert base.output_shape == (None, 1152)
    bns = [la for la in base.layers if isinstance(la, keras.layers.BatchNormalization)]
    assert [la.name for la in bns] == ["block1_bn", "block2_bn", "block3_bn"]
    assert all(la.momentum == 0.9 for la in bns)
    assert [la.name for la in base.layers[-5:]] == ["block3_conv", "block3_bn", "block3_relu",
                                                    "block3_pool", "features"]


def test_freeze_base_trains_only_the_head_and_shares_the_base():
    base = tiny_base()
    model = T.freeze_base(base, 3)
    assert [tuple(w.shape) for w in model.trainable_weights] == [(147, 3), (3,)]
    assert T.trainable_count(model) == 147 * 3 + 3
    x = images()
    before = np.asarray(model(x))
    conv = base.get_layer("block2_conv")
    conv.kernel.assign(-np.asarray(conv.kernel))
    assert not np.allclose(before, np.asarray(model(x)))  # the same layers, not a copy


def test_frozen_batch_norm_keeps_its_statistics_in_fit():
    base = tiny_base()
    model = T.compile_classifier(T.freeze_base(base, 3), 1e-2)
    weights = [np.array(w) for w in base.weights]
    T.fit_steps(model, images(), np.array([0, 1, 2, 0, 1, 2, 0, 1]), steps=2, batch_size=4)
    for w, old in zip(base.weights, weights, strict=True):
        np.testing.assert_array_equal(np.array(w), old, err_msg=w.path)


def test_fine_tune_model_flags_lr_and_training():
    base, hd = tiny_base(), head()
    T.freeze_base(base, 3)
    model = T.fine_tune_model(base, hd, 5, 3e-4)
    assert [w.path for w in model.trainable_weights] == ["block2_conv/kernel", "head/kernel", "head/bias"]
    assert float(model.optimizer.learning_rate) == pytest.approx(3e-4)
    before = {w.path: np.array(w) for w in base.weights}
    T.fit_steps(model, images(), np.array([0, 1, 2, 0, 1, 2, 0, 1]), steps=2, batch_size=4)
    changed = {w.path for w in base.weights if not np.array_equal(np.array(w), before[w.path])}
    assert changed == {"block2_conv/kernel"}  # batch norms (and their statistics) untouched
    assert int(model.optimizer.iterations) == 2
    assert [w.path for w in T.fine_tune_model(base, hd, 0, 1e-4).trainable_weights] == [
        "head/kernel", "head/bias"]
    with pytest.raises(ValueError):
        T.fine_tune_model(base, hd, -1, 1e-4)


def test_unfrozen_batch_norm_moves_despite_training_false():
    """Keras 3: fit's training=True overrides base(x, training=False) (what 2_6 teaches)."""
    base = tiny_base()
    base.trainable = True
    model = T.with_head(base, head())
    bn = base.get_layer("block2_bn")
    before = np.array(bn.moving_mean)
    model(images(), training=True)
    assert not np.allclose(np.array(bn.moving_mean), before)
    bn.trainable = False
    before = np.array(bn.moving_mean)
    model(images(), training=True)
    np.testing.assert_array_equal(np.array(bn.moving_mean), before)


def test_copy_model_and_copy_layer_are_independent():
    base = tiny_base()
    base.get_layer("block1_conv").trainable = False
    copy = T.copy_model(base)
    x = images()
    np.testing.assert_allclose(np.asarray(copy(x, training=False)), np.asarray(base(x, training=False)))
    assert not copy.get_layer("block1_conv").trainable and copy.get_layer("block2_conv").trainable
    conv = copy.get_layer("block2_conv")
    conv.kernel.assign(np.zeros(conv.kernel.shape))
    assert np.abs(np.asarray(base.get_layer("block2_conv").kernel)).sum() > 0
    hd = head()
    new = T.copy_layer(hd)
    assert new is not hd
    for a, b in zip(new.get_weights(), hd.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_two_head_model_and_zero_weights_leave_a_head_alone():
    base = tiny_base()
    head_a, head_b = head(2, name="head_a"), head(3, name="head_b")
    T.fine_tune_model(base, head_b, 5, 1e-2)  # the flags
    two = T.two_head_model(base, head_a, head_b)
    out = two(images(), training=False)
    assert tuple(out["task_a"].shape) == (8, 2) and tuple(out["task_b"].shape) == (8, 3)
    x, y, w = T.rehearsal_mix(images(6), np.array([0, 1, 2, 0, 1, 2]), images(2, seed=1), np.array([0, 1]))
    w["task_a"][:] = 0.0  # nothing for head A to learn from
    two.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    kernel_a = np.array(head_a.kernel)
    T.fit_steps(two, x, y, steps=2, batch_size=4, sample_weight=w)
    np.testing.assert_allclose(np.array(head_a.kernel), kernel_a, atol=1e-7)


# ------------------------------------------------------------------ metrics
def test_accuracy_and_embed_match_keras():
    base = tiny_base()
    model = T.with_head(base, head())
    x, y = images(10), np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    probs = np.asarray(model(x, training=False))
    metric = keras.metrics.SparseCategoricalAccuracy()
    metric.update_state(y, probs)
    assert T.accuracy(model, x, y, batch_size=3) == pytest.approx(float(metric.result()))
    np.testing.assert_allclose(T.embed(model, x, batch_size=4), probs, rtol=1e-6)
    with pytest.raises(ValueError):
        T.embed(model, x[:0])


def test_nearest_neighbor_accuracy():
    f_train = np.array([[1.0, 0.0], [0.0, 2.0]])
    f_test = np.array([[3.0, 0.1], [0.2, 1.0], [-1.0, 5.0], [1.0, 1.1]])
    assert T.nearest_neighbor_accuracy(f_train, np.array([0, 1]), f_test, np.array([0, 1, 1, 0])) == 0.75
    with pytest.raises(ValueError, match=r"\(2, 2\) and \(4, 3\)"):
        T.nearest_neighbor_accuracy(f_train, np.array([0, 1]), np.zeros((4, 3)), np.zeros(4))


def test_autoencoder_layer_codes():
    z = np.random.default_rng(0).uniform(size=(64, 10)).astype(np.float32)
    encoder, codes = T.autoencoder_layer(z, 4, epochs=1, batch_size=32)
    assert codes.shape == (64, 4) and (codes > 0).all() and (codes < 1).all()
    np.testing.assert_allclose(codes, np.asarray(encoder(z)), rtol=1e-5)
    with pytest.raises(ValueError, match=r"\(64,\)"):
        T.autoencoder_layer(z[:, 0], 4)
