"""utils.cnn: the fused batch norm equals keras.layers.BatchNormalization; image preparation."""

import numpy as np
import pytest

from utils import cnn


def test_to_images_scales_and_adds_the_channel() -> None:
    x = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)  # (1, 2, 2)
    out = cnn.to_images(x)
    assert out.shape == (1, 2, 2, 1) and out.dtype == np.float32
    np.testing.assert_allclose(out[0, :, :, 0], [[0, 1], [0.2, 0.4]], rtol=1e-6)
    with pytest.raises(ValueError, match=r"\(N, H, W\).*\(4, 4\)"):
        cnn.to_images(np.zeros((4, 4)))


@pytest.mark.parametrize("momentum, epsilon", [(0.99, 1e-3), (0.9, 1e-5)])
def test_fused_batch_norm_equals_keras_in_training_and_inference(momentum, epsilon) -> None:
    import keras

    rng = np.random.default_rng(0)
    ours = cnn.batch_norm(momentum=momentum, epsilon=epsilon)
    keras_bn = keras.layers.BatchNormalization(momentum=momentum, epsilon=epsilon)
    shape = (6, 5, 4, 3)
    ours.build(shape)
    keras_bn.build(shape)
    gamma, beta = rng.uniform(0.5, 1.5, 3).astype("float32"), rng.normal(size=3).astype("float32")
    for layer in (ours, keras_bn):
        layer.gamma.assign(gamma)
        layer.beta.assign(beta)
    for step in range(4):  # training: batch statistics, moving statistics updated
        x = (rng.normal(size=shape) * (step + 1) + step).astype("float32")
        np.testing.assert_allclose(np.asarray(ours(x, training=True)), np.asarray(keras_bn(x, training=True)),
                                   atol=1e-5)
    np.testing.assert_allclose(ours.moving_mean.numpy(), keras_bn.moving_mean.numpy(), atol=1e-5)
    np.testing.assert_allclose(ours.moving_variance.numpy(), keras_bn.moving_variance.numpy(), rtol=1e-5)
    x = rng.normal(size=shape).astype("float32")  # inference: the moving statistics
    np.testing.assert_allclose(np.asarray(ours(x, training=False)), np.asarray(keras_bn(x, training=False)),
                               atol=1e-5)


def test_fused_batch_norm_trains_and_saves(tmp_path) -> None:
    import keras

    keras.utils.set_random_seed(0)
    inp = keras.Input((8, 8, 1))
    out = keras.layers.Dense(2)(keras.layers.GlobalAveragePooling2D()(cnn.conv_bn_relu(inp, 4, name="b1")))
    model = keras.Model(inp, out)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = np.random.default_rng(1).normal(size=(32, 8, 8, 1)).astype("float32")
    y = (x.mean(axis=(1, 2, 3)) > 0).astype("int64")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert [w.name for w in model.get_layer("b1_bn").non_trainable_weights] == ["moving_mean", "moving_variance"]
    path = tmp_path / "m.keras"
    model.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


# ------------------------------------------------------------------ 2_5: pipeline and training aids
def test_augmentation_shifts_whole_pixels_and_flips_only_in_training() -> None:
    import keras

    x = np.random.default_rng(0).uniform(0.1, 1.0, size=(16, 28, 28, 1)).astype("float32")
    augment = cnn.augmentation(seed=3)
    np.testing.assert_array_equal(np.asarray(augment(x, training=False)), x)
    out = np.asarray(augment(x, training=True))
    assert out.shape == x.shape and not np.allclose(out, x)
    allowed = np.append(x.ravel(), 0.0)  # nearest interpolation, zero fill: no new grey values
    assert np.isin(out, allowed).all()
    for img, orig in zip(out[..., 0], x[..., 0], strict=True):  # a shift of <= 2 px, maybe mirrored
        found = any(np.array_equal(np.roll(cand, (dy, dx), axis=(0, 1))[2:-2, 2:-2], img[2:-2, 2:-2])
                    for cand in (orig, orig[:, ::-1]) for dy in range(-2, 3) for dx in range(-2, 3))
        assert found
    assert isinstance(augment, keras.Sequential)


def test_make_dataset_batches_and_checks_lengths() -> None:
    x = np.zeros((10, 4, 4, 1), np.float32)
    y = np.arange(10)
    batches = list(cnn.make_dataset(x, y, 4, shuffle=True, seed=0))
    assert [tuple(b[0].shape) for b in batches] == [(4, 4, 4, 1), (4, 4, 4, 1), (2, 4, 4, 1)]
    assert sorted(np.concatenate([b[1].numpy() for b in batches]).tolist()) == list(range(10))
    with pytest.raises(ValueError, match=r"10 samples.*9"):
        cnn.make_dataset(x, y[:9])


