"""Checkers of 4_1: stub, wrong answers, solution (train_step, build_iris_model)."""

from __future__ import annotations

import keras
import tensorflow as tf

from tests.checkerkit import Spec, make_tests, run
from utils import checks, tfbasics


# ------------------------------------------------------------------ train_step
def step_solution(model, loss_fn, optimizer, x, t):
    with tf.GradientTape() as tape:
        loss = loss_fn(t, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=False))
    return loss


def step_no_apply(model, loss_fn, optimizer, x, t):
    with tf.GradientTape() as tape:
        loss = loss_fn(t, model(x, training=True))
    tape.gradient(loss, model.trainable_variables)
    return loss


def step_sign_error(model, loss_fn, optimizer, x, t):
    with tf.GradientTape() as tape:
        loss = loss_fn(t, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip([-g for g in grads], model.trainable_variables, strict=False))
    return loss


def step_output_grad(model, loss_fn, optimizer, x, t):
    with tf.GradientTape() as tape:
        y = model(x, training=True)
        loss = loss_fn(t, y)
    optimizer.apply_gradients(
        zip(tape.gradient(y, model.trainable_variables), model.trainable_variables, strict=False)
    )
    return loss


def step_manual_sgd(model, loss_fn, optimizer, x, t):
    with tf.GradientTape() as tape:
        loss = loss_fn(t, model(x, training=True))
    for v, g in zip(
        model.trainable_variables, tape.gradient(loss, model.trainable_variables), strict=False
    ):
        v.assign_sub(float(optimizer.learning_rate) * g)
    return loss


def step_loss_outside_tape(model, loss_fn, optimizer, x, t):
    loss = loss_fn(t, model(x, training=True))
    with tf.GradientTape() as tape:
        pass
    optimizer.apply_gradients(
        zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables, strict=False)
    )
    return loss


def step_no_return(model, loss_fn, optimizer, x, t):
    step_solution(model, loss_fn, optimizer, x, t)


# ------------------------------------------------------------------ build_iris_model
def iris_solution():
    return tfbasics.build_iris_model()


def _iris(units=3, activation="softmax", loss="sparse_categorical_crossentropy", compile_=True):
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(units, activation=activation),
        ]
    )
    if compile_:
        model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model


def iris_sigmoid():
    return _iris(activation="sigmoid")


def iris_four_outputs():
    return _iris(units=4)


def iris_categorical():
    return _iris(loss="categorical_crossentropy")


def iris_uncompiled():
    return _iris(compile_=False)


def iris_logits_loss():
    return _iris(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))


def iris_no_return():
    _iris()


CASES = {
    "4_1/train_step": Spec(
        solution=step_solution,
        wrong=[
            step_no_apply,
            step_sign_error,
            step_output_grad,
            step_manual_sgd,
            step_loss_outside_tape,
            step_no_return,
        ],
        messages=[
            "did not change",
            "sign error",
            "model's output",
            "ignores the optimizer",
            "inside `with tf.GradientTape",
            "returned None",
        ],
    ),
    "4_1/build_iris_model": Spec(
        solution=iris_solution,
        wrong=[
            iris_sigmoid,
            iris_four_outputs,
            iris_categorical,
            iris_uncompiled,
            iris_logits_loss,
            iris_no_return,
        ],
        messages=[
            "sigmoid output",
            "iris has 3 classes",
            "one-hot labels",
            "not compiled",
            "from_logits=False",
            "returned None",
        ],
    ),
}

test_solution_accepted, test_stub_rejected_politely, test_wrong_answers_rejected = make_tests(CASES)


def test_reference_step_accepted() -> None:
    rec = run("4_1/train_step", tfbasics.train_step)
    assert rec.status == checks.PASS, rec.message
