"""Tests for cellcourse.train.diagnose_history: verdicts, their evidence, thresholds, bad input."""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pytest

from cellcourse.train import HistoryDiagnosis, diagnose_history

NAN, INF = math.nan, math.inf


def _pieces(*segments) -> list[float]:
    """Join straight pieces ``(start, end, n_points)`` into one curve (shared ends once)."""
    curve = list(np.linspace(*segments[0]))
    for start, end, n in segments[1:]:
        curve += list(np.linspace(start, end, n)[1:])
    return [float(v) for v in curve]


def _healthy() -> dict:
    """10 epochs: both losses level off, accuracies close (0.95 vs 0.93)."""
    return {
        "loss": [1.0, 0.6, 0.45, 0.38, 0.34, 0.32, 0.31, 0.305, 0.30, 0.298],
        "val_loss": [1.0, 0.65, 0.5, 0.43, 0.40, 0.39, 0.385, 0.382, 0.381, 0.380],
        "accuracy": [0.5, 0.7, 0.8, 0.85, 0.9, 0.92, 0.93, 0.94, 0.95, 0.95],
        "val_accuracy": [0.5, 0.7, 0.8, 0.84, 0.88, 0.9, 0.91, 0.92, 0.93, 0.93],
    }


# ----------------------------------------------------------------------------------------
# one constructed history per verdict, with the numbers of the evidence
# ----------------------------------------------------------------------------------------


def test_overfitting_validation_turns_up():
    # validation lowest at epoch 7 (0.214), up to 0.388 at epoch 20; training falls throughout
    history = {
        "loss": _pieces((1.0, 0.25, 7), (0.25, 0.051, 14)),
        "val_loss": _pieces((1.0, 0.214, 7), (0.214, 0.388, 14)),
        "accuracy": _pieces((0.5, 0.99, 20)),
        "val_accuracy": _pieces((0.5, 0.87, 20)),
    }
    assert len(history["loss"]) == 20
    diagnosis = diagnose_history(history)
    assert diagnosis.verdict == "overfitting"
    assert diagnosis.best_epoch == 7
    # accuracies are straight lines: train - val at epoch 7 is 6/19 of the final gap 0.12
    assert diagnosis.gap == pytest.approx(0.12 * 6 / 19)
    assert diagnosis.evidence == (
        "validation loss was lowest at epoch 7 (0.214) and rose to 0.388 by epoch 20 while "
        "training loss kept falling (0.250 → 0.051)",
        "train minus validation accuracy at the end: 0.12 (training 0.990, validation 0.870 "
        "at epoch 20; 0.04 at the best epoch 7), above the tolerance 0.05",
    )
    early = [line for line in diagnosis.advice if "EarlyStopping" in line]
    assert early == [
        "stop early at the best epoch (7): keras.callbacks.EarlyStopping("
        'monitor="val_loss", patience=3, restore_best_weights=True)'
    ]
    assert any("dropout" in line for line in diagnosis.advice)
    assert any("L2" in line for line in diagnosis.advice)
    assert any("augment" in line for line in diagnosis.advice)
    assert any("smaller model" in line for line in diagnosis.advice)


def test_overfitting_from_the_accuracy_gap_alone():
    # the validation loss still improves, but train - val accuracy at the end is 0.08
    history = _healthy()
    history["accuracy"][-1] = 0.99
    history["val_accuracy"][-1] = 0.91
    diagnosis = diagnose_history(history)
    assert diagnosis.verdict == "overfitting"
    assert diagnosis.best_epoch == 10
    assert diagnosis.gap == pytest.approx(0.08)
    assert diagnosis.evidence == (
        "validation loss was lowest at epoch 10 (0.380), the last epoch",
        "train minus validation accuracy at the end: 0.08 (training 0.990, validation 0.910 "
        "at epoch 10), above the tolerance 0.05",
    )
    # a wider tolerance accepts the same gap
    assert diagnose_history(history, gap_tolerance=0.1).verdict == "healthy"


def test_healthy():
    diagnosis = diagnose_history(_healthy())
    assert diagnosis.verdict == "healthy"
    assert diagnosis.best_epoch == 10
    assert diagnosis.gap == pytest.approx(0.02)
    assert diagnosis.evidence == (
        "training loss fell from 1.000 at epoch 1 to 0.298 at epoch 10",
        "validation loss levelled off (0.385 at epoch 7 → 0.380 at epoch 10, -1% over the "
        "last 3 epochs)",
        "validation loss was lowest at epoch 10 (0.380), the last epoch",
        "train minus validation accuracy at the end: 0.02 (training 0.950, validation 0.930 "
        "at epoch 10), within the tolerance 0.05",
    )
    assert diagnosis.advice == ("keep it: nothing in this history calls for a change",)