def test_cosine_schedule_warms_up_then_decays_to_zero() -> None:
    s = cnn.cosine_schedule(0.01, 100, warmup_steps=10)
    lr = [float(s(t)) for t in (0, 5, 10, 55, 100)]
    np.testing.assert_allclose(lr, [0.0, 0.005, 0.01, 0.005, 0.0], atol=1e-7)
    np.testing.assert_allclose(float(cnn.cosine_schedule(0.01, 100)(0)), 0.01)
    with pytest.raises(ValueError, match="warmup_steps=100, total_steps=100"):
        cnn.cosine_schedule(0.01, 100, warmup_steps=100)


def test_epoch_timer_records_every_epoch() -> None:
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    timer = cnn.epoch_timer()
    model.fit(np.zeros((8, 3)), np.zeros((8, 2)), epochs=3, verbose=0, callbacks=[timer])
    assert len(timer.seconds) == 3 and all(s > 0 for s in timer.seconds)


# ------------------------------------------------------------------ 2_5: models and blocks
def test_build_cnn_shape_budget_and_keras_batch_norm() -> None:
    import keras

    model = cnn.build_cnn()
    assert model.input_shape == (None, 28, 28, 1) and model.output_shape == (None, 10)
    assert model.count_params() == 391_082  # 3 convs, their batch norms, Dense 256, Dense 10
    assert model.count_params() <= cnn.CNN_BUDGET["params"]
    assert cnn.multiply_adds(model) <= cnn.CNN_BUDGET["multiply_adds"]
    other = cnn.build_cnn(norm=keras.layers.BatchNormalization)
    assert other.count_params() == model.count_params()
    assert any(type(layer).__name__ == "BatchNormalization" for layer in other.layers)
    bn = next(layer for layer in model.layers if type(layer).__name__ == "FusedBatchNorm")
    assert bn.momentum == 0.9
    x = np.random.default_rng(0).uniform(size=(3, 28, 28, 1)).astype("float32")
    np.testing.assert_allclose(np.asarray(model(x)).sum(axis=1), 1.0, rtol=1e-5)
    order = [type(layer).__name__ for layer in model.layers[1:5]]
    assert order == ["Conv2D", "MaxPooling2D", "FusedBatchNorm", "ReLU"]              # pool first
    vgg = cnn.build_cnn(pool_first=False)
    assert [type(layer).__name__ for layer in vgg.layers[1:5]] == ["Conv2D", "FusedBatchNorm", "ReLU", "MaxPooling2D"]
    assert vgg.count_params() == model.count_params() and cnn.multiply_adds(vgg) == cnn.multiply_adds(model)


def test_conv_params_and_multiply_adds_equal_keras_counts() -> None:
    import keras

    L = keras.layers
    inp = keras.Input((10, 10, 3))
    conv = L.Conv2D(8, 3, strides=2, padding="same")
    dense = L.Dense(5, use_bias=False)
    model = keras.Model(inp, dense(L.Flatten()(conv(inp))))
    assert conv.count_params() == cnn.conv_params(3, 3, 8) == 3 * 3 * 3 * 8 + 8
    assert dense.count_params() == 5 * 5 * 5 * 8 and cnn.conv_params(1, 4, 6, bias=False) == 24
    assert cnn.layer_multiply_adds(conv) == 3 * 3 * 3 * 8 * 5 * 5
    assert cnn.multiply_adds(model) == 3 * 3 * 3 * 8 * 5 * 5 + 200 * 5
    nested = keras.Sequential([keras.Input((10, 10, 3)), keras.Sequential([L.Conv2D(8, 3, padding="same")])])
    assert cnn.multiply_adds(nested) == 3 * 3 * 3 * 8 * 10 * 10


def _block_model(block, shape, *args):
    import keras

    inp = keras.Input(shape)
    return keras.Model(inp, block(inp, *args))


def test_residual_block_identity_and_projection() -> None:
    model = _block_model(cnn.residual_block, (6, 6, 8), 8, 1)
    assert model.output_shape == (None, 6, 6, 8)
    assert not any(layer.get_config().get("kernel_size") == (1, 1) for layer in model.layers)
    for layer in model.layers:  # zero convolutions: only the identity path is left
        if type(layer).__name__ == "Conv2D":
            layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
    x = np.random.default_rng(1).normal(size=(2, 6, 6, 8)).astype("float32")
    np.testing.assert_allclose(np.asarray(model(x, training=False)), np.maximum(x, 0), atol=1e-6)
    proj = _block_model(cnn.residual_block, (8, 8, 8), 16, 2)
    assert proj.output_shape == (None, 4, 4, 16)
    convs = [(tuple(layer.kernel_size), tuple(layer.strides)) for layer in proj.layers
             if type(layer).__name__ == "Conv2D"]
    assert sorted(convs) == [((1, 1), (2, 2)), ((3, 3), (1, 1)), ((3, 3), (2, 2))]
    plain = _block_model(cnn.plain_block, (8, 8, 8), 16, 2)
    assert plain.output_shape == (None, 4, 4, 16)


