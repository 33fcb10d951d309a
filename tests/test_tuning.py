"""Learning-rate range test and keras-tuner searches with trial and time budgets."""

from __future__ import annotations

import numpy as np
import pytest

from cellcourse import set_seed, tuning
from cellcourse.models import linear_classifier


@pytest.fixture
def outputs(tmp_path, monkeypatch):
    folder = tmp_path / "run"
    monkeypatch.setenv("CELLCOURSE_OUTPUT_DIR", str(folder))
    return folder


def easy_data(n=96, seed=0):
    """Two classes told apart by brightness: class 1 images are bright."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = rng.random((n, 4, 4, 3), dtype=np.float32) * 0.2 + y[:, None, None, None] * 0.8
    return x.astype(np.float32), y


def test_output_folder_is_the_run_folder(outputs):
    folder = tuning.output_folder("tuning")
    assert folder == outputs / "tuning" and folder.is_dir()


def test_output_folder_defaults_to_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("CELLCOURSE_OUTPUT_DIR", raising=False)
    monkeypatch.setenv("CELLCOURSE_DATA_DIR", str(tmp_path / "data"))
    assert tuning.output_folder("tuning") == tmp_path / "data" / "outputs" / "tuning"


@pytest.mark.parametrize("name", ["../escape", "a/b", "", ".hidden", None])
def test_output_folder_rejects_paths(name, outputs):
    with pytest.raises(ValueError, match="plain folder name"):
        tuning.output_folder(name)


def test_lr_range_test_rises_and_suggests_a_rate_inside_the_range():
    set_seed(0)
    x, y = easy_data()
    result = tuning.lr_range_test(
        linear_classifier((4, 4, 3), 2), x, y, min_lr=1e-5, max_lr=10.0, n_steps=40, rng=0
    )
    rates = result.learning_rates
    assert len(rates) == len(result.losses) >= 5
    assert np.all(np.diff(rates) > 0) and rates[0] == pytest.approx(1e-5)
    assert 1e-6 <= result.suggested <= 1.0
    # the loss fell somewhere in the range: learning happened
    assert result.losses.min() < result.losses[0] * 0.9


def test_lr_range_test_stops_when_the_loss_explodes():
    set_seed(0)
    x, y = easy_data()
    result = tuning.lr_range_test(
        linear_classifier((4, 4, 3), 2),
        x,
        y,
        min_lr=1e-3,
        max_lr=1e6,
        n_steps=60,
        optimizer="sgd",
        rng=0,
    )
    assert result.stopped_early
    assert len(result.losses) < 60


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"min_lr": 0}, "min_lr > 0"),
        ({"min_lr": 1.0, "max_lr": 0.1}, "max_lr > min_lr"),
        ({"n_steps": 3}, "n_steps >= 5"),
        ({"min_lr": "fast"}, "min_lr as a positive number"),
    ],
)
def test_lr_range_test_validates(kwargs, match):
    x, y = easy_data(8)
    with pytest.raises((ValueError, TypeError), match=match):
        tuning.lr_range_test(linear_classifier((4, 4, 3), 2), x, y, **kwargs)


def test_lr_range_test_checks_the_data_against_the_model():
    x, y = easy_data(8)
    with pytest.raises(ValueError, match="expected images of shape"):
        tuning.lr_range_test(linear_classifier((8, 8, 3), 2), x, y)


def build_model(hp):
    import keras

    model = linear_classifier((4, 4, 3), 2)
    rate = hp.Choice("learning_rate", [1e-3, 1e-2, 1e-1])
    model.compile(
        optimizer=keras.optimizers.Adam(rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def test_random_search_writes_under_the_run_folder_and_tabulates(outputs, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing may be written to the working directory
    x, y = easy_data()
    tuner = tuning.make_tuner(build_model, max_trials=3, seed=1, name="lr")
    tuner.search(x, y, validation_data=(x, y), epochs=1, verbose=0)
    table = tuning.trials_table(tuner)
    assert 1 <= len(table) <= 3
    assert {"trial", "learning_rate", "score", "status"} <= set(table.columns)
    assert table["score"].is_monotonic_decreasing  # best first for val_accuracy
    assert (outputs / "tuning" / "lr").is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_same_seed_same_first_trial(outputs):
    x, y = easy_data()
    first = []
    for _ in range(2):
        tuner = tuning.make_tuner(build_model, max_trials=1, seed=7, name="again")
        tuner.search(x, y, validation_data=(x, y), epochs=1, verbose=0)
        first.append(tuning.trials_table(tuner).loc[0, "learning_rate"])
    assert first[0] == first[1]


def test_time_budget_stops_new_trials(outputs):
    x, y = easy_data()
    tuner = tuning.make_tuner(build_model, max_trials=10, max_seconds=1e-6, seed=0, name="t")
    tuner.search(x, y, validation_data=(x, y), epochs=1, verbose=0)
    assert len(tuning.trials_table(tuner)) == 1  # the first trial starts; no other does


def test_hyperband_runs_with_its_own_trial_logic(outputs):
    import keras_tuner as kt

    x, y = easy_data()
    tuner = tuning.make_tuner(
        build_model, kind="hyperband", max_epochs=2, max_trials=4, seed=0, name="hb"
    )
    assert isinstance(tuner, kt.Hyperband)
    tuner.search(x, y, validation_data=(x, y), verbose=0)
    assert 1 <= len(tuning.trials_table(tuner)) <= 4


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kind": "grid"}, 'kind "random" or "hyperband"'),
        ({"max_trials": 0}, "max_trials"),
        ({"max_seconds": -1}, "max_seconds > 0"),
        ({"name": "../x"}, "plain folder name"),
    ],
)
def test_make_tuner_validates(kwargs, match, outputs):
    with pytest.raises((ValueError, TypeError), match=match):
        tuning.make_tuner(build_model, **kwargs)


def test_trials_table_rejects_other_objects():
    with pytest.raises(TypeError, match="keras_tuner Tuner"):
        tuning.trials_table("tuner")