def test_underfitting_still_falling():
    history = {
        "loss": [2.0, 1.7, 1.45, 1.25, 1.05, 0.9, 0.75, 0.65],
        "val_loss": [2.0, 1.75, 1.5, 1.3, 1.0, 0.9, 0.8, 0.7],
    }
    diagnosis = diagnose_history(history)
    assert diagnosis.verdict == "underfitting"
    assert diagnosis.best_epoch == 8
    assert diagnosis.gap is None
    assert diagnosis.evidence == (
        "validation loss is still falling (1.000 at epoch 5 → 0.700 at epoch 8, -30% over the "
        "last 3 epochs): it has not levelled off",
        "validation loss was lowest at epoch 8 (0.700), the last epoch",
    )
    for words in ("train longer", "larger model", "learning rate", "less regularisation"):
        assert any(words in line for line in diagnosis.advice), words
    assert any("input scaling" in line for line in diagnosis.advice)


def test_underfitting_low_training_accuracy():
    # the losses have levelled off, but the model gets only 72 % of its training images right
    history = {
        "loss": [1.2, 0.9, 0.8, 0.78, 0.77, 0.765],
        "val_loss": [1.2, 0.95, 0.85, 0.83, 0.82, 0.815],
        "accuracy": [0.4, 0.6, 0.68, 0.70, 0.71, 0.72],
        "val_accuracy": [0.4, 0.58, 0.66, 0.68, 0.69, 0.70],
    }
    diagnosis = diagnose_history(history)
    assert diagnosis.verdict == "underfitting"
    assert diagnosis.evidence[0] == (
        "training accuracy at the end is 0.720 (below 0.9): the model does not even fit the "
        "images it is trained on"
    )
    assert diagnosis.gap == pytest.approx(0.02)


def test_underfitting_flat_training_loss():
    # chance level for 3 classes all along: nothing was learned
    history = {"loss": [1.0986, 1.0990, 1.0984, 1.0988, 1.0985]}
    diagnosis = diagnose_history(history)
    assert diagnosis.verdict == "underfitting"
    assert diagnosis.evidence[0] == (
        "training loss ended less than 10% below its first value (1.099 at epoch 1 → 1.099 at "
        "epoch 5, -0%): the model has hardly learned"
    )


def test_unstable():
    history = {
        "loss": [1.0, 0.8, 0.7, 0.6, 0.55, 0.5],
        "val_loss": [1.0, 0.5, 0.9, 0.5, 0.95, 0.52],
    }
    diagnosis = diagnose_history(history)
    assert diagnosis.verdict == "unstable"
    assert diagnosis.best_epoch == 2  # the first of the two lowest values
    # median of the validation losses: (0.52 + 0.9) / 2 = 0.71; a jump is a rise above 0.142
    assert diagnosis.evidence == (
        "validation loss jumped up by more than 20% of its median (0.710) 2 times: "
        "epoch 2 → 3 (0.500 → 0.900), epoch 4 → 5 (0.500 → 0.950)",
        "validation loss was lowest at epoch 2 (0.500); 0.520 at epoch 6",
    )
    for words in ("lower the learning rate", "larger batch", "warm up"):
        assert any(words in line for line in diagnosis.advice), words


@pytest.mark.parametrize(
    ("loss", "expected"),
    [
        (
            [1.0, 0.8, 0.9, NAN, NAN],
            "training loss became nan at epoch 4 (last finite value 0.900 at epoch 3)",
        ),
        ([INF, INF, INF], "training loss was inf from epoch 1"),
        (
            [2.0, 1.0, -INF],
            "training loss became -inf at epoch 3 (last finite value 1.000 at epoch 2)",
        ),
    ],
    ids=["nan", "inf from the start", "-inf"],
)
def test_diverging_non_finite(loss, expected):
    diagnosis = diagnose_history({"loss": loss})
    assert diagnosis.verdict == "diverging"
    assert diagnosis.evidence[0] == expected
    assert diagnosis.best_epoch is None
    assert any("10×" in line for line in diagnosis.advice)
    assert any("clipnorm" in line for line in diagnosis.advice)
    assert any("normalisation" in line for line in diagnosis.advice)


