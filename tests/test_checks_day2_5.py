"""Checkers of 2_5: stub, wrong answers, solution (build_cnn, residual_block, inception_block)."""

from __future__ import annotations

import keras

from tests.checkerkit import Spec, make_tests
from utils import cnn

L = keras.layers


# ------------------------------------------------------------------ 2_5 build_cnn
def _cnn(*, bn=True, dropout=True, units=10, softmax=True, filters=(32, 64, 128), dense=256):
    inputs = keras.Input((28, 28, 1))
    x = inputs
    for f in filters:
        x = cnn.conv_bn_relu(x, f) if bn else L.Conv2D(f, 3, padding="same", activation="relu")(x)
        x = L.MaxPooling2D()(x)
    x = L.Flatten()(x)
    if dropout:
        x = L.Dropout(0.4)(x)
    x = L.Dense(dense, activation="relu")(x)
    return keras.Model(inputs, L.Dense(units, activation="softmax" if softmax else None)(x))


def cnn_sequential():
    """Another right answer: a Sequential model with Keras' own BatchNormalization."""
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        L.Conv2D(32, 3, padding="same", use_bias=False), L.BatchNormalization(), L.ReLU(),
        L.MaxPooling2D(),
        L.Conv2D(64, 3, padding="same", use_bias=False), L.BatchNormalization(), L.ReLU(),
        L.MaxPooling2D(),
        L.Flatten(), L.Dropout(0.3), L.Dense(128, activation="relu"), L.Dense(10, activation="softmax"),
    ])


def cnn_no_batch_norm():
    return _cnn(bn=False)


def cnn_nine_outputs():
    return _cnn(units=9)


def dense_only():
    return keras.Sequential([keras.Input((28, 28, 1)), L.Flatten(), L.Dense(512, activation="relu"),
                             L.BatchNormalization(), L.Dropout(0.3), L.Dense(10, activation="softmax")])


def cnn_huge_dense():
    """Flattens a 14 × 14 × 64 map into Dense 1024: 12.9 M parameters."""
    inputs = keras.Input((28, 28, 1))
    x = L.MaxPooling2D()(cnn.conv_bn_relu(inputs, 64))
    x = L.Dropout(0.3)(L.Flatten()(x))
    x = L.Dense(1024, activation="relu")(x)
    return keras.Model(inputs, L.Dense(10, activation="softmax")(x))


def cnn_wide_full_resolution():
    """128 and 128 filters at 28 × 28: few parameters, 130 M multiply-adds an image."""
    inputs = keras.Input((28, 28, 1))
    x = cnn.conv_bn_relu(cnn.conv_bn_relu(inputs, 128), 128)
    x = L.Dropout(0.3)(L.GlobalAveragePooling2D()(x))
    return keras.Model(inputs, L.Dense(10, activation="softmax")(x))


def cnn_logits():
    return _cnn(softmax=False)


def cnn_no_dropout():
    return _cnn(dropout=False)


def cnn_no_return():
    _cnn()


# ------------------------------------------------------------------ 2_5 residual_block
def _main_path(x, filters, stride):
    y = cnn.conv_bn_relu(x, filters, 3, strides=stride)
    y = L.Conv2D(filters, 3, padding="same", use_bias=False)(y)
    return cnn.batch_norm()(y)


def _projection(x, filters, stride):
    if stride != 1 or x.shape[-1] != filters:
        return cnn.batch_norm()(L.Conv2D(filters, 1, strides=stride, use_bias=False)(x))
    return x


def residual_keras_bn(x, filters, stride=1):
    """Another right answer: Keras' BatchNormalization, biases in the convolutions, keras.ops.add."""
    y = L.Conv2D(filters, 3, strides=stride, padding="same")(x)
    y = L.ReLU()(L.BatchNormalization()(y))
    y = L.BatchNormalization()(L.Conv2D(filters, 3, padding="same")(y))
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = L.Conv2D(filters, 1, strides=stride)(x)
    return L.Activation("relu")(L.Add()([shortcut, y]))


def residual_no_skip(x, filters, stride=1):
    return L.ReLU()(_main_path(x, filters, stride))


def residual_relu_before_add(x, filters, stride=1):
    return L.Add()([L.ReLU()(_main_path(x, filters, stride)), _projection(x, filters, stride)])


def residual_adds_wrong_tensor(x, filters, stride=1):
    """Adds the first conv's output instead of the block's input."""
    y1 = cnn.conv_bn_relu(x, filters, 3, strides=stride)
    y = cnn.batch_norm()(L.Conv2D(filters, 3, padding="same", use_bias=False)(y1))
    return L.ReLU()(L.Add()([y, y1]))


def residual_no_projection(x, filters, stride=1):
    return L.ReLU()(L.Add()([_main_path(x, filters, stride), x]))


def residual_projection_without_stride(x, filters, stride=1):
    shortcut = x if x.shape[-1] == filters else L.Conv2D(filters, 1)(x)
    return L.ReLU()(L.Add()([_main_path(x, filters, stride), shortcut]))


def residual_always_projects(x, filters, stride=1):
    shortcut = cnn.batch_norm()(L.Conv2D(filters, 1, strides=stride, use_bias=False)(x))
    return L.ReLU()(L.Add()([_main_path(x, filters, stride), shortcut]))


def residual_one_conv(x, filters, stride=1):
    y = cnn.batch_norm()(L.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x))
    return L.ReLU()(L.Add()([y, _projection(x, filters, stride)]))