def test_deep_cnn_plain_and_residual_have_the_same_weights() -> None:
    plain, res = cnn.deep_cnn(3, 8, residual=False), cnn.deep_cnn(3, 8, residual=True)
    assert plain.count_params() == res.count_params()
    assert plain.output_shape == res.output_shape == (None, 10)
    n_convs = sum(type(layer).__name__ == "Conv2D" for layer in res.layers)
    assert n_convs == 2 * 3 + 2 and plain.name == "plain_8" and res.name == "residual_8"
    assert sum(type(layer).__name__ == "Add" for layer in res.layers) == 3
    assert not any(type(layer).__name__ == "Add" for layer in plain.layers)


def test_inception_block_shape_and_parameter_formula() -> None:
    model = _block_model(cnn.inception_block, (28, 28, 192), 64, 96, 128, 16, 32, 32)  # (3a)
    assert model.output_shape == (None, 28, 28, 256)
    assert model.count_params() == cnn.inception_params(192, 64, 96, 128, 16, 32, 32) == 163_696


def test_auxiliary_head_shape_and_parameters() -> None:
    head = _block_model(lambda x: cnn.auxiliary_head(x, 10, filters=4, units=6), (14, 14, 5))
    assert head.output_shape == (None, 10)
    # pool 5 / stride 3 on 14 x 14 -> 4 x 4; conv 1x1 5->4; dense 64->6; dense 6->10
    assert head.count_params() == (5 * 4 + 4) + (4 * 4 * 4 * 6 + 6) + (6 * 10 + 10)


def test_conv_bn_relu_takes_keras_batch_norm_and_momentum() -> None:
    import keras

    model = _block_model(lambda x: cnn.conv_bn_relu(x, 4, name="b", momentum=0.9,
                                                    norm=keras.layers.BatchNormalization), (5, 5, 2))
    bn = model.get_layer("b_bn")
    assert type(bn).__name__ == "BatchNormalization" and bn.momentum == 0.9
    assert model.get_layer("b_conv").use_bias is False


def test_a_frozen_fused_batch_norm_uses_and_keeps_its_moving_statistics() -> None:
    import keras

    rng = np.random.default_rng(2)
    ours, keras_bn = cnn.batch_norm(), keras.layers.BatchNormalization()
    x = (rng.normal(size=(8, 3, 3, 2)) * 3 + 1).astype("float32")
    for layer in (ours, keras_bn):
        layer.build(x.shape)
        layer.trainable = False
    np.testing.assert_allclose(np.asarray(ours(x, training=True)), np.asarray(keras_bn(x, training=True)), atol=1e-5)
    np.testing.assert_allclose(ours.moving_mean.numpy(), 0.0)
    np.testing.assert_allclose(ours.moving_variance.numpy(), 1.0)


def test_pool_first_equals_pool_last_at_inference() -> None:
    """Conv -> MaxPool -> BN -> ReLU == Conv -> BN -> ReLU -> MaxPool with the same weights, γ > 0."""
    import keras

    inp = keras.Input((8, 8, 3))
    last = keras.Model(inp, keras.layers.MaxPooling2D()(cnn.conv_bn_relu(inp, 5, name="b")))
    first = keras.Model(inp, cnn.conv_bn_relu(inp, 5, name="b", pool=True))
    rng = np.random.default_rng(0)
    conv = rng.normal(size=(3, 3, 3, 5)).astype(np.float32)
    gamma, beta = rng.uniform(0.5, 2, 5), rng.normal(size=5)
    mean, var = rng.normal(size=5), rng.uniform(0.5, 2, 5)
    for model in (first, last):
        model.get_layer("b_conv").set_weights([conv])
        model.get_layer("b_bn").set_weights([w.astype(np.float32) for w in (gamma, beta, mean, var)])
    assert [type(layer).__name__ for layer in first.layers[1:3]] == ["Conv2D", "MaxPooling2D"]
    x = rng.normal(size=(4, 8, 8, 3)).astype(np.float32)
    np.testing.assert_allclose(first(x, training=False).numpy(), last(x, training=False).numpy(), atol=1e-5)