def test_diverging_nan_in_validation_only():
    history = {"loss": [1.0, 0.8, 0.6, 0.5], "val_loss": [1.0, 0.9, NAN, 0.8]}
    diagnosis = diagnose_history(history)
    assert diagnosis.verdict == "diverging"
    assert diagnosis.evidence == (
        "validation loss became nan at epoch 3 (last finite value 0.900 at epoch 2)",
    )
    assert diagnosis.best_epoch == 4  # the lowest finite value; nan is skipped


def test_diverging_exploding_loss():
    diagnosis = diagnose_history({"loss": [1.5, 300.0, 4000.0, 2500.0], "val_loss": [1, 2, 3, 4]})
    assert diagnosis.verdict == "diverging"
    assert diagnosis.evidence == (
        "training loss ended above its first value: 1.500 at epoch 1 → 2.5e+03 at epoch 4 "
        "(1,667 times the first value)",
    )


def test_too_short():
    diagnosis = diagnose_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.6]})
    assert diagnosis.verdict == "too short"
    assert diagnosis.evidence == ("only 2 epochs: at least 3 are needed to see a trend",)
    assert diagnosis.best_epoch == 2
    assert diagnose_history({"loss": []}).evidence[0].startswith("only 0 epochs")
    assert diagnose_history({"loss": [0.3]}).evidence[0].startswith("only 1 epoch:")


def test_too_short_comes_first_but_still_reports_nan():
    diagnosis = diagnose_history({"loss": [1.0, NAN]})
    assert diagnosis.verdict == "too short"
    assert "training loss became nan at epoch 2 (last finite value 1.000 at epoch 1)" in (
        diagnosis.evidence
    )
    assert any("learning rate 10×" in line for line in diagnosis.advice)


# ----------------------------------------------------------------------------------------
# borderline cases: each threshold from both sides
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last", "verdict"), [(1.09, "underfitting"), (1.11, "diverging")], ids=["+9%", "+11%"]
)
def test_exploding_threshold_is_10_percent(last, verdict):
    # below the threshold a loss that did not fall is 'hardly learned' (underfitting)
    assert diagnose_history({"loss": [1.0, 1.1, last]}).verdict == verdict


def _turning(val_end: float, epochs_after_best: int, train_falls: bool = True) -> dict:
    """Validation lowest (0.5) at epoch 4, then rising to ``val_end``; training 1.0 → 0.4."""
    n_after = epochs_after_best
    val = [1.0, 0.8, 0.6, 0.5] + _pieces((0.5, val_end, n_after + 1))[1:]
    train = (
        _pieces((1.0, 0.4, 4 + n_after)) if train_falls else [1.0, 0.7, 0.5, 0.4] + [0.45] * n_after
    )
    return {"loss": train, "val_loss": val}


@pytest.mark.parametrize(
    ("val_end", "verdict"), [(0.545, "healthy"), (0.555, "overfitting")], ids=["+9%", "+11%"]
)
def test_overfitting_needs_a_rise_of_10_percent(val_end, verdict):
    diagnosis = diagnose_history(_turning(val_end, epochs_after_best=3))
    assert diagnosis.verdict == verdict
    assert diagnosis.best_epoch == 4


def test_overfitting_needs_patience_epochs_without_improvement():
    # two epochs after the best are fewer than patience=3 ...
    assert diagnose_history(_turning(0.8, epochs_after_best=2)).verdict != "overfitting"
    # ... but enough for patience=2
    assert diagnose_history(_turning(0.8, epochs_after_best=2), patience=2).verdict == (
        "overfitting"
    )
    assert diagnose_history(_turning(0.8, epochs_after_best=3)).verdict == "overfitting"


def test_overfitting_needs_a_falling_training_loss():
    # validation rises, but training rose too: not the overfitting pattern
    history = _turning(0.8, epochs_after_best=3, train_falls=False)
    assert diagnose_history(history).verdict != "overfitting"


@pytest.mark.parametrize(
    ("end_gap", "verdict"), [(0.04, "healthy"), (0.06, "overfitting")], ids=["0.04", "0.06"]
)
def test_accuracy_gap_tolerance(end_gap, verdict):
    history = _healthy()
    history["val_accuracy"][-1] = history["accuracy"][-1] - end_gap
    assert diagnose_history(history).verdict == verdict


