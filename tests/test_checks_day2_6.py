"""Checkers of 2_6: stub, wrong answers, solution (tiny Keras models, a few seconds in all)."""

import keras

from tests.checkerkit import Spec, make_tests
from utils import transfer


def _seeded(fn):
    """The same random head each call: the suite runs every answer twice (direct, recorded)
    and compares the messages, which quote numbers."""

    def wrapped(*args):
        keras.utils.set_random_seed(7)
        return fn(*args)

    wrapped.__name__ = fn.__name__
    return wrapped


# ------------------------------------------------------------------ 2_6 freeze_base
def _head_on(base, head_layer):
    inputs = keras.Input(shape=base.input_shape[1:])
    return keras.Model(inputs, head_layer(base(inputs, training=False)))


@_seeded
def freeze_sequential(base, num_classes):
    """A right answer written differently: Sequential, no explicit Input."""
    base.trainable = False
    return keras.Sequential([base, keras.layers.Dense(num_classes, activation="softmax")])


@_seeded
def freeze_everything(base, num_classes):
    model = _head_on(base, keras.layers.Dense(num_classes, activation="softmax"))
    model.trainable = False  # the head is frozen too
    return model


@_seeded
def freeze_nothing(base, num_classes):
    return _head_on(base, keras.layers.Dense(num_classes, activation="softmax"))


@_seeded
def freeze_old_classes(base, num_classes):
    base.trainable = False
    return _head_on(base, keras.layers.Dense(5, activation="softmax"))  # task A's 5 classes


@_seeded
def freeze_new_base(base, num_classes):
    fresh = keras.models.clone_model(base)  # same architecture, new random weights
    fresh.trainable = False
    return _head_on(fresh, keras.layers.Dense(num_classes, activation="softmax"))


@_seeded
def freeze_copied_base(base, num_classes):
    copy = keras.models.clone_model(base)
    copy.set_weights(base.get_weights())  # right weights, but not the same layers
    copy.trainable = False
    return _head_on(copy, keras.layers.Dense(num_classes, activation="softmax"))


@_seeded
def freeze_no_softmax(base, num_classes):
    base.trainable = False
    return _head_on(base, keras.layers.Dense(num_classes))


@_seeded
def freeze_no_return(base, num_classes):
    base.trainable = False
    _head_on(base, keras.layers.Dense(num_classes, activation="softmax"))


# ------------------------------------------------------------------ 2_6 fine_tune_model
def _compiled(base, head, lr, loss="sparse_categorical_crossentropy"):
    model = _head_on(base, head)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr), loss=loss, metrics=["accuracy"])
    return model


def _is_bn(layer):
    return isinstance(layer, keras.layers.BatchNormalization)


@_seeded
def tune_bn_unfrozen(base, head, n_layers, lr):
    base.trainable = True
    for layer in base.layers[: len(base.layers) - n_layers]:
        layer.trainable = False  # batch norms of the top layers stay trainable
    return _compiled(base, head, lr)


@_seeded
def tune_default_lr(base, head, n_layers, lr):
    model = transfer.fine_tune_model(base, head, n_layers, lr)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")  # lr ignored
    return model


@_seeded
def tune_all_layers(base, head, n_layers, lr):
    base.trainable = True
    for layer in base.layers:
        if _is_bn(layer):
            layer.trainable = False
    return _compiled(base, head, lr)


@_seeded
def tune_off_by_one(base, head, n_layers, lr):
    base.trainable = True
    for layer in base.layers[: len(base.layers) - n_layers + 1]:  # one layer too many frozen
        layer.trainable = False
    for layer in base.layers:
        if _is_bn(layer):
            layer.trainable = False
    return _compiled(base, head, lr)


@_seeded
def tune_inner_flags_only(base, head, n_layers, lr):
    """Right in Keras 3: the layers' own flags decide, even while base.trainable was False."""
    for layer in base.layers[len(base.layers) - n_layers:]:
        layer.trainable = not _is_bn(layer)
    return _compiled(base, head, lr)


@_seeded
def tune_negative_slice(base, head, n_layers, lr):
    base.trainable = True
    for layer in base.layers[:-n_layers]:  # n_layers = 0: [:-0] is empty, nothing frozen
        layer.trainable = False
    for layer in base.layers:
        if _is_bn(layer):
            layer.trainable = False
    return _compiled(base, head, lr)


@_seeded
def tune_not_compiled(base, head, n_layers, lr):
    transfer.fine_tune_model(base, head, n_layers, lr)
    return _head_on(base, head)  # a new, uncompiled model around the same layers


@_seeded
def tune_from_logits(base, head, n_layers, lr):
    transfer.fine_tune_model(base, head, n_layers, lr)
    return _compiled(base, head, lr,
                     loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))


@_seeded
def tune_new_head(base, head, n_layers, lr):
    transfer.fine_tune_model(base, head, n_layers, lr)
    fresh = keras.layers.Dense(head.units, activation="softmax", name="head")
    return _compiled(base, fresh, lr)


@_seeded
def tune_head_frozen(base, head, n_layers, lr):
    model = transfer.fine_tune_model(base, head, n_layers, lr)
    head.trainable = False
    return model


CASES = {
    "2_6/freeze_base": Spec(
        wrong=[freeze_everything, freeze_nothing, freeze_old_classes, freeze_new_base,
               freeze_copied_base, freeze_no_softmax, freeze_no_return],
        messages=["head is frozen too", "the base is not frozen", "the head has 5 outputs",
                  "another base", "holds a copy", "softmax", "returned None"],
    ),
    "2_6/fine_tune_model": Spec(
        wrong=[tune_bn_unfrozen, tune_default_lr, tune_all_layers, tune_off_by_one,
               tune_negative_slice, tune_not_compiled, tune_from_logits, tune_new_head,
               tune_head_frozen],
        messages=["BatchNormalization", "Adam's default", "below the top n_layers",
                  "no layer of the base is trainable", "base.layers[-0:]", "not compiled", "from_logits",
                  "head(base(inputs))", "the head is frozen"],
    ),
}

test_solution_accepted, test_stub_rejected_politely, test_wrong_answers_rejected = make_tests(CASES)


def test_other_right_answers_accepted() -> None:
    """A Sequential freeze_base, and fine-tuning by the layers' own flags, are right too."""
    from tests.checkerkit import run
    from utils import checks

    for ex_id, fn in [("2_6/freeze_base", freeze_sequential),
                      ("2_6/fine_tune_model", tune_inner_flags_only)]:
        rec = run(ex_id, fn)
        assert rec.status == checks.PASS, rec.message
