"""Checkers of 4_1 TensorFlow and Keras: train_step with GradientTape, build_iris_model.

``train_step(model, loss_fn, optimizer, x, t)`` works on Keras objects, so its cases run it in
:func:`_step_probe` through :func:`remote.probe`, where the student's function lives: a small
model with fixed weights, a loss and an optimizer are built there, the student's step runs, and
only plain data comes back (the weights after the steps, the returned losses). The grader runs
the same probe on the course's reference and on known wrong steps (no update, the sign flipped,
the gradient of the output instead of the loss, a hand-made SGD update) for the hints.
``build_iris_model()`` returns a Keras model, read as a black box: its input and output shapes,
its output on fixed inputs, and ``compute_loss`` on integer labels.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from utils import tfbasics
from utils.checks import hints as _h
from utils.checks.core import Checker
from utils.checks.remote import probe


# ------------------------------------------------------------------ train_step
def _setup(seed: int, kind: str) -> tuple[Any, Any, Any, np.ndarray, np.ndarray]:
    """A model with weights drawn from ``seed``, its loss, a fresh optimizer, a batch."""
    import keras

    rng = _h.rng(seed)
    if kind == "softmax":
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        loss_fn, opt = keras.losses.SparseCategoricalCrossentropy(), keras.optimizers.SGD(0.5)
        x, t = rng.normal(size=(8, 4)).astype(np.float32), rng.integers(0, 3, size=8)
    else:  # a small regression net, MSE, Adam: the optimizer's state matters
        model = keras.Sequential(
            [keras.Input((3,)), keras.layers.Dense(5, activation="tanh"), keras.layers.Dense(1)]
        )
        loss_fn, opt = keras.losses.MeanSquaredError(), keras.optimizers.Adam(0.05)
        x = rng.normal(size=(10, 3)).astype(np.float32)
        t = rng.normal(size=(10, 1)).astype(np.float32)
    model.set_weights(
        [rng.normal(size=w.shape).astype(np.float32) * 0.7 for w in model.get_weights()]
    )
    return model, loss_fn, opt, x, t


def _step_probe(fn: Any, seed: int, kind: str, steps: int) -> dict:
    """Run ``fn`` ``steps`` times on the setup of ``seed``; plain data: weights and losses."""
    model, loss_fn, opt, x, t = _setup(seed, kind)
    losses: list[Any] = []
    try:
        for _ in range(steps):
            out = fn(model, loss_fn, opt, x, t)
            if out is None:
                losses.append(None)
            else:
                a = np.asarray(out, dtype=np.float64)
                losses.append(float(a) if a.ndim == 0 else list(a.shape))
    except NotImplementedError:
        return {"error": ["NotImplementedError", ""]}
    except Exception as err:  # the student's code crashed: data for the case to judge
        return {"error": [type(err).__name__, str(err)[:400]]}
    return {
        "error": None,
        "losses": losses,
        "weights": [w.astype(np.float64) for w in model.get_weights()],
    }


def _no_update(model: Any, loss_fn: Any, optimizer: Any, x: Any, t: Any) -> Any:
    return loss_fn(t, model(x, training=True))


def _ascent(model: Any, loss_fn: Any, optimizer: Any, x: Any, t: Any) -> Any:
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss = loss_fn(t, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip([-g for g in grads], model.trainable_variables, strict=True))
    return loss


def _output_grad(model: Any, loss_fn: Any, optimizer: Any, x: Any, t: Any) -> Any:
    import tensorflow as tf

    with tf.GradientTape() as tape:
        y = model(x, training=True)
        loss = loss_fn(t, y)
    grads = tape.gradient(y, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
    return loss


def _manual_sgd(model: Any, loss_fn: Any, optimizer: Any, x: Any, t: Any) -> Any:
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss = loss_fn(t, model(x, training=True))
    lr = float(np.asarray(optimizer.learning_rate))
    for v, g in zip(
        model.trainable_variables, tape.gradient(loss, model.trainable_variables), strict=True
    ):
        v.assign_sub(lr * g)
    return loss


_WRONG = [
    (
        _no_update,
        "the variables did not change: apply the gradients with "
        "optimizer.apply_gradients(zip(grads, model.trainable_variables))",
    ),
    (
        _ascent,
        "the variables moved up the gradient (a sign error): pass the gradients as they "
        "are; apply_gradients subtracts learning_rate × gradient itself",
    ),
    (
        _output_grad,
        "these are the gradients of the model's output, not of the loss: "
        "tape.gradient(loss, model.trainable_variables)",
    ),
    (
        _manual_sgd,
        "a hand-made update w -= lr · grad ignores the optimizer (here Adam, whose "
        "step uses its moment estimates): use optimizer.apply_gradients",
    ),
]


def _check_step(fn: Any, seed: int, kind: str, steps: int) -> None:
    rep = probe(_step_probe, fn, seed, kind, steps)
    if not isinstance(rep, dict):
        raise AssertionError("train_step could not be run")
    if rep.get("error"):
        name, message = rep["error"]
        if name == "NotImplementedError":
            raise NotImplementedError
        hint = ""
        if "No gradients provided" in message:
            hint = (
                "\n    Hint: the loss must be computed inside `with tf.GradientTape() as tape:`, "
                "and the gradients taken of it with respect to model.trainable_variables"
            )
        raise AssertionError(f"your train_step raised {name}: {message}{hint}")
    want = _step_probe(tfbasics.train_step, seed, kind, steps)
    if any(v is None for v in rep["losses"]):
        raise AssertionError("train_step returned None: return the loss of the batch")
    if any(isinstance(v, list) for v in rep["losses"]):
        raise AssertionError(
            f"train_step returned an array of shape {rep['losses'][0]}: return "
            "the loss as one number (the loss_fn's value, averaged over the batch)"
        )
    got_w, want_w = rep["weights"], want["weights"]
    same = len(got_w) == len(want_w) and all(
        _h.close(a, b, rtol=1e-4, atol=1e-5) for a, b in zip(got_w, want_w, strict=False)
    )
    if not same:
        for wrong, hint in _WRONG:
            alt = _step_probe(wrong, seed, kind, steps)["weights"]
            if len(alt) == len(got_w) and all(
                _h.close(a, b, rtol=1e-4, atol=1e-5) for a, b in zip(got_w, alt, strict=True)
            ):
                raise AssertionError(
                    f"the variables after {steps} step(s) differ from the reference's. Hint: {hint}"
                )
        raise AssertionError(
            f"the variables after {steps} step(s) differ from the reference's: compute "
            "loss = loss_fn(t, model(x, training=True)) under a GradientTape, then "
            "optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), "
            "model.trainable_variables))"
        )
    if not np.allclose(rep["losses"], want["losses"], rtol=1e-4, atol=1e-6):
        raise AssertionError(
            f"train_step returned the losses {np.round(rep['losses'], 5).tolist()}, expected "
            f"{np.round(want['losses'], 5).tolist()}: return loss_fn(t, y) of the batch, "
            "computed before the update"
        )


train_step = Checker(
    "4_1",
    "train_step",
    reference=tfbasics.train_step,
    compare=lambda actual, expected: None,
    doc="train_step(model, loss_fn, optimizer, x, t): loss under a GradientTape, its gradients, "
    "optimizer.apply_gradients; returns the loss.",
)


@train_step.case(
    "one SGD step of a softmax classifier (sparse cross-entropy): variables as the reference's"
)
def _(fn: Any) -> None:
    _check_step(fn, 41, "softmax", 1)


@train_step.case("three Adam steps of a small regression net (MSE): the optimizer's state is used")
def _(fn: Any) -> None:
    _check_step(fn, 42, "mlp", 3)


# ------------------------------------------------------------------ build_iris_model
def _iris_model(fn: Any) -> Any:
    model = fn()
    if model is None:
        raise AssertionError("build_iris_model returned None: did you forget `return model`?")
    return model


def _sparse_ce(p: np.ndarray, t: np.ndarray) -> float:
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(-np.mean(np.log(p[np.arange(len(t)), t])))


build_iris_model = Checker(
    "4_1",
    "build_iris_model",
    reference=tfbasics.build_iris_model,
    compare=lambda actual, expected: None,
    doc="build_iris_model(): a compiled Keras model, 4 features -> 3 softmax probabilities, "
    "loss sparse categorical cross-entropy.",
)


@build_iris_model.case("4 input features, 3 outputs")
def _(fn: Any) -> None:
    model = _iris_model(fn)
    shape_in, shape_out = tuple(model.input_shape), tuple(model.output_shape)
    if shape_in != (None, 4):
        raise AssertionError(
            f"the model's input shape is {shape_in}, expected (None, 4): an iris "
            "flower has 4 features; start with keras.Input((4,))"
        )
    if shape_out != (None, 3):
        extra = (
            " (one output per class: iris has 3 classes, 0, 1, 2)" if len(shape_out) == 2 else ""
        )
        raise AssertionError(f"the model's output shape is {shape_out}, expected (None, 3){extra}")


@build_iris_model.case("the outputs are class probabilities (softmax)")
def _(fn: Any) -> None:
    model = _iris_model(fn)
    x = _h.rng(43).normal(size=(6, 4)).astype(np.float32) * 2
    p = np.asarray(model(x), dtype=float)
    if p.shape != (6, 3):
        raise AssertionError(f"model(x) for 6 flowers gave shape {p.shape}, expected (6, 3)")
    if p.min() < 0 or not np.allclose(p.sum(axis=1), 1.0, atol=1e-4):
        hint = (
            "the outputs lie in (0, 1) but do not sum to 1: a sigmoid output; use "
            'activation="softmax"'
            if p.min() >= 0 and p.max() <= 1
            else 'the outputs are not probabilities: the last layer needs activation="softmax"'
        )
        raise AssertionError(f"the rows of model(x) must be probabilities summing to 1: {hint}")


@build_iris_model.case("compiled with sparse categorical cross-entropy (integer labels)")
def _(fn: Any) -> None:
    model = _iris_model(fn)
    if not bool(model.compiled):
        raise AssertionError(
            "the model is not compiled: call model.compile(optimizer=..., "
            'loss="sparse_categorical_crossentropy", metrics=["accuracy"])'
        )
    rng = _h.rng(44)
    p = rng.dirichlet(np.ones(3), size=6).astype(np.float32)
    t = np.array([0, 1, 2, 2, 1, 0])
    try:
        got = float(model.compute_loss(x=None, y=t, y_pred=p))
    except Exception as err:
        raise AssertionError(
            f"the compiled loss fails on integer labels (0, 1, 2) ({type(err).__name__}): "
            "categorical_crossentropy expects one-hot labels; iris labels are "
            'integers, so use loss="sparse_categorical_crossentropy"'
        ) from None
    want = _sparse_ce(p, t)
    if not np.isclose(got, want, rtol=1e-4, atol=1e-5):
        raise AssertionError(
            f"the compiled loss gives {got:.5f} on known probabilities, sparse categorical "
            f'cross-entropy gives {want:.5f}: use loss="sparse_categorical_crossentropy" '
            "(on softmax probabilities, from_logits=False)"
        )