@pytest.mark.parametrize(
    ("last", "verdict"), [(0.91, "healthy"), (0.89, "underfitting")], ids=["-9%", "-11%"]
)
def test_still_falling_threshold_is_10_percent(last, verdict):
    # the validation loss 3 epochs before the end is 1.0
    history = {
        "loss": [2.0, 1.5, 1.2, 1.0, 0.97, 0.94, last - 0.05],
        "val_loss": [2.0, 1.5, 1.2, 1.0, 0.97, 0.94, last],
    }
    assert diagnose_history(history).verdict == verdict


def test_patience_sets_the_still_falling_window():
    history = {
        "loss": [2.0, 1.5, 1.2, 1.0, 0.97, 0.94, 0.90],
        "val_loss": [2.0, 1.5, 1.2, 1.0, 0.97, 0.94, 0.91],
    }
    assert diagnose_history(history).verdict == "healthy"  # 1.0 → 0.91 over 3 epochs
    diagnosis = diagnose_history(history, patience=5)  # 1.5 → 0.91 over 5 epochs
    assert diagnosis.verdict == "underfitting"
    assert (
        "1.500 at epoch 2 → 0.910 at epoch 7, -39% over the last 5 epochs"
        in (diagnosis.evidence[0])
    )


def test_one_jump_is_not_unstable():
    history = {
        "loss": [1.0, 0.8, 0.7, 0.6, 0.55, 0.5, 0.48, 0.47],
        "val_loss": [1.0, 0.5, 0.9, 0.52, 0.51, 0.505, 0.503, 0.502],
    }
    assert diagnose_history(history).verdict == "healthy"


# ----------------------------------------------------------------------------------------
# without validation data, other metrics, input forms
# ----------------------------------------------------------------------------------------


def test_without_validation_data_says_so():
    history = {"loss": [1.0, 0.5, 0.3, 0.29, 0.285, 0.284]}
    diagnosis = diagnose_history(history)
    assert diagnosis.verdict == "healthy"
    assert diagnosis.best_epoch is None and diagnosis.gap is None
    assert diagnosis.evidence[-1].startswith("no 'val_loss' in the history")
    assert "validation data" in diagnosis.evidence[-1]
    assert "validation data" in diagnosis.advice[0]


def test_without_validation_data_cannot_call_overfitting():
    # training accuracy 0.999: would be a large gap with validation data, unknown without
    history = {
        "loss": [1.0, 0.4, 0.2, 0.19, 0.185, 0.183, 0.182],
        "accuracy": [0.5, 0.9, 0.99, 0.999, 0.999, 0.999, 0.999],
    }
    assert diagnose_history(history).verdict == "healthy"


def test_other_metric_and_numpy_curves():
    history = {
        "loss": np.array([7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0]),
        "mae": np.array([2.0, 1.0, 0.6, 0.55, 0.54, 0.535, 0.53], dtype=np.float32),
        "val_mae": np.array([2.0, 1.1, 0.7, 0.6, 0.59, 0.585, 0.58], dtype=np.float32),
    }
    diagnosis = diagnose_history(history, metric="mae")
    assert diagnosis.verdict == "healthy"
    assert diagnosis.best_epoch == 7
    assert diagnosis.evidence[0] == "training mae fell from 2.000 at epoch 1 to 0.530 at epoch 7"
    assert diagnose_history(history).verdict == "underfitting"  # "loss" still falls by 50 %


def test_accepts_a_history_object():
    class FakeHistory:  # what keras.callbacks.History offers: .history
        history = _healthy()

    assert diagnose_history(FakeHistory()) == diagnose_history(_healthy())


def test_str_is_a_short_report():
    text = str(diagnose_history(_healthy()))
    lines = text.splitlines()
    assert lines[0] == "Diagnosis: healthy"
    assert lines[1] == "Evidence:"
    assert lines[2] == "  - training loss fell from 1.000 at epoch 1 to 0.298 at epoch 10"
    assert lines[-2:] == ["Advice:", "  - keep it: nothing in this history calls for a change"]
    assert max(len(line) for line in lines) <= 88


def test_result_is_frozen():
    diagnosis = diagnose_history(_healthy())
    assert isinstance(diagnosis, HistoryDiagnosis)
    with pytest.raises(dataclasses.FrozenInstanceError):
        diagnosis.verdict = "overfitting"


