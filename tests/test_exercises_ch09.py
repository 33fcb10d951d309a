"""Chapter 09 checks, tested both ways: solutions pass, typical mistakes get helpful feedback."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from exercise_helpers import assert_odd_objects_get_feedback, failed, run_solution
from scipy.optimize import linear_sum_assignment

from cellcourse.exercises import Outcome, ch09
from cellcourse.metrics.tracking import link_scores

# --- the course's versions, worked out by hand ---------------------------------------------------


def test_course_versions_by_hand():
    a = np.array([[0.0, 0.0], [0.0, 4.0]])
    b = np.array([[0.0, 7.0], [0.0, 3.0]])
    # squared distances 49, 9 / 9, 1; the gate (5 px = 25 px²) forbids the 49
    np.testing.assert_array_equal(ch09.gated_costs(a, b, 5), [[np.inf, 9.0], [9.0, 1.0]])
    # the cheapest pairing is 9 + 9, not 1 + (forbidden)
    assert ch09.link_two_frames(a, b, 5).tolist() == [[0, 1], [1, 0]]
    # nothing within the gate: no link, and no error from the solver
    assert ch09.link_two_frames(a, b + 100, 5).shape == (0, 2)
    tracks = pd.DataFrame(
        {"frame": [1, 0, 0, 1], "y": [3.0, 0.0, 5.0, 5.0], "x": [4.0, 0.0, 5.0, 6.0]}
    ).assign(track_id=[1, 1, 2, 2])
    assert sorted(ch09.step_lengths(tracks).tolist()) == [1.0, 5.0]


def test_count_links_agrees_with_the_library():
    rng = np.random.default_rng(0)
    # 3 cells over 4 frames; the result swaps two of them from frame 2 on
    rows = [
        (t, k + 1, 10.0 * k + rng.normal(), float(t), k + 1, 0) for t in range(4) for k in range(3)
    ]
    truth = pd.DataFrame(rows, columns=["frame", "label", "y", "x", "track_id", "parent_id"])
    pred = truth.copy()
    late = pred["frame"] >= 2
    pred.loc[late & (pred["track_id"] == 1), "track_id"] = 99
    pred.loc[late & (pred["track_id"] == 2), "track_id"] = 1
    pred.loc[pred["track_id"] == 99, "track_id"] = 2
    tp, fp, fn = ch09.count_links(truth, pred)
    assert (tp, fp, fn) == (7, 2, 2)  # 9 true links; the two crossing at frames 1 -> 2 are wrong
    scores = link_scores(truth, pred, max_distance=0.1)
    assert (scores.tp, scores.fp, scores.fn) == (tp, fp, fn)


# --- Exercise 9.1 --------------------------------------------------------------------------------


def test_q1_gated_costs():
    ch09.q1.assert_check_passed(run_solution(ch09.q1)["gated_costs"])
    ch09.q1.assert_check_passed(ch09.gated_costs)

    def with_scipy(points_a, points_b, max_distance):
        from scipy.spatial.distance import cdist

        costs = cdist(points_a, points_b, "sqeuclidean")
        return np.where(costs > max_distance**2, np.inf, costs)

    ch09.q1.assert_check_passed(with_scipy)


def test_q1_typical_mistakes():
    def distances(points_a, points_b, max_distance):
        d = np.sqrt(ch09.gated_costs(points_a, points_b, np.inf))
        return np.where(d > max_distance, np.inf, d)

    def no_gate(points_a, points_b, max_distance):
        return ch09.gated_costs(points_a, points_b, np.inf)

    def gate_on_squares(points_a, points_b, max_distance):
        costs = ch09.gated_costs(points_a, points_b, np.inf)
        return np.where(costs > max_distance, np.inf, costs)

    def big_number(points_a, points_b, max_distance):
        costs = ch09.gated_costs(points_a, points_b, max_distance)
        return np.where(np.isinf(costs), 1e9, costs)

    def transposed(points_a, points_b, max_distance):
        return ch09.gated_costs(points_a, points_b, max_distance).T

    def strict_gate(points_a, points_b, max_distance):  # forbids a pair exactly at the gate
        costs = ch09.gated_costs(points_a, points_b, np.inf)
        return np.where(costs >= max_distance**2, np.inf, costs)

    assert "*squared* distance" in failed(ch09.q1, distances)
    assert "no gate" in failed(ch09.q1, no_gate)
    assert "max_distance ** 2" in failed(ch09.q1, gate_on_squares)
    assert "`np.inf`" in failed(ch09.q1, big_number)
    assert "(N, M)" in failed(ch09.q1, transposed)
    message = failed(ch09.q1, strict_gate)  # no diagnosis: the general message names the case
    assert "exactly 5 px apart" in message and "test 1 of 3" in message
    assert "forget the `return`" in failed(ch09.q1, lambda a, b, d: None)
    assert "should be a function" in failed(ch09.q1, np.zeros((2, 2)))
    ch09.q1.assert_check_unattempted(...)
    ch09.q1.assert_check_unattempted(lambda a, b, d: ...)
    assert_odd_objects_get_feedback(ch09.q1)


# --- Exercise 9.2 --------------------------------------------------------------------------------


def test_q2_link_two_frames():
    solution = run_solution(ch09.q2, gated_costs=ch09.gated_costs)["link_two_frames"]
    message = ch09.q2.assert_check_passed(solution).message
    assert "smallest total cost" in message
    ch09.q2.assert_check_passed(ch09.link_two_frames)
    ch09.q2.assert_check_passed(lambda a, b, d: ch09.link_two_frames(a, b, d).tolist())

    def augmented(points_a, points_b, max_distance):  # Jaqaman et al.'s birth and death costs
        costs = ch09.gated_costs(points_a, points_b, max_distance)
        n, m = costs.shape
        alternative = max_distance**2
        matrix = np.full((n + m, m + n), np.inf)
        matrix[:n, :m] = costs
        matrix[:n, m:][np.diag_indices(n)] = alternative
        matrix[n:, :m][np.diag_indices(m)] = alternative
        matrix[n:, m:] = 0
        rows, cols = linear_sum_assignment(matrix)
        real = (rows < n) & (cols < m)
        return np.stack([rows[real], cols[real]], axis=1)

    ch09.q2.assert_check_passed(augmented)


def test_q2_typical_mistakes():
    def infinite_costs(points_a, points_b, max_distance):
        rows, cols = linear_sum_assignment(ch09.gated_costs(points_a, points_b, max_distance))
        return np.stack([rows, cols], axis=1)

    def raw_output(points_a, points_b, max_distance):
        costs = ch09.gated_costs(points_a, points_b, max_distance)
        return linear_sum_assignment(np.where(np.isinf(costs), 1e12, costs))

    def not_dropped(points_a, points_b, max_distance):
        costs = ch09.gated_costs(points_a, points_b, max_distance)
        return np.stack(linear_sum_assignment(np.where(np.isinf(costs), 1e12, costs)), axis=1)

    def nearest_neighbour(points_a, points_b, max_distance):
        costs = ch09.gated_costs(points_a, points_b, max_distance)
        nearest = np.argmin(costs, axis=1)
        i = np.flatnonzero(np.isfinite(costs[np.arange(len(costs)), nearest]))
        return np.stack([i, nearest[i]], axis=1)

    def greedy(points_a, points_b, max_distance):  # cheapest pair first, never revisited
        costs = ch09.gated_costs(points_a, points_b, max_distance)
        pairs, used_i, used_j = [], set(), set()
        for flat in np.argsort(costs, axis=None):
            i, j = np.unravel_index(flat, costs.shape)
            if np.isfinite(costs[i, j]) and i not in used_i and j not in used_j:
                pairs.append((i, j))
                used_i.add(i)
                used_j.add(j)
        return np.array(pairs, dtype=int).reshape(-1, 2)

    assert "large finite number" in failed(ch09.q2, infinite_costs)
    assert "two index arrays" in failed(ch09.q2, raw_output)
    assert "beyond max_distance=5" in failed(ch09.q2, not_dropped)
    assert "links one cell to two" in failed(ch09.q2, nearest_neighbour)
    message = failed(ch09.q2, greedy)
    assert "best pairing" in message and "test 2 of 4" in message
    message = failed(ch09.q2, lambda a, b, d: ch09.link_two_frames(a, b, d).T)
    assert "shape (K, 2)" in message
    assert "forget `return`" in failed(ch09.q2, lambda a, b, d: None)
    assert "raised KeyError" in failed(ch09.q2, lambda a, b, d: {}["x"])
    assert "should be a function" in failed(ch09.q2, np.zeros((2, 2)))
    ch09.q2.assert_check_unattempted(...)
    ch09.q2.assert_check_unattempted(lambda a, b, d: ...)
    assert_odd_objects_get_feedback(ch09.q2)


# --- Exercise 9.3 --------------------------------------------------------------------------------


def test_q3_count_links():
    solution = run_solution(ch09.q3)["count_links"]
    message = ch09.q3.assert_check_passed(solution).message
    assert "divisions included" in message
    ch09.q3.assert_check_passed(ch09.count_links)
    ch09.q3.assert_check_passed(lambda t, p: list(ch09.count_links(t, p)))
    ch09.q3.assert_check_passed(lambda t, p: np.array(ch09.count_links(t, p)))


def test_q3_typical_mistakes():
    def variant(**options):
        def count(true, pred):
            settings = {"key": "label", "sort": True, "parents": True, **options}
            return ch09._counts(
                ch09._variant_links(true, **settings), ch09._variant_links(pred, **settings)
            )

        return count

    def swapped(true, pred):
        tp, fp, fn = ch09.count_links(true, pred)
        return tp, fn, fp

    assert "by track id" in failed(ch09.q3, variant(key="track_id"))
    message = failed(ch09.q3, variant(parents=False))
    assert "mother" in message and "test 4 of 6" in message
    assert "Sort by track and frame" in failed(ch09.q3, variant(sort=False))
    assert "(tp, fn, fp)" in failed(ch09.q3, swapped)
    assert "by hand" in failed(ch09.q3, lambda t, p: (1, 2, 3))
    assert "three whole numbers" in failed(ch09.q3, lambda t, p: {"tp": 4, "fp": 0, "fn": 0})
    assert "three whole numbers" in failed(ch09.q3, lambda t, p: (4.0, 0.0, 0.0))
    assert "forget `return`" in failed(ch09.q3, lambda t, p: None)
    assert "raised KeyError" in failed(ch09.q3, lambda t, p: t["no such column"])
    assert "should be a function" in failed(ch09.q3, (4, 0, 0))
    ch09.q3.assert_check_unattempted(...)
    ch09.q3.assert_check_unattempted(lambda t, p: ...)
    assert_odd_objects_get_feedback(ch09.q3)


def test_q3_cases_by_hand():
    # the expected counts in the checker were worked out by hand; the course's version agrees
    for true, pred, expected, _ in ch09._link_count_cases():
        assert ch09.count_links(true, pred) == expected


# --- Exercise 9.4 --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cellmigration(data_env):
    from cellcourse.tracking_data import load_cellmigration

    ch09._cellmigration_window.cache_clear()  # load from this module's fresh cache
    yield load_cellmigration(progress=False)
    ch09._cellmigration_window.cache_clear()


def _neighbour_distances(data):
    from scipy.spatial import cKDTree

    parts = [
        cKDTree(f[["y", "x"]].to_numpy()).query(f[["y", "x"]].to_numpy(), k=2)[0][:, 1]
        for _, f in data.detections.groupby("frame")
    ]
    return np.concatenate(parts)


def test_q4_solution_and_gate(cellmigration):
    solution = run_solution(
        ch09.q4,
        cellmigration=cellmigration,
        neighbour_distances=_neighbour_distances(cellmigration),
    )
    message = ch09.q4.assert_check_passed(
        solution["step_lengths"], solution["max_distance"]
    ).message
    assert "99% of the steps (8.1 px)" in message and "95% of the cells (18.8 px)" in message
    ch09.q4.assert_check_passed(ch09.step_lengths, np.float64(12.0))
    ch09.q4.assert_check_passed(ch09.step_lengths, np.array(10))
    assert "shorter than more than 1%" in failed(ch09.q4, ch09.step_lengths, 3.6)  # the median
    assert "nearest neighbour" in failed(ch09.q4, ch09.step_lengths, 30)
    assert "one number" in failed(ch09.q4, ch09.step_lengths, "15")
    assert "one number" in failed(ch09.q4, ch09.step_lengths, [10, 15])


def test_q4_step_length_mistakes():
    def no_groups(tracks):
        table = tracks.sort_values(["track_id", "frame"])
        return np.hypot(np.diff(table["y"]), np.diff(table["x"]))

    def unsorted(tracks):
        by_track = tracks.groupby("track_id")
        return np.hypot(by_track["y"].diff(), by_track["x"].diff()).dropna().to_numpy()

    def with_nan(tracks):
        table = tracks.sort_values(["track_id", "frame"])
        by_track = table.groupby("track_id")
        return np.hypot(by_track["y"].diff(), by_track["x"].diff()).to_numpy()

    def squared(tracks):
        return ch09.step_lengths(tracks) ** 2

    def displacements(tracks):
        table = tracks.sort_values(["track_id", "frame"])
        return table.groupby("track_id")[["y", "x"]].diff().dropna().to_numpy()

    # the step lengths are checked first, without the data
    assert "end of one track" in failed(ch09.q4, no_groups, 15.0)
    assert "Sort each track by frame" in failed(ch09.q4, unsorted, 15.0)
    assert "NaN" in failed(ch09.q4, with_nan, 15.0)
    assert "squared distances" in failed(ch09.q4, squared, 15.0)
    assert "1-D array" in failed(ch09.q4, displacements, 15.0)
    assert "raised KeyError" in failed(ch09.q4, lambda tracks: tracks["z"], 15.0)
    assert "should be a function" in failed(ch09.q4, np.zeros(3), 15.0)
    ch09.q4.assert_check_unattempted(..., ...)
    ch09.q4.assert_check_unattempted(ch09.step_lengths, ...)
    ch09.q4.assert_check_unattempted(lambda tracks: ..., 15.0)
    assert_odd_objects_get_feedback(ch09.q4, 15.0)
    assert "takes 2 answers" in failed(ch09.q4, ch09.step_lengths)


# --- Exercise 9.5 and all ------------------------------------------------------------------------


def test_q5_is_a_thought_exercise():
    result = ch09.q5.assert_check_passed()
    assert result.outcome is Outcome.VIEWED
    solution = ch09.q5.solution_code
    assert "dense" in solution and "border" in solution and "max_gap" in solution


def test_exercises_have_hints_and_solutions():
    for exercise in (ch09.q1, ch09.q2, ch09.q3, ch09.q4, ch09.q5):
        assert exercise.chapter == "09" and exercise.title and exercise.solution_code
        assert 2 <= len(exercise.hints) <= 3
