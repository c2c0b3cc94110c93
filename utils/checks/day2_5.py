"""Checkers of 2_5 CNN on Fashion-MNIST: build_cnn, residual_block, inception_block.

``build_cnn()`` returns a Keras model, which the cases inspect through calls and attributes
(black box). ``residual_block`` and ``inception_block`` work on a Keras tensor: a case needs a
whole ``keras.Model`` around them, built from a ``keras.Input``, with chosen weights. That
happens in :func:`_block_probe`, run through :func:`remote.probe` where the student's function
lives (in the kernel when graded), and it reports plain data only: the output shape, the
layers, the parameter count and the output for a fixed input. The expected values are
computed here, by the grader's copy of the course.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from utils import cnn
from utils.checks import hints as _h
from utils.checks.core import Checker, assert_close, expect_same_output
from utils.checks.remote import probe

# ------------------------------------------------------------------ build_cnn
_BUDGET = cnn.CNN_BUDGET


def _compare_models(actual: Any, expected: Any) -> None:
    """Extra cases: ``args=()``; the student's model maps the reference's input to its output shape."""
    expect_same_output(actual, expected)


build_cnn = Checker(
    "2_5",
    "build_cnn",
    reference=cnn.build_cnn,
    compare=_compare_models,
    doc="build_cnn(): a Keras CNN (28, 28, 1) -> 10 softmax probabilities with Conv2D, batch norm "
        "and dropout, within utils.cnn.CNN_BUDGET.",
)


def _model_of(fn: Any) -> Any:
    model = fn()
    if model is None:
        raise AssertionError("build_cnn returned None: did you forget `return model`?")
    if not hasattr(model, "count_params") or not hasattr(model, "layers"):
        raise AssertionError(f"build_cnn returned {type(model).__name__}; return the keras.Model "
                             "(keras.Model(inputs, outputs) or keras.Sequential([...]))")
    return model


def _layer_names(model: Any) -> list[str]:
    """The class names of the model's layers, nested models included."""
    names = []
    for layer in model.layers:
        if hasattr(layer, "layers"):
            names += _layer_names(layer)
        else:
            names.append(type(layer).__name__)
    return names


@build_cnn.case("a Keras model from (28, 28, 1) images to 10 outputs")
def _(fn: Any) -> None:
    model = _model_of(fn)
    shape_in = tuple(model.input_shape)
    if shape_in != (None, 28, 28, 1):
        hint = (" (no channel axis: Fashion-MNIST images are grey, (28, 28, 1))"
                if shape_in == (None, 28, 28) else "")
        raise AssertionError(f"the model's input shape is {shape_in}, expected (None, 28, 28, 1): "
                             f"start with keras.Input((28, 28, 1)){hint}")
    shape_out = tuple(model.output_shape)
    if shape_out != (None, 10):
        if len(shape_out) == 2 and shape_out[1] in (9, 11):
            raise AssertionError(f"the model's output shape is {shape_out}, expected (None, 10): "
                                 "one output per class, and the classes are 0 … 9, ten of them")
        raise AssertionError(f"the model's output shape is {shape_out}, expected (None, 10): "
                             "end with Flatten (or GlobalAveragePooling2D) and Dense(10)")


@build_cnn.case("Conv2D, batch normalization and dropout layers")
def _(fn: Any) -> None:
    names = _layer_names(_model_of(fn))
    if not any("Conv" in n for n in names):
        raise AssertionError(f"the model has no convolution (its layers: {', '.join(names)}): "
                             "a CNN needs Conv2D layers; a dense-only network ignores the image's "
                             "2-D structure")
    if not any("BatchNorm" in n for n in names):
        raise AssertionError("the model has no batch normalization: put utils.cnn.batch_norm() "
                             "(or keras.layers.BatchNormalization()) after each Conv2D")
    if not any("Dropout" in n for n in names):
        raise AssertionError("the model has no Dropout layer: add keras.layers.Dropout before "
                             "the dense layers")


@build_cnn.case(f"within the budget: ≤ {_BUDGET['params']:,} parameters, "
                f"≤ {_BUDGET['multiply_adds']:,} multiply-adds an image")
