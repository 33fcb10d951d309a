"""Tests of cellcourse.active_learning: scores, queries, the annotator, the loop, the plateau."""

from __future__ import annotations

import numpy as np
import pytest

from cellcourse.active_learning import (
    ActiveLearningResult,
    SimulatedAnnotator,
    entropy,
    labels_to_reach,
    least_confidence,
    logistic_regression,
    margin_uncertainty,
    query,
    run_active_learning,
    uncertainty,
)

PROBS = np.array([[0.7, 0.2, 0.1], [0.4, 0.4, 0.2], [1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])


# --- uncertainty scores ------------------------------------------------------------------------


def test_scores_by_hand():
    np.testing.assert_allclose(least_confidence(PROBS), [0.3, 0.6, 0.0, 2 / 3])
    np.testing.assert_allclose(margin_uncertainty(PROBS), [0.5, 1.0, 0.0, 1.0])
    expected = [
        -(0.7 * np.log(0.7) + 0.2 * np.log(0.2) + 0.1 * np.log(0.1)),
        -(2 * 0.4 * np.log(0.4) + 0.2 * np.log(0.2)),
        0.0,
        np.log(3),
    ]
    np.testing.assert_allclose(entropy(PROBS), expected)
    assert not np.signbit(entropy(PROBS)[2])  # 0, not -0


def test_uncertainty_dispatches_by_name():
    np.testing.assert_array_equal(uncertainty(PROBS, "margin"), margin_uncertainty(PROBS))
    np.testing.assert_array_equal(uncertainty(PROBS, "entropy"), entropy(PROBS))
    np.testing.assert_array_equal(uncertainty(PROBS), least_confidence(PROBS))
    with pytest.raises(ValueError, match="least_confidence.*got 'variance'"):
        uncertainty(PROBS, "variance")


@pytest.mark.parametrize(
    ("probs", "match"),
    [
        (np.array([0.5, 0.5]), r"shape \(N, K\).*got \(2,\)"),
        (np.array([[1.0], [1.0]]), r"K >= 2"),
        (np.array([[0.6, 0.6]]), r"row 0 sums to 1.2"),
        (np.array([[2.0, -1.0]]), r"between 0 and 1.*logits"),
        (np.array([[np.nan, 0.5]]), r"finite"),
    ],
)
def test_scores_reject_what_is_not_probabilities(probs, match):
    for score in (least_confidence, margin_uncertainty, entropy):
        with pytest.raises(ValueError, match=match):
            score(probs)


def test_scores_reject_non_numbers():
    with pytest.raises(TypeError, match="class probabilities"):
        entropy([["a", "b"]])


# --- query -------------------------------------------------------------------------------------


def test_query_uncertainty_takes_the_most_uncertain_first():
    pool = np.array([10, 11, 12, 13])
    np.testing.assert_array_equal(query(pool, 2, probs=PROBS), [13, 11])  # 2/3, 0.6
    np.testing.assert_array_equal(query(pool, 1, probs=PROBS, method="entropy"), [13])
    chosen = query(pool, 2, probs=PROBS, method="margin", rng=0)  # 11 and 13 tie at 1.0
    assert set(chosen.tolist()) == {11, 13}


def test_query_breaks_ties_at_random_and_repeatably():
    pool = np.arange(100)
    flat = np.full((100, 2), 0.5)
    first = query(pool, 5, probs=flat, rng=1)
    np.testing.assert_array_equal(first, query(pool, 5, probs=flat, rng=1))
    assert not np.array_equal(first, np.arange(5))  # not the first cells of the pool
    assert not np.array_equal(first, query(pool, 5, probs=flat, rng=2))


def test_query_random_draws_from_the_pool_without_repeats():
    pool = np.arange(50, 80)
    chosen = query(pool, 10, strategy="random", rng=3)
    assert len(set(chosen.tolist())) == 10 and set(chosen.tolist()) <= set(pool.tolist())
    np.testing.assert_array_equal(chosen, query(pool, 10, strategy="random", rng=3))
    assert query(pool, 30, strategy="random", rng=0).size == 30


def test_query_errors():
    pool = np.array([0, 1, 2, 3])
    with pytest.raises(ValueError, match="at most the size of the pool.*got 5"):
        query(pool, 5, probs=PROBS)
    with pytest.raises(ValueError, match="needs probs"):
        query(pool, 1)
    with pytest.raises(ValueError, match=r"one row per pool cell, \(4, K\); got \(3, 3\)"):
        query(pool, 1, probs=PROBS[:3])
    with pytest.raises(ValueError, match="distinct pool"):
        query([1, 1, 2], 1, strategy="random")
    with pytest.raises(ValueError, match="strategy.*got 'greedy'"):
        query(pool, 1, probs=PROBS, strategy="greedy")
    with pytest.raises(ValueError, match="n as an int >= 1"):
        query(pool, 0, probs=PROBS)
    with pytest.raises(ValueError, match="non-empty pool"):
        query([], 1, strategy="random")
    with pytest.raises(TypeError, match="integer cell indices"):
        query([0.0, 1.0], 1, strategy="random")


# --- the annotator -----------------------------------------------------------------------------


def test_annotator_reveals_labels_and_counts_the_cost():
    annotator = SimulatedAnnotator(np.array([2, 0, 1, 1, 0]), seconds_per_label=6, budget=4)
    np.testing.assert_array_equal(annotator.annotate([4, 0]), [0, 2])
    np.testing.assert_array_equal(annotator.annotate(np.array([2])), [1])
    assert annotator.n_labelled == 3 and annotator.remaining == 1
    assert annotator.seconds == 18 and annotator.minutes == pytest.approx(0.3)
    np.testing.assert_array_equal(annotator.asked, [4, 0, 2])
    assert "3 labels given" in repr(annotator)


def test_annotator_refuses_repeats_and_overspending():
    annotator = SimulatedAnnotator(np.arange(6), budget=3)
    annotator.annotate([1, 2])
    with pytest.raises(ValueError, match="cell 2 was labelled before"):
        annotator.annotate([2, 3])
    with pytest.raises(ValueError, match="at most 1 more labels.*request for 2"):
        annotator.annotate([3, 4])
    with pytest.raises(ValueError, match="from 0 to 5"):
        annotator.annotate([6])
    assert annotator.n_labelled == 2  # refused requests cost nothing
    assert SimulatedAnnotator([0, 1]).remaining is None


def test_annotator_input_errors():
    with pytest.raises(ValueError, match=r"shape \(S,\)"):
        SimulatedAnnotator(np.zeros((2, 2), int))
    with pytest.raises(TypeError, match="integer class indices"):
        SimulatedAnnotator(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="seconds_per_label"):
        SimulatedAnnotator([0, 1], seconds_per_label=0)
    with pytest.raises(ValueError, match="budget"):
        SimulatedAnnotator([0, 1], budget=0)


# --- logistic regression -----------------------------------------------------------------------


def _blobs(rng, n_per_class=20, centres=((0, 0), (5, 0), (0, 5))):
    x = np.concatenate([rng.normal(c, 0.5, size=(n_per_class, 2)) for c in centres])
    return x, np.repeat(np.arange(len(centres)), n_per_class)


def test_logistic_regression_separates_and_keeps_all_columns():
    x, y = _blobs(np.random.default_rng(0))
    fit_predict = logistic_regression(n_classes=4)  # class 3 never labelled
    probs = fit_predict(x, y, x)
    assert probs.shape == (60, 4)
    np.testing.assert_allclose(probs.sum(axis=1), 1)
    np.testing.assert_array_equal(probs[:, 3], 0)
    assert np.mean(probs.argmax(axis=1) == y) > 0.95
    only_zeros = fit_predict(x[:5], np.zeros(5, int), x[:2])  # one class: nothing to separate
    np.testing.assert_array_equal(only_zeros, [[1, 0, 0, 0], [1, 0, 0, 0]])


def test_logistic_regression_errors():
    with pytest.raises(ValueError, match="n_classes"):
        logistic_regression(1)
    with pytest.raises(ValueError, match="class_weight"):
        logistic_regression(3, class_weight="equal")
    with pytest.raises(ValueError, match="positive number"):
        logistic_regression(3, c=0)
    fit_predict = logistic_regression(3)
    with pytest.raises(ValueError, match=r"x_labelled \(L, F\)"):
        fit_predict(np.zeros((4, 2)), np.zeros(4, int), np.zeros((3, 5)))
    with pytest.raises(ValueError, match="from 0 to 2"):
        fit_predict(np.zeros((2, 2)), np.array([0, 3]), np.zeros((1, 2)))


# --- the loop ----------------------------------------------------------------------------------


def _threshold_model(x_labelled, y_labelled, x_eval):
    """A stand-in model: P(class 1) rises with the first feature, unsure near 0."""
    p1 = 1 / (1 + np.exp(-4 * x_eval[:, 0]))
    return np.stack([1 - p1, p1], axis=1)


def _line(n=40):
    x = np.linspace(-3, 3, n)[:, np.newaxis]  # cell i sits at x[i]; the boundary at 0
    return x, (x[:, 0] > 0).astype(int)


def test_run_active_learning_rounds_and_bookkeeping():
    x, y = _line()
    pool, val = np.arange(0, 40, 2), np.arange(1, 40, 2)
    result = run_active_learning(
        x, SimulatedAnnotator(y), pool, _threshold_model, x[val], y[val], budget=9,
        seed_size=3, batch_size=4, rng=0,
    )  # fmt: skip
    assert isinstance(result, ActiveLearningResult)
    np.testing.assert_array_equal(result.n_labels, [3, 7, 9])  # the last batch is cut to 2
    assert [len(q) for q in result.queried] == [3, 4, 2]
    np.testing.assert_array_equal(result.labelled, np.concatenate(result.queried))
    assert len(set(result.labelled.tolist())) == 9 and set(result.labelled.tolist()) <= set(
        pool.tolist()
    )
    np.testing.assert_allclose(result.minutes, result.n_labels * 5 / 60)
    np.testing.assert_allclose(result.scores, 1.0)  # the stand-in model is always right
    # uncertainty sampling asks for the unlabelled pool cells nearest the boundary at 0
    unlabelled = np.setdiff1d(pool, result.queried[0])
    nearest = unlabelled[np.argsort(np.abs(x[unlabelled, 0]))[:4]]
    assert set(result.queried[1].tolist()) == set(nearest.tolist())
    table = result.table()
    assert list(table.columns) == ["n_labels", "minutes", "val_macro_f1", "added"]
    assert table["added"].iloc[1] == result.queried[1].tolist()


def test_run_active_learning_is_seeded_and_paired():
    x, y = _line()
    pool, val = np.arange(0, 40, 2), np.arange(1, 40, 2)

    def run(strategy, seed):
        return run_active_learning(
            x, SimulatedAnnotator(y), pool, _threshold_model, x[val], y[val], budget=10,
            seed_size=4, batch_size=3, strategy=strategy, rng=seed,
        )  # fmt: skip

    first, again = run("random", 5), run("random", 5)
    np.testing.assert_array_equal(first.labelled, again.labelled)
    uncertain = run("uncertainty", 5)
    np.testing.assert_array_equal(first.queried[0], uncertain.queried[0])  # the same seed set
    assert not np.array_equal(first.labelled, uncertain.labelled)
    assert not np.array_equal(first.labelled, run("random", 6).labelled)


def test_run_active_learning_with_logistic_regression_learns():
    rng = np.random.default_rng(1)
    x, y = _blobs(rng, n_per_class=30)
    order = rng.permutation(90)
    pool, val = order[:60], order[60:]
    result = run_active_learning(
        x, SimulatedAnnotator(y), pool, logistic_regression(3), x[val], y[val], budget=30,
        seed_size=6, batch_size=6, rng=0,
    )  # fmt: skip
    assert result.scores[-1] > 0.9


def test_run_active_learning_errors():
    x, y = _line()
    pool, val = np.arange(0, 40, 2), np.arange(1, 40, 2)

    def run(budget, fit_predict=_threshold_model, annotator=None, y_val=y[val], **kwargs):
        annotator = SimulatedAnnotator(y) if annotator is None else annotator
        return run_active_learning(
            x, annotator, pool, fit_predict, x[val], y_val, budget=budget, **kwargs
        )

    with pytest.raises(ValueError, match=r"budget at most the pool size \(20\); got 21"):
        run(21)
    with pytest.raises(ValueError, match="seed_size at most the budget"):
        run(5, seed_size=6)
    used = SimulatedAnnotator(y)
    used.annotate([0])
    with pytest.raises(ValueError, match="fresh annotator"):
        run(5, annotator=used)
    with pytest.raises(ValueError, match="budget of at least 12"):
        run(12, annotator=SimulatedAnnotator(y, budget=5))
    with pytest.raises(ValueError, match="labels for all 40 cells"):
        run(5, annotator=SimulatedAnnotator(y[:10]))
    with pytest.raises(TypeError, match="SimulatedAnnotator"):
        run(5, annotator=y)
    with pytest.raises(ValueError, match="y_val"):
        run(5, y_val=y[val].astype(float))
    with pytest.raises(ValueError, match="strategy"):
        run(12, strategy="greedy")

    def logits(x_labelled, y_labelled, x_eval):
        return np.stack([x_eval[:, 0], -x_eval[:, 0]], axis=1)

    with pytest.raises(ValueError, match="returned by fit_predict"):
        run(12, fit_predict=logits)

    def too_few(x_labelled, y_labelled, x_eval):
        return np.full((3, 2), 0.5)

    with pytest.raises(ValueError, match="one row per evaluated cell"):
        run(12, fit_predict=too_few)


# --- the plateau -------------------------------------------------------------------------------


def test_labels_to_reach():
    n = [10, 20, 40, 80]
    assert labels_to_reach(n, [0.5, 0.8, 0.9, 0.92]) == 40  # 0.95 * 0.92 = 0.874
    assert labels_to_reach(n, [0.5, 0.8, 0.9, 0.92], fraction=0.8) == 20
    assert labels_to_reach(n, [0.5, 0.95, 0.9, 0.92]) == 20  # the first crossing counts
    assert labels_to_reach([20, 40, 80], [0.2, 0.4, 0.8], fraction=0.5) == 40  # >=, not >
    assert labels_to_reach(n, [0.5, 0.8, 0.9, 0.92], target=0.85) == 40
    assert labels_to_reach(n, [0.5, 0.8, 0.9, 0.92], target=0.99) is None
    assert isinstance(labels_to_reach(np.array(n), np.array([0.1, 0.2, 0.3, 0.4])), int)


def test_labels_to_reach_errors():
    with pytest.raises(ValueError, match="same, non-zero length"):
        labels_to_reach([10, 20], [0.5])
    with pytest.raises(ValueError, match="increasing"):
        labels_to_reach([20, 10], [0.5, 0.6])
    with pytest.raises(ValueError, match=r"fraction in \(0, 1\]"):
        labels_to_reach([10, 20], [0.5, 0.6], fraction=1.5)
    with pytest.raises(ValueError, match="finite"):
        labels_to_reach([10, 20], [0.5, np.nan])
    with pytest.raises(TypeError, match="target"):
        labels_to_reach([10, 20], [0.5, 0.6], target="high")