# ----------------------------------------------------------------------------------------
# bad input: what was expected and what was received
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("history", "kwargs", "error", "match"),
    [
        (
            [0.5, 0.4],
            {},
            TypeError,
            r"^expected a keras History \(from model.fit\) or a dict of lists such as "
            r'\{"loss": \[\.\.\.\], "val_loss": \[\.\.\.\]\}; got list$',
        ),
        ({}, {}, ValueError, r"^expected a history with at least one metric.*got an empty dict"),
        (
            {"loss": ["a", "b", "c"]},
            {},
            TypeError,
            r"^expected history\['loss'\] as a list of numbers, one per epoch; got \['a', 'b', 'c'\]$",
        ),
        (
            {"loss": [1.0, None, 0.5]},
            {},
            TypeError,
            r"^expected history\['loss'\] as a list of numbers, one per epoch; got \[1.0, None, 0.5\]$",
        ),
        (
            {"loss": [[1.0, 0.5], [0.4]]},
            {},
            TypeError,
            r"^expected history\['loss'\] as a list of numbers",
        ),
        (
            {"loss": [[1.0, 0.5], [0.4, 0.3]]},
            {},
            ValueError,
            r"^expected history\['loss'\] as a flat list, one number per epoch; got shape \(2, 2\)$",
        ),
        (
            {"loss": 0.5},
            {},
            ValueError,
            r"^expected history\['loss'\] as a flat list, one number per epoch; got a single value 0.5$",
        ),
        (
            {"loss": [True, False, True]},
            {},
            TypeError,
            r"^expected history\['loss'\] as a list of numbers",
        ),
        (
            {"loss": [1.0, 0.8, 0.6], "val_loss": [1.0, 0.9]},
            {},
            ValueError,
            r"^expected one value per epoch in every list of the history \(all of the same "
            r"length\); got lengths loss: 3, val_loss: 2$",
        ),
        (
            {"loss": [1.0, 0.8, 0.6], "val_loss": [1.0, 0.9, 0.8]},
            {"metric": "mse"},
            ValueError,
            r"^the history has no metric 'mse'; expected one of its keys: 'loss', 'val_loss'$",
        ),
        (
            {"loss": [1.0, 0.8, 0.6], "val_loss": [1.0, 0.9, 0.8]},
            {"metric": "val_loss"},
            ValueError,
            r"^expected the name of the training metric, e.g. 'loss'; got 'val_loss'",
        ),
        (
            {"loss": [1.0, 0.8, 0.6], "accuracy": [0.5, 0.6, 0.7]},
            {"metric": "accuracy"},
            ValueError,
            r"^expected a loss or an error, where lower is better, such as \"loss\" or \"mae\"; "
            r"got 'accuracy', where higher is better",
        ),
        (
            {"loss": [1.0]},
            {"metric": 0},
            TypeError,
            r'^expected metric as a str such as "loss"; got 0$',
        ),
        (
            {"loss": [1.0]},
            {"patience": 0},
            ValueError,
            r"^expected patience as a positive int; got 0$",
        ),
        (
            {"loss": [1.0]},
            {"patience": True},
            ValueError,
            r"^expected patience as a positive int; got True$",
        ),
        (
            {"loss": [1.0]},
            {"gap_tolerance": 5},
            ValueError,
            r"^expected gap_tolerance as a number from 0 to 1 \(a difference of accuracies\); got 5$",
        ),
        (
            {"loss": [1.0]},
            {"gap_tolerance": -0.1},
            ValueError,
            r"^expected gap_tolerance as a number from 0 to 1.*got -0.1$",
        ),
    ],
    ids=[
        "list",
        "empty dict",
        "strings",
        "None in list",
        "ragged",
        "2-D",
        "scalar",
        "bools",
        "unequal lengths",
        "missing metric",
        "val_ metric",
        "accuracy as metric",
        "metric not str",
        "patience 0",
        "patience bool",
        "gap_tolerance 5",
        "gap_tolerance negative",
    ],
)
def test_bad_input(history, kwargs, error, match):
    with pytest.raises(error, match=match):
        diagnose_history(history, **kwargs)


def test_a_loss_named_after_a_score_is_accepted():
    # "dice_loss" is a loss (lower is better) although "dice" is a score
    history = {"dice_loss": [0.9, 0.5, 0.3, 0.29, 0.285, 0.283, 0.282]}
    assert diagnose_history(history, metric="dice_loss").verdict == "healthy"


