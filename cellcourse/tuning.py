"""Hyperparameter search under an explicit budget: learning-rate range test and keras-tuner.

=========================  ==============================================================
``output_folder``          a folder for a run's outputs (never inside the source tree)
``lr_range_test``          loss against an exponentially rising learning rate
``make_tuner``             a keras-tuner RandomSearch or Hyperband with a trial *and* time budget
``trials_table``           every trial of a search: hyperparameters, score, status
=========================  ==============================================================

keras-tuner writes one folder per trial; :func:`make_tuner` puts them under
:func:`output_folder` (the run folder under ``cellcourse run``, otherwise
``outputs`` in the data folder), so a search never litters the notebooks'
folder. keras-tuner stops a search after ``max_trials``; the time budget here
is a small addition through its documented extension point
(``Oracle.populate_space``): once the budget is spent, no new trial starts.
See chapter 06.

References
----------
.. [1] Smith, L. N. Cyclical learning rates for training neural networks.
       WACV 2017. doi:10.1109/WACV.2017.58
.. [2] Li, L. et al. Hyperband: a novel bandit-based approach to
       hyperparameter optimization. JMLR 18, 1–52 (2018).
.. [3] O'Malley, T. et al. KerasTuner (2019). https://github.com/keras-team/keras-tuner
"""

from __future__ import annotations

import functools
import math
import numbers
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import settings