def residual_no_second_bn(x, filters, stride=1):
    y = cnn.conv_bn_relu(x, filters, 3, strides=stride)
    y = L.Conv2D(filters, 3, padding="same", use_bias=False)(y)
    return L.ReLU()(L.Add()([y, _projection(x, filters, stride)]))


# ------------------------------------------------------------------ 2_5 inception_block
def _conv(f, k):
    return L.Conv2D(f, k, padding="same", activation="relu")


def _branches(x, f1, f3r, f3, f5r, f5, fp):
    return [_conv(f1, 1)(x), _conv(f3, 3)(_conv(f3r, 1)(x)), _conv(f5, 5)(_conv(f5r, 1)(x)),
            _conv(fp, 1)(L.MaxPooling2D(3, strides=1, padding="same")(x))]


def inception_ops_concat(x, f1, f3_reduce, f3, f5_reduce, f5, pool_proj):
    """Another right answer: keras.ops.concatenate on the last axis."""
    return keras.ops.concatenate(_branches(x, f1, f3_reduce, f3, f5_reduce, f5, pool_proj), axis=-1)


def inception_no_pool_branch(x, f1, f3_reduce, f3, f5_reduce, f5, pool_proj):
    return L.Concatenate()(_branches(x, f1, f3_reduce, f3, f5_reduce, f5, pool_proj)[:3])


def inception_added(x, f1, f3_reduce, f3, f5_reduce, f5, pool_proj):
    return L.Add()(_branches(x, f1, f3_reduce, f3, f5_reduce, f5, pool_proj))


def inception_no_reduction(x, f1, f3_reduce, f3, f5_reduce, f5, pool_proj):
    return L.Concatenate()([_conv(f1, 1)(x), _conv(f3, 3)(x), _conv(f5, 5)(x),
                            _conv(pool_proj, 1)(L.MaxPooling2D(3, strides=1, padding="same")(x))])


def inception_pool_without_projection(x, f1, f3_reduce, f3, f5_reduce, f5, pool_proj):
    b = _branches(x, f1, f3_reduce, f3, f5_reduce, f5, pool_proj)[:3]
    return L.Concatenate()([*b, L.MaxPooling2D(3, strides=1, padding="same")(x)])


def inception_pool_first(x, f1, f3_reduce, f3, f5_reduce, f5, pool_proj):
    b = _branches(x, f1, f3_reduce, f3, f5_reduce, f5, pool_proj)
    return L.Concatenate()([b[3], b[0], b[1], b[2]])


def inception_no_relu_3x3(x, f1, f3_reduce, f3, f5_reduce, f5, pool_proj):
    b = _branches(x, f1, f3_reduce, f3, f5_reduce, f5, pool_proj)
    b[1] = L.Conv2D(f3, 3, padding="same")(_conv(f3_reduce, 1)(x))
    return L.Concatenate()(b)


def inception_valid_padding(x, f1, f3_reduce, f3, f5_reduce, f5, pool_proj):
    return L.Concatenate()([
        L.Cropping2D(2)(_conv(f1, 1)(x)),
        L.Cropping2D(1)(L.Conv2D(f3, 3, activation="relu")(_conv(f3_reduce, 1)(x))),
        L.Conv2D(f5, 5, activation="relu")(_conv(f5_reduce, 1)(x)),
        L.Cropping2D(2)(_conv(pool_proj, 1)(L.MaxPooling2D(3, strides=1, padding="same")(x))),
    ])


CASES = {
    "2_5/build_cnn": Spec(
        wrong=[cnn_no_batch_norm, cnn_nine_outputs, dense_only, cnn_huge_dense,
               cnn_wide_full_resolution, cnn_logits, cnn_no_dropout, cnn_no_return],
        messages=["no batch normalization", "ten of them", "no convolution",
                  "parameters, over the budget", "multiply-adds in the Conv2D and Dense layers, over", "probabilities",
                  "no Dropout", "return model"],
    ),
    "2_5/residual_block": Spec(
        wrong=[residual_no_skip, residual_relu_before_add, residual_adds_wrong_tensor,
               residual_no_projection, residual_projection_without_stride,
               residual_always_projects, residual_one_conv, residual_no_second_bn],
        messages=["skip connection is missing", "after the addition", "skip connection is missing",
                  "1 × 1 Conv2D(filters, 1, strides=stride)", "1 × 1 Conv2D(filters, 1, strides=stride)",
                  "without a 1 × 1", "1 3 × 3 convolutions", "followed by batch normalization"],
    ),
    "2_5/inception_block": Spec(
        wrong=[inception_no_pool_branch, inception_added, inception_no_reduction,
               inception_pool_without_projection, inception_pool_first, inception_no_relu_3x3,
               inception_valid_padding],
        messages=["pool branch (3 × 3 max pooling, then a 1 × 1 conv) is missing", "concatenated",
                  "Reduce the channels first", "needs its 1 × 1", "order 1×1, 3×3, 5×5, pool",
                  "activation=\"relu\"", "padding=\"same\""],
    ),
}

test_solution_accepted, test_stub_rejected_politely, test_wrong_answers_rejected = make_tests(CASES)


def test_other_right_answers_accepted() -> None:
    """Right answers other than the reference: Keras' batch norm, a Sequential model, ops."""
    from tests.checkerkit import run
    from utils import checks

    for ex_id, fn in [("2_5/build_cnn", cnn_sequential), ("2_5/residual_block", residual_keras_bn),
                      ("2_5/inception_block", inception_ops_concat)]:
        rec = run(ex_id, fn)
        assert rec.status == checks.PASS, rec.message