def _(fn: Any) -> None:
    model = _model_of(fn)
    n_params = int(model.count_params())
    macs = cnn.multiply_adds(model)
    if n_params <= _BUDGET["params"] and macs <= _BUDGET["multiply_adds"]:
        return
    ref_model = cnn.build_cnn()
    ref = (f"the reference: {ref_model.count_params():,} parameters, "
           f"{cnn.multiply_adds(ref_model):,} multiply-adds")
    if n_params > _BUDGET["params"]:
        raise AssertionError(
            f"the model has {n_params:,} parameters, over the budget of {_BUDGET['params']:,} "
            f"({ref}). Usually the first Dense layer: flatten a smaller map (pool once more) or "
            "use fewer units")
    if macs > _BUDGET["multiply_adds"]:
        raise AssertionError(
            f"one image costs {macs:,} multiply-adds in the Conv2D and Dense layers, over the "
            f"budget of {_BUDGET['multiply_adds']:,} ({ref}), so full mode could not train it in "
            "its time. Pool earlier, or use fewer filters at full resolution (28 × 28)")


@build_cnn.case("a forward pass gives (4, 10) class probabilities")
def _(fn: Any) -> None:
    model = _model_of(fn)
    x = _h.rng(25).uniform(0, 1, size=(4, 28, 28, 1)).astype(np.float32)
    out = np.asarray(model(x, training=False), dtype=float)
    if out.shape != (4, 10):
        raise AssertionError(f"model(x) for 4 images gave shape {out.shape}, expected (4, 10)")
    if out.min() < 0 or not np.allclose(out.sum(axis=1), 1.0, atol=1e-4):
        what = "has negative values" if out.min() < 0 else "has rows that do not sum to 1"
        raise AssertionError(  # no numbers: they depend on the random initial weights
            f"model(x) {what}: the model must output class probabilities; use "
            "Dense(10, activation=\"softmax\") as the last layer")


# ------------------------------------------------------------------ the block probe
_NORM_WORDS = ("BatchNorm", "Normalization")


def _conv_info(layer: Any) -> list[Any]:
    """[class name, kernel size, strides, filters, use_bias] of a layer (None where not a conv)."""
    name = type(layer).__name__
    if name != "Conv2D":
        return [name, None, None, None, None]
    return [name, [int(k) for k in layer.kernel_size], [int(s) for s in layer.strides],
            int(layer.filters), bool(layer.use_bias)]


def _flat_layers(model: Any) -> list[Any]:
    out = []
    for layer in model.layers:
        out += _flat_layers(layer) if hasattr(layer, "layers") else [layer]
    return out