__all__ = ["LRRangeResult", "lr_range_test", "make_tuner", "output_folder", "trials_table"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def output_folder(name: str) -> Path:
    """A folder for a run's outputs, created if needed.

    Parameters
    ----------
    name : str
        Sub-folder name: letters, digits, ``_``, ``-`` and ``.``, e.g. ``"tuning"``.

    Returns
    -------
    pathlib.Path
        ``settings().output_dir / name``: the run folder under ``cellcourse
        run`` (``CELLCOURSE_OUTPUT_DIR``), otherwise ``<data_dir>/outputs``.

    Raises
    ------
    ValueError
        If ``name`` is not a plain folder name (no ``/``, no ``..``).

    Examples
    --------
    >>> output_folder("tuning").name
    'tuning'
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name) or ".." in name:
        raise ValueError(
            f"expected a plain folder name (letters, digits, _ - .), e.g. 'tuning'; got {name!r}"
        )
    folder = settings().output_dir / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# ----------------------------------------------------------------------------------------
# Learning-rate range test
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LRRangeResult:
    """The outcome of :func:`lr_range_test`.

    Attributes
    ----------
    learning_rates : (N,) ndarray of float64
        Learning rate of each step, rising exponentially.
    losses : (N,) ndarray of float64
        Training loss of each step's batch, smoothed (exponential moving
        average, factor 0.9, bias-corrected) to make the curve readable.
    suggested : float
        A learning rate to start from: a tenth of the one where the smoothed
        loss was lowest (the common rule of thumb; see Notes of
        :func:`lr_range_test`).
    stopped_early : bool
        True if the loss exploded (more than 4 × its minimum, or not finite)
        before ``max_lr`` was reached.
    """

    learning_rates: np.ndarray
    losses: np.ndarray
    suggested: float
    stopped_early: bool


def _check_rate(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"expected {name} as a positive number; got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"expected {name} > 0 and finite; got {value}")
    return float(value)


def lr_range_test(
    model, x, y, min_lr=1e-6, max_lr=1.0, n_steps=100, batch_size=32, optimizer="adam", rng=None
):
    """Train for ``n_steps`` batches while raising the learning rate, and record the loss.

    Too small a learning rate barely moves the loss; too large a one makes it
    explode. Between the two, the loss falls fastest. One short run over a wide
    range of rates shows where that is, instead of guessing.

    Parameters
    ----------
    model : keras.Model
        A **freshly built** classifier: the test trains it, so build a new one
        for the real training afterwards.
    x : (S, Y, X, C) ndarray
        Training images, as the model expects them.
    y : (S,) ndarray of int
        Class labels ``0 .. K-1``.
    min_lr, max_lr : float
        First and last learning rate; each step multiplies the rate by
        ``(max_lr / min_lr) ** (1 / (n_steps - 1))``.
    n_steps : int
        Number of batches (at least 5).
    batch_size : int
    optimizer : {"adam", "sgd"}
        The optimizer whose learning rate is tested (compiled here with
        sparse categorical cross-entropy).
    rng : numpy.random.Generator or int or None
        Draws the batches (with replacement across the training set).

    Returns
    -------
    LRRangeResult

    Raises
    ------
    ValueError, TypeError
        On bad rates, step counts or data (the data are checked against the
        model by :func:`cellcourse.train.check_classification_data`).

    Notes
    -----
    The suggested rate, a tenth of the rate at the lowest smoothed loss, is a
    rule of thumb [1]_: the lowest point is already close to instability, and
    training runs for far longer than the test. Read the curve; take a rate
    where the loss is still falling steeply.

    References
    ----------
    .. [1] Smith, L. N. Cyclical learning rates for training neural networks.
           WACV 2017. doi:10.1109/WACV.2017.58

    Examples
    --------
    >>> import keras
    >>> from cellcourse.models import linear_classifier
    >>> x = np.random.default_rng(0).random((64, 4, 4, 3), dtype=np.float32)
    >>> y = np.arange(64) % 2
    >>> result = lr_range_test(linear_classifier((4, 4, 3), 2), x, y, n_steps=10)
    >>> result.learning_rates.shape == result.losses.shape
    True
    """
    from .train import _check_positive_int, _optimizer, check_classification_data

    min_lr = _check_rate(min_lr, "min_lr")
    max_lr = _check_rate(max_lr, "max_lr")
    if max_lr <= min_lr:
        raise ValueError(f"expected max_lr > min_lr; got min_lr={min_lr}, max_lr={max_lr}")
    n_steps = _check_positive_int(n_steps, "n_steps")
    if n_steps < 5:
        raise ValueError(f"expected n_steps >= 5 to draw a curve; got {n_steps}")
    batch_size = _check_positive_int(batch_size, "batch_size")
    check_classification_data(model, x, y)
    x = np.asarray(x)
    y = np.asarray(y)
    rng = np.random.default_rng(rng)

    model.compile(optimizer=_optimizer(optimizer, min_lr), loss="sparse_categorical_crossentropy")
    rates = min_lr * (max_lr / min_lr) ** (np.arange(n_steps) / (n_steps - 1))
    smoothed, average, best = [], 0.0, math.inf
    stopped_early = False
    for step, rate in enumerate(rates):
        model.optimizer.learning_rate = float(rate)
        batch = rng.integers(0, len(y), size=min(batch_size, len(y)))
        loss = model.train_on_batch(x[batch], y[batch])
        loss = float(np.ravel(loss)[0])
        if not math.isfinite(loss):
            stopped_early = True
            break
        average = 0.9 * average + 0.1 * loss
        value = average / (1 - 0.9 ** (step + 1))  # bias correction of the moving average
        smoothed.append(value)
        best = min(best, value)
        if value > 4 * best:
            stopped_early = True
            break
    if not smoothed:
        raise ValueError(
            f"the loss was not finite even at the first learning rate {min_lr:g}: check the "
            "input scaling (e.g. images 0-1) and the labels"
        )
    losses = np.asarray(smoothed)
    rates = rates[: len(losses)]
    suggested = float(rates[int(np.argmin(losses))] / 10)
    return LRRangeResult(rates, losses, suggested, stopped_early)


# ----------------------------------------------------------------------------------------
# keras-tuner with a time budget
# ----------------------------------------------------------------------------------------


@functools.cache
def _budgeted(oracle_class):
    """``oracle_class`` that starts no new trial once ``max_seconds`` have passed."""

    class TimeBudgetOracle(oracle_class):
        def __init__(self, *args, max_seconds=None, **kwargs):
            super().__init__(*args, **kwargs)
            self.max_seconds = max_seconds
            self._started = None

        def populate_space(self, trial_id):
            now = time.monotonic()
            if self._started is None:
                self._started = now  # the budget counts from the first trial
            if self.max_seconds is not None and now - self._started > self.max_seconds:
                return {"status": "STOPPED", "values": None}
            return super().populate_space(trial_id)

    TimeBudgetOracle.__name__ = f"TimeBudget{oracle_class.__name__}"
    TimeBudgetOracle.__qualname__ = TimeBudgetOracle.__name__
    return TimeBudgetOracle


def make_tuner(
    build_model,
    kind="random",
    objective="val_accuracy",
    max_trials=10,
    max_epochs=10,
    max_seconds=None,
    seed=0,
    name="search",
):
    """A keras-tuner search whose trials go to the run's output folder, with a time budget.

    Parameters
    ----------
    build_model : callable
        ``build_model(hp) -> keras.Model``, compiled, drawing its
        hyperparameters from ``hp`` (``hp.Choice``, ``hp.Float``, ``hp.Int``).
    kind : {"random", "hyperband"}
        ``RandomSearch`` (``max_trials`` random configurations, each trained
        for the epochs given to ``search``) or ``Hyperband`` (many short
        trainings, the best continued longer, up to ``max_epochs``).
    objective : str
        Metric to maximise or minimise, e.g. ``"val_accuracy"`` or
        ``"val_loss"`` (keras-tuner infers the direction from the name).
    max_trials : int
        Most trials of a random search (Hyperband sizes itself from
        ``max_epochs``; ``max_trials`` caps it too).
    max_epochs : int
        Hyperband's longest training; ignored by a random search.
    max_seconds : float or None
        No trial starts after this many seconds of searching (a running trial
        finishes). None: no time limit.
    seed : int
        Seed of the search: the same seed draws the same first configuration.
    name : str
        Project name; trials go to ``output_folder("tuning") / name``, which is
        emptied first (``overwrite=True``), so a re-run starts afresh.

    Returns
    -------
    keras_tuner.Tuner
        Call ``tuner.search(x, y, validation_data=..., epochs=...)``, then
        ``tuner.get_best_hyperparameters()`` and :func:`trials_table`.

    Raises
    ------
    ValueError, TypeError
        On an unknown ``kind``, budgets that are not positive, or a
        ``build_model`` that is not callable.

    Examples
    --------
    >>> def build_model(hp):  # doctest: +SKIP
    ...     model = small_cnn((32, 32, 3), 3, dropout=hp.Float("dropout", 0.0, 0.5))
    ...     model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
    ...                   metrics=["accuracy"])
    ...     return model
    >>> tuner = make_tuner(build_model, max_trials=5, max_seconds=60)  # doctest: +SKIP
    """
    from .train import _check_positive_int

    if not callable(build_model):
        raise TypeError(f"expected build_model as a function of hp; got {type(build_model)}")
    if kind not in ("random", "hyperband"):
        raise ValueError(f'expected kind "random" or "hyperband"; got {kind!r}')
    if not isinstance(objective, str) or not objective:
        raise TypeError(
            f'expected objective as a metric name like "val_accuracy"; got {objective!r}'
        )
    max_trials = _check_positive_int(max_trials, "max_trials")
    max_epochs = _check_positive_int(max_epochs, "max_epochs")
    if max_seconds is not None:
        max_seconds = _check_rate(max_seconds, "max_seconds")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"expected seed as an int; got {seed!r}")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"expected name as a plain folder name, e.g. 'search'; got {name!r}")

    import keras_tuner as kt

    directory = output_folder("tuning")
    if kind == "random":
        oracle = _budgeted(kt.oracles.RandomSearchOracle)(
            objective=objective, max_trials=max_trials, seed=int(seed), max_seconds=max_seconds
        )
        return kt.Tuner(
            oracle=oracle,
            hypermodel=build_model,
            directory=str(directory),
            project_name=name,
            overwrite=True,
        )
    oracle = _budgeted(kt.oracles.HyperbandOracle)(
        objective=objective,
        max_epochs=max_epochs,
        seed=int(seed),
        max_seconds=max_seconds,
    )
    oracle.max_trials = max_trials  # HyperbandOracle takes no max_trials; the base Oracle obeys it
    tuner = kt.Hyperband.__new__(kt.Hyperband)
    # Hyperband's own __init__ would build a plain HyperbandOracle; its trial logic
    # (epochs per bracket, resuming the best trials) lives in the class, so the class is
    # kept and only the oracle replaced, through the base Tuner's constructor
    kt.Tuner.__init__(
        tuner,
        oracle=oracle,
        hypermodel=build_model,
        directory=str(directory),
        project_name=name,
        overwrite=True,
    )
    return tuner


def trials_table(tuner):
    """Every trial of a search as a table, best first.

    Parameters
    ----------
    tuner : keras_tuner.Tuner
        After ``tuner.search(...)``.

    Returns
    -------
    pandas.DataFrame
        One row per trial: ``trial``, each hyperparameter, ``score`` (the
        objective's best value in that trial; NaN if it did not finish) and
        ``status``, sorted best first.

    Raises
    ------
    TypeError
        If ``tuner`` is not a keras-tuner tuner.
    """
    import keras_tuner as kt
    import pandas as pd

    if not isinstance(tuner, kt.Tuner):
        raise TypeError(f"expected a keras_tuner Tuner (e.g. from make_tuner); got {type(tuner)}")
    rows = []
    for trial_id, trial in tuner.oracle.trials.items():
        row = {"trial": trial_id}
        row.update(
            {k: v for k, v in trial.hyperparameters.values.items() if not k.startswith("tuner/")}
        )
        row["score"] = np.nan if trial.score is None else float(trial.score)
        row["status"] = str(trial.status)
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    ascending = tuner.oracle.objective.direction == "min"
    return table.sort_values("score", ascending=ascending, na_position="last").reset_index(
        drop=True
    )
