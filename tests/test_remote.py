"""Record in the kernel, judge in the grader: plain data only, and a recording cannot lie about inputs.

(Every checker of the course is also run both ways on its stubs, wrong answers and solutions:
see tests/conftest.py.)
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from utils.checks import core, remote


@pytest.mark.parametrize("value", [
    None, True, 3, -2.5, float("nan"), float("inf"), 1 + 2j, "text", (1, "a"), [1, [2, 3]],
    {"W": np.arange(6.0).reshape(2, 3), 3: (np.float32(1.5), np.int64(7))},
    np.zeros((0, 2)), np.array([True, False]), np.dtype("float32"),
])
def test_plain_data_survives_json(value) -> None:
    back = remote.unpack(json.loads(json.dumps(remote.pack(value, remote._opaque))))

    def same(a, b) -> bool:
        if isinstance(a, np.ndarray):
            return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
        if isinstance(a, np.generic):
            return type(a) is type(b) and a == b
        if isinstance(a, dict):
            return type(b) is dict and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        if isinstance(a, list | tuple):
            return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
        if isinstance(a, float) and a != a:
            return isinstance(b, float) and b != b
        return type(a) is type(b) and a == b

    assert same(value, back), (value, back)


def test_no_pickle_ever() -> None:
    with pytest.raises(remote.Unrecordable):
        remote.pack(np.array([object()], dtype=object), remote._opaque)
    with pytest.raises(ValueError):  # a pickled array in a recording is refused on reading
        import base64
        import io

        buf = io.BytesIO()
        np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
        remote.unpack({"$a": base64.b64encode(buf.getvalue()).decode()})


def _checker():
    chk = core.Checker("9_9", "scale_in_place", reference=None, register=False)

    @chk.case()
    def scaled(fn):
        x = np.arange(4.0)
        out = fn(x, 2.0)
        assert out is None, "return nothing"
        core.assert_close(x, np.arange(4.0) * 2, name="x")

    @chk.case()
    def layer(fn):
        obj = fn  # a class: instances come back as stand-ins
        inst = obj(3)
        assert inst.n == 3 and len(inst) == 3 and type(inst).__name__ == "Thing"
        core.assert_close(np.asarray(inst), [0, 1, 2])

    return chk


class Thing:
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __array__(self, dtype=None, copy=None):
        return np.arange(self.n, dtype=dtype)

    def __call__(self, x, k):
        x *= k


def test_a_recording_is_judged_like_the_real_thing() -> None:
    chk = _checker()
    student = Thing(0)

    class Both:  # first case calls it like a function, second like a class
        def __call__(self, *a):
            return student(*a) if len(a) == 2 else Thing(*a)

    tapes = json.loads(json.dumps(remote.record_cases(chk.cases, Both())))
    status, message, points, total = remote._judge_cases(chk, chk.cases, {"exercise": chk.id, "cases": tapes})
    assert (status, points, total) == ("pass", 2.0, 2.0), message


def test_a_recording_with_other_inputs_or_garbage_fails_the_case() -> None:
    chk = _checker()

    def scale(x, k):
        x *= k

    tapes = remote.record_cases(chk.cases[:1], scale)
    tampered = json.loads(json.dumps(tapes))
    tampered[0][0]["fp"] = "0" * 24  # the kernel's course code passed other inputs
    status, message, *_ = remote._judge_cases(chk, chk.cases[:1], {"exercise": chk.id, "cases": tampered})
    assert status == "fail" and "other inputs than recorded" in message
    for garbage in ([[{"op": "call"}]], [["x"]], [[]], "nonsense", [[{**tapes[0][0], "ret": {"$a": "!!"}}]]):
        status, message, *_ = remote._judge_cases(chk, chk.cases[:1], {"exercise": chk.id, "cases": garbage})
        assert status == "fail", (garbage, message)
    status, *_ = remote._judge_cases(chk, chk.cases[:1], {"exercise": "9_9/other", "cases": tapes})
    assert status == "fail"  # a recording of another exercise counts for nothing


def test_probe_runs_where_the_student_object_lives() -> None:
    def code_size(fn, extra):
        return len(fn.__code__.co_code) + extra

    def f(x):
        return x + 1

    assert remote.probe(code_size, f, 1) == len(f.__code__.co_code) + 1
    tape = remote.Tape()
    tape.handle(f)
    got = remote.probe(code_size, remote._rec_class("function")(tape, 0), 1)
    rep = remote._named(remote.Rep, remote._REP_CLASSES, "function")(remote.Replay(tape.events), 0)
    assert remote.probe(code_size, rep, 1) == got


def test_a_keras_model_builder_and_its_training_fit_the_recording() -> None:
    """The shape of the Day 2-4 checkers: a builder returns a Keras model, a loop trains it."""
    import keras

    chk = core.Checker("9_9", "build_mlp", reference=None, register=False)

    @chk.case()
    def builds(fn):
        model = fn(4, 3)
        assert type(model).__name__ == "Sequential", type(model).__name__
        assert len(model.layers) == 2 and model.layers[-1].units == 3
        assert model.count_params() == (4 * 8 + 8) + (8 * 3 + 3)
        out = model(np.ones((5, 4), dtype="float32"))
        assert tuple(out.shape) == (5, 3)
        core.assert_close(np.asarray(out).sum(axis=1), np.ones(5), rtol=1e-5)  # softmax rows

    @chk.case()
    def trains(fn):
        model = fn(4, 3)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
        history = model.fit(x, np.arange(32) % 3, epochs=2, verbose=0)
        losses = history.history["loss"]
        assert len(losses) == 2 and all(np.isfinite(losses))

    def build(d, k):
        keras.utils.set_random_seed(0)
        return keras.Sequential([keras.Input((d,)), keras.layers.Dense(8, activation="relu"),
                                 keras.layers.Dense(k, activation="softmax")])

    def wrong(d, k):
        keras.utils.set_random_seed(0)
        return keras.Sequential([keras.Input((d,)), keras.layers.Dense(k)])

    # the wrong model fails `builds` and still passes `trains`
    for student, want in ((build, ("pass", 2.0)), (wrong, ("fail", 1.0))):
        tapes = json.loads(json.dumps(remote.record_cases(chk.cases, student)))
        status, message, points, _ = remote._judge_cases(chk, chk.cases, {"exercise": chk.id, "cases": tapes})
        assert (status, points) == want, message
        assert core.evaluate(chk, chk.cases, lambda _, s=student: s)[0] == status  # as in self-study
