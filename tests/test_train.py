"""Tests for cellcourse.train: data checks that say what is wrong, fitting, prediction."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from cellcourse import set_seed  # noqa: E402
from cellcourse.models import linear_classifier  # noqa: E402
from cellcourse.train import (  # noqa: E402
    check_classification_data,
    extract_features,
    fit_classifier,
    predict_classes,
)


@pytest.fixture(scope="module")
def model():
    """A linear classifier of 8 x 8 RGB images into 3 classes (never trained here)."""
    return linear_classifier((8, 8, 3), n_classes=3)


def _colour_classes(n_per_class=8, seed=0):
    """3 classes of 8 x 8 RGB images: class k is bright in channel k, dark in the others."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 0.2, size=(3 * n_per_class, 8, 8, 3)).astype("float32")
    y = np.repeat([0, 1, 2], n_per_class)
    x[np.arange(len(y)), :, :, y] += 0.8
    return x, y


def _weights(model):
    return [w.copy() for w in model.get_weights()]


# ----------------------------------------------------------------------------------------
# check_classification_data
# ----------------------------------------------------------------------------------------


def test_good_data_passes_quietly(model):
    x = np.zeros((4, 8, 8, 3), dtype=np.uint8)
    assert check_classification_data(model, x) is None
    assert check_classification_data(model, x, [0, 1, 2, 2], require_all_classes=True) is None
    # floats that are whole numbers are labels too
    assert check_classification_data(model, x, np.array([0.0, 1.0, 2.0, 1.0])) is None


@pytest.mark.parametrize(
    ("x", "error", "match"),
    [
        (
            np.zeros((100, 8, 8, 1)),
            ValueError,
            r"^expected images of shape \(S, 8, 8, 3\) for model 'linear', got \(100, 8, 8, 1\): "
            r"the model takes 3 channels, the images have 1$",
        ),
        (
            np.zeros((2, 9, 8, 3)),
            ValueError,
            r"got \(2, 9, 8, 3\): the model takes 8 x 8 pixel images, these are 9 x 8",
        ),
        (np.zeros((8, 8, 3)), ValueError, r"got \(8, 8, 3\): one image.*x\[np\.newaxis\]"),
        (np.zeros((2, 8, 8, 3, 1)), ValueError, r"\(S, 8, 8, 3\).*got \(2, 8, 8, 3, 1\)$"),
        (np.zeros((0, 8, 8, 3)), ValueError, r"at least one image.*\(0, 8, 8, 3\)"),
        (np.zeros((2, 8, 8, 3)).tolist(), TypeError, r"NumPy array.*got list.*np\.asarray"),
        (np.full((2, 8, 8, 3), "a"), TypeError, "numbers.*dtype <U1"),
    ],
    ids=["channels", "size", "single-image", "5-D", "empty", "list", "strings"],
)
def test_bad_images_are_explained(model, x, error, match):
    with pytest.raises(error, match=match):
        check_classification_data(model, x)


def test_non_finite_images_are_counted(model):
    x = np.zeros((2, 8, 8, 3), dtype=np.float32)
    x[0, 0, 0, 0], x[1, 2, 3, 1], x[1, 0, 0, 2] = np.nan, np.inf, -np.inf
    with pytest.raises(ValueError, match="got 1 NaN and 2 infinite"):
        check_classification_data(model, x)


def test_missing_channel_axis_and_free_sizes_get_named():
    inputs = keras.Input((None, None, 1))
    outputs = keras.layers.Dense(2, activation="softmax")(
        keras.layers.GlobalAveragePooling2D()(inputs)
    )
    free = keras.Model(inputs, outputs, name="free")
    check_classification_data(free, np.zeros((2, 5, 7, 1)), [0, 1])  # any Y and X
    with pytest.raises(
        ValueError, match=r"\(S, Y, X, 1\) for model 'free'.*x\[\.\.\., np\.newaxis"
    ):
        check_classification_data(free, np.zeros((2, 5, 7)))
    with pytest.raises(ValueError, match=r"takes 1 channel, the images have 3$"):
        check_classification_data(free, np.zeros((2, 5, 7, 3)))


@pytest.mark.parametrize(
    ("y", "error", "match"),
    [
        (
            [0, -1, 5, 5],
            ValueError,
            r"labels out of range in y: expected 0\.\.2 for 3 classes .*got values -1, 5$",
        ),
        (np.eye(3)[[0, 1, 2, 0]], ValueError, r"shape \(4, 3\): one-hot.*y\.argmax\(axis=1\)"),
        ([[0], [1], [2], [0]], ValueError, r"\(S,\); got \(4, 1\); flatten with y\.ravel\(\)"),
        ([0, 1, 2], ValueError, "one label per image in y: 4 images, got 3 labels"),
        ([0, 0.5, 1, 2], TypeError, "integer class indices; got floats such as 0.5"),
        ([0, np.nan, 1, 2], TypeError, "floats such as nan"),
        (["a", "b", "c", "a"], TypeError, "dtype <U1 .map class names to indices"),
        ([True, False, True, True], TypeError, "dtype bool"),
    ],
    ids=["range", "one-hot", "column", "length", "fraction", "nan", "names", "bool"],
)
def test_bad_labels_are_explained(model, y, error, match):
    with pytest.raises(error, match=match):
        check_classification_data(model, np.zeros((4, 8, 8, 3)), y)