def _set_weights(layers: list[Any], rules: dict[str, Any]) -> None:
    """Give every weight a known value, so the output does not depend on the random initial
    weights. Conv2D: by ``rules`` (kernel "zero" | "eye" | "random", bias values by (kernel size,
    filters)); normalization layers keep their initial γ = 1, β = 0, mean 0, variance 1; any other
    weight is set to 0."""
    rng = np.random.default_rng(rules.get("seed", 0))
    biases = {(int(k), int(f)): float(v) for k, f, v in rules.get("biases", [])}
    for layer in layers:
        weights = layer.get_weights()
        if not weights:
            continue
        name = type(layer).__name__
        if name == "Conv2D":
            kernel = weights[0]
            kh, kw, c_in, c_out = kernel.shape
            mode = rules.get("1x1" if (kh, kw) == (1, 1) else "kxk", "zero")
            if mode == "eye":  # channel i -> channel i: the identity, embedded when c_out > c_in
                new = np.zeros_like(kernel)
                for i in range(min(c_in, c_out)):
                    new[kh // 2, kw // 2, i, i] = 1.0
            elif mode == "random":
                new = (rng.normal(size=kernel.shape) * np.sqrt(2.0 / (kh * kw * c_in))).astype(kernel.dtype)
            else:
                new = np.zeros_like(kernel)
            rest = [np.full_like(w, biases.get((kh, c_out), 0.0)) for w in weights[1:]]
            layer.set_weights([new, *rest])
        elif not any(word in name for word in _NORM_WORDS):
            layer.set_weights([np.zeros_like(w) for w in weights])


def _block_probe(fn: Any, shape: tuple, args: tuple, x: np.ndarray, rules: dict[str, Any]) -> dict:
    """Where the student's function lives: ``keras.Model(inp, fn(inp, *args))`` for
    ``inp = keras.Input(shape)``, weights set by ``rules``, run on ``x`` in inference mode.

    Returns plain data: {"error": [type, message] or None, "shape", "layers", "params", "out"}."""
    import keras

    try:
        inp = keras.Input(shape)
        out = fn(inp, *args)
        if out is None:
            return {"error": ["None", "the function returned None: did you forget `return`?"]}
        model = keras.Model(inp, out)
    except NotImplementedError:
        return {"error": ["NotImplementedError", ""]}
    except Exception as err:  # the student's code crashed: reported as data, judged by the case
        return {"error": [type(err).__name__, str(err)[:400]]}
    layers = _flat_layers(model)
    report = {"error": None, "shape": [None if d is None else int(d) for d in model.output_shape],
              "layers": [_conv_info(layer) for layer in layers], "params": int(model.count_params())}
    try:
        _set_weights(layers, rules)
        report["out"] = np.asarray(model(x, training=False), dtype=np.float32)
    except Exception as err:
        report["error"] = [type(err).__name__, str(err)[:400]]
    return report


def _run(fn: Any, shape: tuple, args: tuple, x: np.ndarray, rules: dict[str, Any],
         hint: str = "") -> dict:
    """The probe's report; the student's error becomes NotImplementedError or AssertionError."""
    rep = probe(_block_probe, fn, shape, args, x, rules)
    if not isinstance(rep, dict):
        raise AssertionError("the block could not be built into a model")
    if rep.get("error"):
        kind, message = rep["error"]
        if kind == "NotImplementedError":
            raise NotImplementedError
        if kind == "None":
            raise AssertionError(message)
        raise AssertionError(f"your code raised {kind}: {message}" + (f"\n    Hint: {hint}" if hint else ""))
    return rep


def _expect_shape(rep: dict, want: tuple, what: str) -> None:
    got = tuple(rep["shape"])
    if got != want:
        raise AssertionError(f"{what}: the output shape is {got}, expected {want}")


def _convs(rep: dict, k: int | None = None) -> list[list[Any]]:
    return [info for info in rep["layers"] if info[0] == "Conv2D" and (k is None or info[1] == [k, k])]


def _count(rep: dict, words: tuple[str, ...]) -> int:
    return sum(any(w in info[0] for w in words) for info in rep["layers"])


def _x(seed: int, shape: tuple) -> np.ndarray:
    return _h.rng(seed).normal(size=(2, *shape)).astype(np.float32)  # negative values included


# ------------------------------------------------------------------ residual_block
def _compare_tensors(actual: Any, expected: Any) -> None:
    """Extra cases: the same output shape."""
    if tuple(actual.shape) != tuple(expected.shape):
        raise AssertionError(f"output shape {tuple(actual.shape)}, expected {tuple(expected.shape)}")


residual_block = Checker(
    "2_5",
    "residual_block",
    reference=cnn.residual_block,
    compare=_compare_tensors,
    doc="residual_block(x, filters, stride=1): ReLU(BN(conv(ReLU(BN(conv(x))))) + shortcut), the "
        "shortcut a 1×1 conv with the stride (+ BN) when the shape changes.",
)

_NO_PROJECTION = ("when the stride or the number of channels changes, x no longer fits the main "
                  "path's output: the shortcut needs a 1 × 1 Conv2D(filters, 1, strides=stride) "
                  "(+ batch norm) before the Add")


@residual_block.case("same shape: zero convolutions leave the identity path, ReLU(x)")
def _(fn: Any) -> None:
    shape, x = (6, 6, 8), _x(51, (6, 6, 8))
    rep = _run(fn, shape, (8, 1), x, {"kxk": "zero", "1x1": "zero"})
    _expect_shape(rep, (None, 6, 6, 8), "residual_block(x (6, 6, 8), filters=8, stride=1)")
    out, want = rep["out"], np.maximum(x, 0.0)
    if _h.close(out, np.zeros_like(want)) and _convs(rep, 1):
        raise AssertionError(
            "with all convolution weights set to 0 the block's output is 0, expected ReLU(x): "
            "when the shape does not change, the shortcut is x itself, without a 1 × 1 "
            "convolution (project only when the stride or the channels change)")
    if _h.close(out, np.zeros_like(want)):
        raise AssertionError(
            "with all convolution weights set to 0 the block's output is 0, expected ReLU(x): "
            "the skip connection is missing. Add the block's input x to the main path's output, "
            "layers.Add()([y, x]), before the last ReLU")
    if _h.close(out, x, rtol=1e-4, atol=1e-5):
        raise AssertionError(
            "with all convolution weights set to 0 the output is x itself, with its negative "
            "values, expected ReLU(x): the last ReLU comes after the addition, "
            "ReLU(Add()([y, x])), not ReLU(y) + x")
    assert_close(out, want, rtol=1e-3, atol=1e-5, name="the output with zero convolutions (expected ReLU(x))")


@residual_block.case("main path: two 3 × 3 Conv2D, each followed by batch norm")
def _(fn: Any) -> None:
    rep = _run(fn, (6, 6, 8), (8, 1), _x(52, (6, 6, 8)), {})
    k3 = _convs(rep, 3)
    if len(k3) != 2:
        raise AssertionError(f"the block has {len(k3)} 3 × 3 convolutions, expected 2 on the main "
                             "path: Conv-BN-ReLU, then Conv-BN")
    if any(info[3] != 8 for info in k3):
        raise AssertionError(f"the 3 × 3 convolutions have {[i[3] for i in k3]} filters, expected "
                             "`filters` (8 here) in both")
    if _count(rep, _NORM_WORDS) < 2:
        raise AssertionError("each 3 × 3 convolution is followed by batch normalization "
                             "(utils.cnn.batch_norm() or keras.layers.BatchNormalization())")


@residual_block.case("same shape: equals the reference block for the same weights")
def _(fn: Any) -> None:
    shape, x = (5, 5, 4), _x(53, (5, 5, 4))
    rules = {"kxk": "random", "1x1": "random", "seed": 53}
    rep = _run(fn, shape, (4, 1), x, rules)
    want = _block_probe(cnn.residual_block, shape, (4, 1), x, rules)["out"]
    _expect_shape(rep, (None, 5, 5, 4), "residual_block(x (5, 5, 4), filters=4, stride=1)")
    assert_close(rep["out"], want, rtol=2e-3, atol=1e-4,
                 name="the output for fixed weights (conv-BN-ReLU-conv-BN, add x, ReLU)")


@residual_block.case("stride 2 and 8 -> 16 channels: a 1 × 1 projection shortcut with the stride")
def _(fn: Any) -> None:
    shape, x = (8, 8, 8), _x(54, (8, 8, 8))
    rep = _run(fn, shape, (16, 2), x, {"kxk": "zero", "1x1": "eye"}, hint=_NO_PROJECTION)
    _expect_shape(rep, (None, 4, 4, 16), "residual_block(x (8, 8, 8), filters=16, stride=2)")
    k1 = _convs(rep, 1)
    if not k1:
        raise AssertionError(f"no 1 × 1 convolution in the block: {_NO_PROJECTION}")
    if not any(info[2] == [2, 2] and info[3] == 16 for info in k1):
        raise AssertionError(f"the 1 × 1 convolutions are {[(i[3], tuple(i[2])) for i in k1]} "
                             "(filters, strides); the projection needs filters=16 and strides=2")
    sub = np.zeros((2, 4, 4, 16), np.float32)
    sub[..., :8] = x[:, ::2, ::2, :]  # the projection set to the identity: x strided, padded
    want = np.maximum(sub, 0.0)
    out = rep["out"]
    if _h.close(out, np.zeros_like(want)):
        raise AssertionError("with the 3 × 3 convolutions set to 0 and the 1 × 1 projection to the "
                             "identity, the output is 0: the projected shortcut is not added")
    assert_close(out, want, rtol=2e-3, atol=1e-4,
                 name="the output with zero 3 × 3 convolutions and an identity 1 × 1 projection")


# ------------------------------------------------------------------ inception_block
inception_block = Checker(
    "2_5",
    "inception_block",
    reference=cnn.inception_block,
    compare=_compare_tensors,
    doc="inception_block(x, f1, f3_reduce, f3, f5_reduce, f5, pool_proj): 1×1 | 1×1→3×3 | "
        "1×1→5×5 | maxpool→1×1, concatenated on the channels.",
)

_ARGS = (4, 3, 5, 2, 6, 7)  # distinct widths: every branch is recognizable by its filters
_NOT_ADDED = ("the four branches are concatenated on the channel axis, "
              "layers.Concatenate()([b1, b2, b3, b4]); adding them needs equal widths and mixes "
              "the branches")


def _naive_params(c: int, f1: int, f3r: int, f3: int, f5r: int, f5: int, fp: int) -> int:
    """The module without 1 × 1 reductions: 3 × 3 and 5 × 5 directly on the input."""
    return cnn.conv_params(1, c, f1) + cnn.conv_params(3, c, f3) + cnn.conv_params(5, c, f5) + cnn.conv_params(1, c, fp)


@inception_block.case("output: spatial size kept, channels f1 + f3 + f5 + pool_proj")
def _(fn: Any) -> None:
    shape = (7, 7, 12)
    rep = _run(fn, shape, _ARGS, _x(61, shape), {}, hint=_NOT_ADDED)
    f1, _, f3, _, f5, fp = _ARGS
    got = tuple(rep["shape"])
    want = (None, 7, 7, f1 + f3 + f5 + fp)
    if got == want:
        return
    if len(got) == 4 and got[1:3] != (7, 7):
        raise AssertionError(f"the output shape is {got}, expected {want}: every branch keeps the "
                             "7 × 7 size, padding=\"same\" (and strides=1 for the max pooling)")
    channels = got[-1] if len(got) == 4 else None
    hints = {f1 + f3 + f5: "the pool branch (3 × 3 max pooling, then a 1 × 1 conv) is missing",
             f1 + f3 + f5 + shape[-1]: "the pool branch needs its 1 × 1 convolution (pool_proj "
                                       "filters) after the max pooling",
             f3 + f5 + fp: "the 1 × 1 branch (f1 filters) is missing",
             f1 + f5 + fp: "the 3 × 3 branch is missing", f1 + f3 + fp: "the 5 × 5 branch is missing"}
    raise AssertionError(f"the output shape is {got}, expected {want}"
                         + (f"\n    Hint: {hints[channels]}" if channels in hints else ""))


@inception_block.case("four branches of 8 channels give 32 channels (concatenated, not added)")
def _(fn: Any) -> None:
    shape = (7, 7, 12)
    rep = _run(fn, shape, (8, 4, 8, 4, 8, 8), _x(62, shape), {}, hint=_NOT_ADDED)
    got = tuple(rep["shape"])
    if got == (None, 7, 7, 8):
        raise AssertionError(f"the output shape is {got}, expected (None, 7, 7, 32): {_NOT_ADDED}")
    _expect_shape(rep, (None, 7, 7, 32), "inception_block(x (7, 7, 12), 8, 4, 8, 4, 8, 8)")


@inception_block.case("parameters: 1 × 1 reductions before the 3 × 3 and the 5 × 5")
def _(fn: Any) -> None:
    shape = (7, 7, 12)
    rep = _run(fn, shape, _ARGS, _x(63, shape), {}, hint=_NOT_ADDED)
    want = cnn.inception_params(shape[-1], *_ARGS)
    got = int(rep["params"])
    if got == want:
        return
    if got == _naive_params(shape[-1], *_ARGS):
        raise AssertionError(
            f"the block has {got:,} parameters, expected {want:,}: the 3 × 3 and 5 × 5 "
            "convolutions run directly on the input. Reduce the channels first with a 1 × 1 "
            "convolution (f3_reduce, f5_reduce filters): that is what keeps GoogLeNet cheap")
    if _count(rep, _NORM_WORDS):
        raise AssertionError(f"the block has {got:,} parameters, expected {want:,}: this module "
                             "has no batch norm; each Conv2D has a bias and ReLU")
    if not all(info[4] for info in _convs(rep)):
        raise AssertionError(f"the block has {got:,} parameters, expected {want:,}: keep the bias "
                             "of each Conv2D (the default use_bias=True)")
    raise AssertionError(f"the block has {got:,} parameters, expected {want:,} = "
                         "Σ (k·k·c_in + 1)·c_out over its six convolutions")


@inception_block.case("branch order 1×1 | 3×3 | 5×5 | pool, each ending in ReLU")
def _(fn: Any) -> None:
    shape = (7, 7, 12)
    f1, f3r, f3, f5r, f5, fp = _ARGS
    # kernels 0; the last conv of each branch gets a bias: 1, -2 (ReLU makes it 0), 3, 4
    rules = {"kxk": "zero", "1x1": "zero", "biases": [[1, f1, 1.0], [3, f3, -2.0], [5, f5, 3.0], [1, fp, 4.0]]}
    rep = _run(fn, shape, _ARGS, _x(64, shape), rules, hint=_NOT_ADDED)
    _expect_shape(rep, (None, 7, 7, f1 + f3 + f5 + fp), "inception_block(x (7, 7, 12), 4, 3, 5, 2, 6, 7)")
    got = np.round(np.asarray(rep["out"])[0, 3, 3], 3)  # the channels at one position
    want = np.array([1.0] * f1 + [0.0] * f3 + [3.0] * f5 + [4.0] * fp)
    if _h.close(got, want, atol=1e-3):
        return
    if np.any(got < -1e-3):
        raise AssertionError(f"a branch output is negative ({got.tolist()}): every convolution of "
                             "the module has activation=\"relu\"")
    raise AssertionError(
        f"with zero kernels and the biases 1 (1×1 branch), -2 (3×3), 3 (5×5), 4 (pool branch), "
        f"one output position is {got.tolist()}, expected {want.tolist()}: concatenate in the "
        "order 1×1, 3×3, 5×5, pool, and each branch's last convolution has the width of its "
        "argument (f1, f3, f5, pool_proj)")
