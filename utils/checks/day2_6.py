"""Checkers of 2_6 transfer learning: freeze_base and fine_tune_model.

Both exercises return a new ``keras.Model``, which the cases inspect through calls and
attributes only (black box): its trainable weights (paths and shapes), its output for a fixed
input, its optimizer's learning rate and its compiled loss. The Keras objects a case passes in
(a tiny pretrained-looking base, a head) are built here with fixed weights and explicit layer
names, so that the grader builds the same ones and computes the same expected values; a case
never reads them back after the student's call except to change them (the sharing test),
since the recording does not track Keras objects.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from utils import transfer
from utils.checks import hints as _h
from utils.checks.core import Checker, assert_close, expect_same_output, expect_shape
from utils.nn import softmax

_SHAPE = (28, 28, 1)  # the lesson's image shape, so that a hard-coded keras.Input still fits
_FILTERS = (2, 3)  # tiny: 28 -> 14 -> 7, features 7 * 7 * 3 = 147
_FEATURES = 7 * 7 * 3


def _tiny_base(seed: int) -> Any:
    """A two-block base with fixed weights and moving statistics (as if pretrained)."""
    base = transfer.build_base(_SHAPE, _FILTERS, name="base")
    rng = _h.rng(seed)
    weights = []
    for w in base.weights:
        shape, path = tuple(w.shape), w.path
        if path.endswith("moving_variance"):
            weights.append(rng.uniform(0.5, 1.5, size=shape))
        elif path.endswith("gamma"):
            weights.append(rng.uniform(0.8, 1.2, size=shape))
        else:
            weights.append(rng.normal(scale=0.5, size=shape))
    base.set_weights([w.astype(np.float32) for w in weights])
    return base


def _images(seed: int, n: int = 4) -> np.ndarray:
    return _h.rng(seed).uniform(size=(n, *_SHAPE)).astype(np.float32)


def _features(base: Any, x: np.ndarray) -> np.ndarray:
    return np.asarray(base(x, training=False), dtype=np.float64)


def _call(model: Any, x: np.ndarray, what: str) -> np.ndarray:
    out = model(x, training=False)
    try:
        return np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError):
        raise AssertionError(f"{what}(images) returned {type(out).__name__}, not an array of "
                             "probabilities") from None


def _returned_model(out: Any, fn_name: str) -> Any:
    if out is None:
        raise AssertionError(f"{fn_name} returned None: did you forget `return model`?")
    for attr in ("trainable_weights", "layers"):
        try:
            getattr(out, attr)
        except AttributeError:
            raise AssertionError(f"{fn_name} returned {type(out).__name__}; return the keras.Model "
                                 "(keras.Model(inputs, outputs))") from None
    return out


def _trainable(model: Any) -> list[tuple[str, tuple[int, ...]]]:
    """(path, shape) of every trainable weight of the returned model."""
    return [(str(w.path), tuple(int(d) for d in np.shape(w))) for w in model.trainable_weights]


def _compare_models(actual: Any, expected: Any) -> None:
    """Extra cases: the same number of trainable weights and the same output shape."""
    got, want = len(actual.trainable_weights), len(expected.trainable_weights)
    if got != want:
        raise AssertionError(f"{got} trainable weights, expected {want}")
    expect_same_output(actual, expected)


# ------------------------------------------------------------------ freeze_base
freeze_base = Checker(
    "2_6",
    "freeze_base",
    reference=transfer.freeze_base,
    compare=_compare_models,
    doc="freeze_base(base, num_classes): the frozen base (shared, not copied) with a new softmax "
        "Dense head; only the head is trainable.",
)


def _frozen(fn: Any, seed: int, num_classes: int) -> tuple[Any, Any]:
    base = _tiny_base(seed)
    model = _returned_model(fn(base, num_classes), "freeze_base")
    return base, model


@freeze_base.case("only the new head (kernel, bias) is trainable, with num_classes outputs")
def _(fn: Any) -> None:
    _, model = _frozen(fn, 71, 3)
    weights = _trainable(model)
    shapes = [s for _, s in weights]
    want = [(_FEATURES, 3), (3,)]
    if shapes == want:
        return
    if not weights:
        raise AssertionError(
            "the returned model has no trainable weights: the new head is frozen too. Freeze the "
            "base only (base.trainable = False), not the whole model, so that the head can learn"
        )
    if len(shapes) == 2 and len(shapes[0]) == 2 and shapes[0][0] == _FEATURES:
        raise AssertionError(
            f"the head has {shapes[0][1]} outputs, expected num_classes = 3: the new task has its "
            "own classes, so use Dense(num_classes, …), not the old task's number"
        )
    if len(weights) > 2:
        base_paths = [p for p, _ in weights if p.startswith("block")]
        raise AssertionError(
            f"{len(weights)} trainable weights, expected only the head's kernel {want[0]} and bias "
            f"{want[1]}: the base is not frozen (trainable: {', '.join(base_paths[:4])} …). Set "
            "base.trainable = False before building the model"
        )
    raise AssertionError(f"trainable weights of shapes {shapes}, expected {want}: the head's kernel "
                         "(features, num_classes) and bias (num_classes,)")


@freeze_base.case("the output is softmax(head(base(x))) for the base that was passed in")
def _(fn: Any) -> None:
    base, model = _frozen(fn, 72, 4)
    x = _images(73)
    feats = _features(base, x)  # the base is the checker's: computed the same in the grader
    probs = _call(model, x, "model")
    expect_shape(probs, (len(x), 4), "model(images) with num_classes = 4")
    if not np.allclose(probs.sum(axis=1), 1.0, atol=1e-4) or (probs < 0).any():
        raise AssertionError("the outputs are not probabilities (rows do not sum to 1): give the "
                             "head activation=\"softmax\"")
    weights = [np.asarray(w, dtype=np.float64) for w in model.trainable_weights]
    if len(weights) != 2:
        raise AssertionError(f"expected the head's kernel and bias as the only trainable weights, got "
                             f"{len(weights)}")
    W, b = weights
    want = softmax(feats @ W + b)
    try:
        assert_close(probs, want, rtol=1e-3, atol=1e-5, name="model(images)")
    except AssertionError as err:
        raise AssertionError(
            f"{err}.\n    Hint: the output should be the new head applied to the features of the "
            "base you were given; was another base built or re-initialized (a fresh "
            "build_base(), keras.models.clone_model)? Use `base` itself"
        ) from None


@freeze_base.case("the base is shared, not copied: changing its weights changes the model")
def _(fn: Any) -> None:
    base, model = _frozen(fn, 74, 3)
    x = _images(75)
    before = _call(model, x, "model")
    conv = base.get_layer("block2_conv")
    conv.kernel.assign(-np.asarray(conv.kernel))  # the checker's own base, after the call
    after = _call(model, x, "model")
    if np.allclose(before, after, atol=1e-7):
        raise AssertionError(
            "the model did not change when the base's weights changed: it holds a copy of the "
            "base (clone_model, or rebuilt layers). Build the model around `base` itself, so that "
            "the pretrained layers are shared (and fine-tuning later updates them)"
        )
    W, b = (np.asarray(w, dtype=np.float64) for w in model.trainable_weights)
    assert_close(after, softmax(_features(base, x) @ W + b), rtol=1e-3, atol=1e-5,
                 name="model(images) after changing the base")


# ------------------------------------------------------------------ fine_tune_model
fine_tune_model = Checker(
    "2_6",
    "fine_tune_model",
    reference=transfer.fine_tune_model,
    compare=_compare_models,
    doc="fine_tune_model(base, head, n_layers, lr): head(base(x)) with the top n_layers of the "
        "base trainable except BatchNormalization, compiled with Adam(lr) and sparse "
        "categorical cross-entropy.",
)


def _head(seed: int, k: int = 3) -> Any:
    import keras

    head = keras.layers.Dense(k, activation="softmax", name="head")
    head.build((None, _FEATURES))
    rng = _h.rng(seed)
    head.set_weights([rng.normal(scale=0.3, size=(_FEATURES, k)).astype(np.float32),
                      rng.normal(scale=0.1, size=k).astype(np.float32)])
    return head


def _fine_tuned(fn: Any, seed: int, n_layers: int, lr: float) -> tuple[Any, Any, Any]:
    base = _tiny_base(seed)
    base.trainable = False  # as freeze_base left it
    head = _head(seed + 1)
    model = _returned_model(fn(base, head, n_layers, lr), "fine_tune_model")
    return base, head, model


_HEAD = {"head/kernel", "head/bias"}
_N_LAYERS = 10  # layers of the tiny base: image, block1 (conv, bn, relu, pool), block2 (…), features


def _expect_trainable(model: Any, n_layers: int, want: set[str]) -> None:
    got = {p for p, _ in _trainable(model)}
    if got == want:
        return
    listed = ", ".join(sorted(got)) or "nothing"
    msg = f"with n_layers = {n_layers} the trainable weights are {listed}; expected {', '.join(sorted(want))}"
    if not got & _HEAD:
        hint = "the head is frozen: it must keep learning with the unfrozen layers"
    elif any("_bn/" in p for p in got):
        hint = ("BatchNormalization layers are trainable: keep them frozen (layer.trainable = False "
                "for every isinstance(layer, keras.layers.BatchNormalization)), so that they keep "
                "their moving statistics and run in inference mode")
    elif n_layers == 0 and got - _HEAD:
        hint = ("n_layers = 0 should train the head only; note that base.layers[-0:] is the whole "
                "list: count from the front, base.layers[len(base.layers) - n_layers:]")
    elif got == _HEAD:
        hint = ("no layer of the base is trainable: unfreeze its last n_layers (base.trainable = "
                "True, then layer.trainable = False for the layers below them); the last n_layers "
                "are base.layers[len(base.layers) - n_layers:]")
    elif len(got - _HEAD) > len(want - _HEAD):
        hint = "layers below the top n_layers are trainable: unfreeze only the last n_layers of base.layers"
    else:
        hint = "unfreeze exactly the last n_layers of base.layers (counted from the top, the Flatten included)"
    raise AssertionError(f"{msg}.\n    Hint: {hint}")


@fine_tune_model.case("the top n_layers of the base train, except BatchNormalization; the head too")
def _(fn: Any) -> None:
    _, _, model = _fine_tuned(fn, 81, 5, 1e-4)  # top 5: block2 conv, bn, relu, pool, features
    _expect_trainable(model, 5, {"block2_conv/kernel", *_HEAD})


@fine_tune_model.case("n_layers = all layers of the base, and n_layers = 0 (the head only)")
def _(fn: Any) -> None:
    _, _, model = _fine_tuned(fn, 82, _N_LAYERS, 1e-4)
    _expect_trainable(model, _N_LAYERS, {"block1_conv/kernel", "block2_conv/kernel", *_HEAD})
    _, _, model = _fine_tuned(fn, 83, 0, 1e-4)
    _expect_trainable(model, 0, set(_HEAD))


@fine_tune_model.case("the model is head(base(x)) with the pretrained weights")
def _(fn: Any) -> None:
    base, head, model = _fine_tuned(fn, 84, 5, 1e-4)
    x = _images(85)
    W, b = (np.asarray(w, dtype=np.float64) for w in head.get_weights())
    want = softmax(_features(base, x) @ W + b)  # base and head unchanged since they were built
    got = _call(model, x, "model")
    expect_shape(got, want.shape, "model(images)")
    try:
        assert_close(got, want, rtol=1e-3, atol=1e-5, name="model(images)")
    except AssertionError as err:
        raise AssertionError(f"{err}.\n    Hint: build the model from the given `base` and `head` "
                             "(head(base(inputs))), without new layers or re-initialized weights") from None


@fine_tune_model.case("compiled with the lower learning rate lr")
def _(fn: Any) -> None:
    _, _, model = _fine_tuned(fn, 86, 5, 3e-5)
    try:
        optimizer = model.optimizer
    except AttributeError:
        optimizer = None
    if optimizer is None:
        raise AssertionError("the returned model is not compiled: call model.compile(optimizer="
                             "keras.optimizers.Adam(learning_rate=lr), loss=…, metrics=[…])")
    got = float(optimizer.learning_rate)
    if abs(got - 3e-5) > 1e-9:
        hint = (" This is Adam's default (optimizer=\"adam\"): pass keras.optimizers.Adam("
                "learning_rate=lr)" if abs(got - 1e-3) < 1e-9 else " Use the lr argument.")
        raise AssertionError(f"the optimizer's learning rate is {got:.3g}, expected lr = 3e-05: "
                             "fine-tuning needs the small learning rate it is given." + hint)


@fine_tune_model.case("the loss is sparse categorical cross-entropy of the probabilities")
def _(fn: Any) -> None:
    _, _, model = _fine_tuned(fn, 87, 5, 1e-4)
    x = _images(88, n=6)
    t = np.array([0, 1, 2, 2, 1, 0])
    probs = _call(model, x, "model")
    try:
        loss = float(model.compute_loss(x=x, y=t, y_pred=probs.astype(np.float32)))
    except ValueError as err:
        raise AssertionError(f"computing the compiled loss on integer labels (N,) failed: {err}. "
                             "Use loss=\"sparse_categorical_crossentropy\" (labels are integers)") from None
    want = float(-np.log(np.clip(probs[np.arange(len(t)), t], 1e-7, 1.0)).mean())
    if abs(loss - want) > 1e-3 * max(1.0, want):
        logits_loss = float(-np.log(softmax(probs)[np.arange(len(t)), t]).mean())
        hint = ("from_logits=True treats the probabilities as scores: the head already applies "
                "softmax, so keep from_logits=False" if abs(loss - logits_loss) < 1e-3
                else "use loss=\"sparse_categorical_crossentropy\"")
        raise AssertionError(f"the compiled loss on a test batch is {loss:.4f}, expected the sparse "
                             f"categorical cross-entropy {want:.4f}. Hint: {hint}")