def test_every_class_must_occur_when_required(model):
    x = np.zeros((4, 8, 8, 3))
    check_classification_data(model, x, [0, 0, 1, 1])  # fine for validation or test data
    with pytest.raises(ValueError, match=r"^class 2 has no samples in y: .*\[2, 2, 0\]$"):
        check_classification_data(model, x, [0, 0, 1, 1], require_all_classes=True)
    with pytest.raises(ValueError, match=r"^classes 1, 2 have no samples in y"):
        check_classification_data(model, x, [0, 0, 0, 0], require_all_classes=True)
    with pytest.raises(TypeError, match="require_all_classes True or False; got 'yes'"):
        check_classification_data(model, x, [0, 1, 2, 0], require_all_classes="yes")


def test_non_models_and_non_classifiers_are_rejected(model):
    with pytest.raises(TypeError, match="expected a keras.Model"):
        check_classification_data("model", np.zeros((1, 8, 8, 3)))
    unbuilt = keras.Sequential([keras.layers.Dense(2)], name="unbuilt")
    with pytest.raises(ValueError, match="model 'unbuilt' has no input shape yet.*keras.Input"):
        check_classification_data(unbuilt, np.zeros((1, 8, 8, 3)))
    inputs = keras.Input((8, 8, 1))
    maps = keras.Model(inputs, keras.layers.Conv2D(2, 3, padding="same")(inputs), name="maps")
    check_classification_data(maps, np.zeros((1, 8, 8, 1)))  # images alone: any output
    with pytest.raises(ValueError, match=r"classifier.*model 'maps' outputs \(S, 8, 8, 2\)"):
        check_classification_data(maps, np.zeros((1, 8, 8, 1)), [0])


# ----------------------------------------------------------------------------------------
# fit_classifier
# ----------------------------------------------------------------------------------------


def test_fit_learns_an_easy_problem_and_reports_validation():
    set_seed(0)
    x, y = _colour_classes(seed=0)
    x_val, y_val = _colour_classes(n_per_class=4, seed=1)
    model = linear_classifier((8, 8, 3), n_classes=3)
    history = fit_classifier(
        model, x, y, validation_data=(x_val, y_val), num_epochs=6, batch_size=8, learning_rate=0.05
    )
    assert isinstance(history, keras.callbacks.History)
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert len(history.history["loss"]) == 6
    losses = history.history["loss"]
    assert losses[-1] < 0.25 * losses[0]
    assert history.history["val_accuracy"][-1] == 1.0
    y_pred, _ = predict_classes(model, x_val)
    np.testing.assert_array_equal(y_pred, y_val)


def test_fit_with_sgd_balanced_weights_and_callbacks():
    set_seed(0)
    x, y = _colour_classes(seed=2)
    keep = np.r_[0:8, 8:10, 16:24]  # class 1 is rare: 2 of 18 samples
    epochs = []
    callback = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: epochs.append(epoch))
    model = linear_classifier((8, 8, 3), n_classes=3)
    history = fit_classifier(
        model,
        x[keep],
        y[keep],
        num_epochs=3,
        optimizer="sgd",
        learning_rate=0.01,
        class_weight="balanced",
        callbacks=[callback],
    )
    assert epochs == [0, 1, 2]
    assert isinstance(model.optimizer, keras.optimizers.SGD)
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(0.01)
    assert len(history.history["loss"]) == 3
    # an optimizer object is used as it is (its own learning rate)
    fit_classifier(model, x, y, num_epochs=1, optimizer=keras.optimizers.Adam(learning_rate=0.2))
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"y": np.repeat([0, 1], 12)}, ValueError, r"class 2 has no samples in y: .*\[12, 12, 0\]"),
        ({"x": np.zeros((24, 8, 8, 1))}, ValueError, "takes 3 channels, the images have 1"),
        (
            {"validation_data": (np.zeros((2, 8, 8, 1)), [0, 1])},
            ValueError,
            r"validation images \(x_val\) of shape \(S, 8, 8, 3\)",
        ),
        ({"validation_data": (np.zeros((2, 8, 8, 3)), [0, 3])}, ValueError, "range in y_val"),
        ({"validation_data": np.zeros((2, 8, 8, 3))}, TypeError, "tuple .x_val, y_val.; got"),
        ({"num_epochs": 0}, ValueError, "num_epochs as a positive int; got 0"),
        ({"batch_size": 2.5}, ValueError, "batch_size as a positive int; got 2.5"),
        ({"learning_rate": -0.1}, ValueError, "learning_rate as a positive number; got -0.1"),
        ({"optimizer": "rmsprop"}, ValueError, '"adam", "sgd" or a keras optimizer; got \'rms'),
        ({"class_weight": "equal"}, ValueError, "\"balanced\" or a dict.*got 'equal'"),
        ({"class_weight": {0: 1.0, 1: 2.0}}, ValueError, r"each class 0\.\.2; got keys \[0, 1\]"),
        ({"class_weight": {0: 1, 1: 0, 2: 1}}, ValueError, "positive weight for class 1; got 0"),
        ({"class_weight": [1, 1, 1]}, TypeError, "class_weight.*got list"),
        ({"callbacks": "early"}, TypeError, "list of keras.callbacks.Callback; got 'early'"),
        ({"verbose": 3}, ValueError, 'verbose 0, 1, 2 or "auto"; got 3'),
    ],
)
def test_fit_validates_before_training(kwargs, error, match):
    x, y = _colour_classes()
    model = linear_classifier((8, 8, 3), n_classes=3)
    before = _weights(model)
    arguments = {"x": x, "y": y, "num_epochs": 1, **kwargs}
    with pytest.raises(error, match=match):
        fit_classifier(model, **arguments)
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)  # nothing trained


