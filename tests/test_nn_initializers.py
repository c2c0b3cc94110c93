"""utils.nn.initializers (Xavier, He) against their definitions and Keras, and utils.nn.layers.mlp."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from utils import nn
from utils.nn.layers import mlp


@pytest.mark.parametrize(("init", "scale"), [(nn.xavier_init, 1.0), (nn.he_init, 2.0)])
@pytest.mark.parametrize(("fan_in", "fan_out"), [(784, 100), (100, 400)])
def test_normal_with_the_lecture_std(init, scale, fan_in, fan_out) -> None:
    W = init(fan_in, fan_out, seed=0)
    assert W.shape == (fan_in, fan_out) and W.dtype == np.float64
    std = np.sqrt(scale / fan_in)
    assert abs(W.std() / std - 1) < 0.02
    assert abs(W.mean()) < 5 * std / np.sqrt(W.size)
    z = W.ravel() / W.std()
    assert abs(np.mean(z**4) - 3) < 0.15  # a normal's kurtosis; not truncated, not uniform
    assert nn.init_std(fan_in, "he" if scale == 2 else "xavier") == pytest.approx(std)


@pytest.mark.parametrize("init", [nn.xavier_init, nn.he_init])
def test_seed_fixes_the_draw(init) -> None:
    np.testing.assert_array_equal(init(20, 10, seed=3), init(20, 10, seed=3))
    assert not np.array_equal(init(20, 10, seed=3), init(20, 10, seed=4))
    gen = np.random.default_rng(5)
    np.testing.assert_array_equal(init(20, 10, seed=gen), init(20, 10, seed=np.random.default_rng(5)))
    assert init(20, 10).shape == (20, 10)


@pytest.mark.parametrize("bad", [(0, 5), (5, -1), (2.5, 3)])
def test_bad_fans_raise(bad) -> None:
    with pytest.raises(ValueError, match="positive integer"):
        nn.he_init(*bad)
    with pytest.raises(ValueError, match="scheme"):
        nn.init_std(10, "glorot")


def test_keras_he_normal_has_our_variance_and_glorot_normal_the_averaged_one() -> None:
    """What the lesson says about Keras: HeNormal = our He variance, truncated at 2σ;
    GlorotNormal uses 2/(fan_in + fan_out), equal to ours only when fan_in = fan_out."""
    import keras

    fan_in, fan_out = 400, 100
    he_keras = keras.initializers.HeNormal(seed=0)((fan_in, fan_out)).numpy()
    assert abs(he_keras.std() / np.sqrt(2 / fan_in) - 1) < 0.03
    assert np.abs(he_keras).max() / he_keras.std() < 2.4  # truncated
    assert np.abs(nn.he_init(fan_in, fan_out, seed=0)).max() / np.sqrt(2 / fan_in) > 3.5
    glorot = keras.initializers.GlorotNormal(seed=0)((fan_in, fan_out)).numpy()
    assert abs(glorot.std() / np.sqrt(2 / (fan_in + fan_out)) - 1) < 0.03
    square = keras.initializers.GlorotNormal(seed=1)((300, 300)).numpy()
    assert abs(square.std() / nn.xavier_init(300, 300, seed=1).std() - 1) < 0.03


def test_mlp_structure_keys_and_init() -> None:
    model = mlp([8, 6, 5, 3], "sigmoid", "xavier", seed=0)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Affine", "Sigmoid", "Affine", "Sigmoid", "Affine"]
    assert sorted(model.params) == ["0.W", "0.b", "2.W", "2.b", "4.W", "4.b"]
    np.testing.assert_array_equal(model.params["0.b"], np.zeros(6))
    bn = mlp([8, 6, 5, 3], "relu", "he", batchnorm=True, seed=0)
    kinds = [type(layer).__name__ for layer in bn.layers]
    assert kinds == ["Affine", "BatchNorm", "ReLU", "Affine", "BatchNorm", "ReLU", "Affine"]
    assert "1.gamma" in bn.params and "4.beta" in bn.params
    same = mlp([8, 6, 5, 3], "relu", "he", batchnorm=True, seed=0)
    for key in bn.params:
        np.testing.assert_array_equal(bn.params[key], same.params[key])
    # the named schemes are the library's functions, called with one seed per layer
    calls = []

    def spy(fan_in, fan_out, seed=None):
        calls.append((fan_in, fan_out, seed))
        return nn.he_init(fan_in, fan_out, seed=seed)

    mine = mlp([8, 6, 5, 3], "relu", spy, seed=0)
    assert [c[:2] for c in calls] == [(8, 6), (6, 5), (5, 3)]
    for key in mine.params:
        np.testing.assert_array_equal(mine.params[key], mlp([8, 6, 5, 3], "relu", "he", seed=0).params[key])
    assert np.all(mlp([8, 6, 3], weight_init="zeros", seed=0).params["0.W"] == 0)
    wide = mlp([400, 300, 3], weight_init=0.5, seed=0).params["0.W"]
    assert abs(wide.std() / 0.5 - 1) < 0.02


def test_mlp_errors() -> None:
    with pytest.raises(ValueError, match="activation"):
        mlp([4, 3], activation="swish")
    with pytest.raises(ValueError, match="weight_init"):
        mlp([4, 3], weight_init="lecun")
    with pytest.raises(ValueError, match="sizes"):
        mlp([4])
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(4, 3\)"):
        mlp([4, 3], weight_init=lambda i, o, seed=None: np.zeros((o, i)))


def test_mlp_with_batchnorm_passes_the_gradient_check() -> None:
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(5, 6)), np.array([0, 2, 1, 1, 0])
    for act in ("relu", "sigmoid", "tanh"):
        model = mlp([6, 5, 4, 3], act, "xavier", batchnorm=True, seed=1)
        errors = nn.gradient_check(model, x, t)
        grads = model.gradient(x, t)
        for key in ("0.b", "3.b"):  # a bias before a batch norm has no effect: gradient 0
            assert np.abs(grads[key]).max() < 1e-12
            del errors[key]
        assert max(errors.values()) < nn.GRADCHECK_TOL, (act, errors)