# ----------------------------------------------------------------------------------------
# real Keras histories
# ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keras_parts():
    keras = pytest.importorskip("keras")
    from cellcourse import set_seed
    from cellcourse.models import linear_classifier, small_cnn
    from cellcourse.train import fit_classifier

    return keras, set_seed, linear_classifier, small_cnn, fit_classifier


@pytest.mark.slow
def test_real_history_memorising_noise_is_overfitting(keras_parts):
    keras, set_seed, linear_classifier, _, fit_classifier = keras_parts
    rng = set_seed(0)
    # 24 random images with arbitrary labels: nothing to learn but the images themselves
    x = rng.random((24, 8, 8, 3), dtype=np.float32)
    y = np.arange(24) % 3
    x_val = rng.random((60, 8, 8, 3), dtype=np.float32)
    y_val = rng.integers(0, 3, 60)
    model = linear_classifier((8, 8, 3), 3)
    history = fit_classifier(
        model,
        x,
        y,
        validation_data=(x_val, y_val),
        num_epochs=30,
        batch_size=8,
        learning_rate=1e-2,
    )
    assert isinstance(history, keras.callbacks.History)
    diagnosis = diagnose_history(history)
    assert diagnosis.verdict == "overfitting", str(diagnosis)
    val = history.history["val_loss"]
    assert diagnosis.best_epoch == int(np.argmin(val)) + 1
    assert diagnosis.best_epoch <= 30 - 3
    assert diagnosis.evidence[0].startswith(
        f"validation loss was lowest at epoch {diagnosis.best_epoch} "
        f"({min(val):.3f}) and rose to {val[-1]:.3f} by epoch 30"
    )
    # memorised: every training image right at the end, validation near chance (1/3)
    acc, val_acc = history.history["accuracy"], history.history["val_accuracy"]
    assert acc[-1] == 1.0
    assert acc[-1] - val_acc[-1] > 0.5
    assert (
        f"train minus validation accuracy at the end: {acc[-1] - val_acc[-1]:.2f}"
        in (diagnosis.evidence[1])
    )
    best = diagnosis.best_epoch - 1
    assert diagnosis.gap == pytest.approx(acc[best] - val_acc[best])


def test_real_history_too_high_learning_rate_turns_the_loss_nan(keras_parts):
    keras, set_seed, _, small_cnn, fit_classifier = keras_parts
    rng = set_seed(0)
    x = rng.random((24, 8, 8, 3), dtype=np.float32)
    y = np.arange(24) % 3
    # SGD with learning rate 1000 on a small CNN: activations overflow
    history = fit_classifier(
        small_cnn((8, 8, 3), 3),
        x,
        y,
        num_epochs=5,
        batch_size=8,
        learning_rate=1e3,
        optimizer="sgd",
    )
    diagnosis = diagnose_history(history)
    assert diagnosis.verdict == "diverging", str(diagnosis)
    if keras.backend.backend() == "tensorflow":
        # its crossentropy works from the softmax's logits and overflows: the loss turns nan
        assert re.match(
            r"^training loss (became|was) nan (at|from) epoch \d", diagnosis.evidence[0]
        )
    else:
        # JAX and PyTorch clip the probabilities at 1e-7: the loss stops at 10.745, finite, and
        # ends more than 10 % above the mean of epoch 1 (about 9), when the blow-up began
        assert diagnosis.evidence[0].startswith("training loss ended above its first value: ")


def test_real_history_too_high_learning_rate_is_diverging(keras_parts):
    _, set_seed, linear_classifier, _, fit_classifier = keras_parts
    rng = set_seed(0)
    x = rng.random((24, 8, 8, 3), dtype=np.float32)
    y = np.arange(24) % 3
    # a linear classifier with one full batch per epoch: epoch 1 is measured before the first
    # step (loss about ln 3), then the loss explodes but stays finite (on every backend)
    history = fit_classifier(
        linear_classifier((8, 8, 3), 3),
        x,
        y,
        num_epochs=5,
        batch_size=24,
        learning_rate=1e3,
        optimizer="sgd",
    )
    diagnosis = diagnose_history(history)
    assert diagnosis.verdict == "diverging", str(diagnosis)
    assert diagnosis.evidence[0].startswith("training loss ended above its first value: ")