# ----------------------------------------------------------------------------------------
# predict_classes and extract_features
# ----------------------------------------------------------------------------------------


def test_predict_classes_by_hand():
    model = linear_classifier((8, 8, 3), n_classes=3)
    kernel, _ = model.get_layer("scores_softmax").get_weights()
    # with pixel sum s, the class scores are (s, -s + 1, 2)
    kernel = np.zeros_like(kernel)
    kernel[:, 0], kernel[:, 1] = 1.0, -1.0
    model.get_layer("scores_softmax").set_weights([kernel, np.array([0.0, 1.0, 2.0], "float32")])
    pixel_sums = np.array([3.0, 0.0, -2.0])  # scores (3, -2, 2), (0, 1, 2), (-2, 3, 2)
    x = np.ones((3, 8, 8, 3), dtype=np.float32) * (pixel_sums / 192)[:, None, None, None]
    y_pred, probs = predict_classes(model, x, batch_size=2)
    assert y_pred.dtype == np.int64 and y_pred.shape == (3,)
    assert probs.dtype == np.float32 and probs.shape == (3, 3)
    np.testing.assert_array_equal(y_pred, [0, 2, 1])
    np.testing.assert_allclose(probs[1], np.exp([0, 1, 2]) / np.exp([0, 1, 2]).sum(), rtol=1e-5)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)


def test_predict_classes_validates(model):
    with pytest.raises(ValueError, match=r"x\[np\.newaxis\]"):
        predict_classes(model, np.zeros((8, 8, 3)))
    with pytest.raises(ValueError, match="batch_size as a positive int; got 0"):
        predict_classes(model, np.zeros((1, 8, 8, 3)), batch_size=0)


def test_extract_features_of_a_mean_pooling_model():
    inputs = keras.Input((4, 4, 2))
    pooled = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(inputs), name="pool")
    x = np.zeros((3, 4, 4, 2), dtype=np.uint8)
    x[1, :2, :, 0] = 8  # half the pixels: mean 4
    x[2, :, :, 1] = 3
    features = extract_features(pooled, x, batch_size=2)
    assert features.dtype == np.float32
    np.testing.assert_allclose(features, [[0, 0], [4, 0], [0, 3]])
    maps = keras.Model(inputs, keras.layers.Conv2D(5, 1)(inputs), name="maps")
    with pytest.raises(ValueError, match=r"model 'maps' outputs \(S, 4, 4, 5\): pool"):
        extract_features(maps, x)
    with pytest.raises(ValueError, match=r"takes 4 x 4 pixel images, these are 5 x 4"):
        extract_features(pooled, np.zeros((1, 5, 4, 2)))


def test_predicting_with_many_models_in_a_loop_logs_no_retracing_warning():
    # a learning curve predicts with a new model at every size; TensorFlow would
    # warn about retracing from the sixth model on
    import logging

    records = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    handler = Collect(level=logging.WARNING)
    logger = logging.getLogger("tensorflow")
    level_before = logger.level
    logger.addHandler(handler)
    try:
        x = np.random.default_rng(0).random((4, 6, 6, 1), dtype=np.float32)
        for _ in range(8):
            predict_classes(linear_classifier((6, 6, 1), 2), x)
    finally:
        logger.removeHandler(handler)
    assert not [message for message in records if "retracing" in message]
    assert logger.level == level_before  # only raised during the call
