"""Tests of cellcourse.metrics.tracking on hand-made track tables, cross-checked with peers."""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pandas as pd
import pytest

from cellcourse import synthetic, tracking
from cellcourse.metrics import tracking as mt


def _tracks(rows):
    """Track table from (frame, track_id, parent_id, y, x) rows."""
    return pd.DataFrame(rows, columns=["frame", "track_id", "parent_id", "y", "x"])


# A hand-made truth, 4 frames, one division:
#
#   frame:     0      1      2      3
#   track 1:  (0,0)--(0,1)--(0,2)
#                              +---- track 2: (-3,3)      (parent 1)
#                              +---- track 3: ( 3,3)      (parent 1)
#   track 4:  (20,0)-(20,1)-(20,2)-(20,3)
#
# 11 vertices; edges: 2 in track 1, 3 in track 4, 2 parent links = 7 edges.
TRUTH = _tracks(
    [
        (0, 1, 0, 0.0, 0.0),
        (1, 1, 0, 0.0, 1.0),
        (2, 1, 0, 0.0, 2.0),
        (3, 2, 1, -3.0, 3.0),
        (3, 3, 1, 3.0, 3.0),
        (0, 4, 0, 20.0, 0.0),
        (1, 4, 0, 20.0, 1.0),
        (2, 4, 0, 20.0, 2.0),
        (3, 4, 0, 20.0, 3.0),
    ]
)
N_VERTICES, N_EDGES = 9, 7
AOGM0 = 10 * N_VERTICES + 1.5 * N_EDGES


def test_public_api_is_documented():
    functions = {
        "complete_tracks", "detection_scores", "division_scores", "link_scores",
        "match_detections", "tra_score", "tracking_scores",
    }  # fmt: skip
    assert set(mt.__all__) == functions | {
        "AOGM_WEIGHTS", "CompleteTracks", "Scores", "TraScore", "TrackingScores"
    }  # fmt: skip
    for name in functions:
        assert "Examples" in getattr(mt, name).__doc__, name
    assert mt.AOGM_WEIGHTS == {"NS": 5, "FN": 10, "FP": 1, "ED": 1, "EA": 1.5, "EC": 1}


def test_identity_scores_one():
    scores = mt.tracking_scores(TRUTH, TRUTH, max_distance=0.5)
    for value in scores.to_dict().values():
        if value != scores.tra.aogm:
            assert value == 1.0
    assert scores.tra.aogm == 0 and scores.tra.aogm0 == AOGM0
    assert (scores.link.tp, scores.division.tp, scores.complete.n_complete) == (7, 1, 4)
    # renumbered and shuffled, with jittered positions: still perfect
    other = TRUTH.sample(frac=1, random_state=1).assign(
        track_id=lambda t: t["track_id"] * 10, parent_id=lambda t: t["parent_id"] * 10
    )
    other[["y", "x"]] += 0.3
    assert mt.tracking_scores(TRUTH, other, max_distance=0.5).tra.tra == 1.0


def test_one_broken_link():
    # track 4 is cut after frame 1: the rest becomes track 5 without a parent
    pred = TRUTH.copy()
    pred.loc[(pred["track_id"] == 4) & (pred["frame"] >= 2), "track_id"] = 5
    link = mt.link_scores(TRUTH, pred, max_distance=0.5)
    assert (link.tp, link.fp, link.fn) == (6, 0, 1)
    assert link.precision == 1.0 and link.recall == pytest.approx(6 / 7)
    assert link.f1 == pytest.approx(12 / 13)
    tra = mt.tra_score(TRUTH, pred, max_distance=0.5)
    assert (tra.ea, tra.ed, tra.ec, tra.fn, tra.fp, tra.ns) == (1, 0, 0, 0, 0, 0)
    assert tra.aogm == 1.5 and tra.tra == pytest.approx(1 - 1.5 / AOGM0)
    complete = mt.complete_tracks(TRUTH, pred, max_distance=0.5)
    # track 4 is incomplete; CT = 2 * 3 / (4 true + 5 predicted tracks)
    assert (complete.n_complete, complete.fraction, complete.ct) == (3, 0.75, pytest.approx(6 / 9))
    assert mt.division_scores(TRUTH, pred, max_distance=0.5).f1 == 1.0


def test_one_missed_division():
    # the prediction follows the mother into daughter 2 and starts daughter 3 anew:
    #   track 1: (0,0)-(0,1)-(0,2)-(-3,3);  track 3: (3,3) without a parent
    pred = TRUTH.copy()
    pred.loc[pred["track_id"] == 2, "track_id"] = 1
    pred.loc[pred["track_id"] == 3, "parent_id"] = 0
    pred.loc[pred["track_id"] == 1, "parent_id"] = 0
    division = mt.division_scores(TRUTH, pred, max_distance=0.5)
    assert (division.tp, division.fp, division.fn) == (0, 0, 1)
    assert division.recall == 0.0 and division.precision == 0.0  # nothing predicted, 0/0
    tra = mt.tra_score(TRUTH, pred, max_distance=0.5)
    # the parent link 1 -> 3 is missing (EA) and 1 -> 2 is a track link, not a parent link (EC)
    assert (tra.ea, tra.ec, tra.ed) == (1, 1, 0)
    assert tra.aogm == 2.5
    link = mt.link_scores(TRUTH, pred, max_distance=0.5)
    assert (link.tp, link.fp, link.fn) == (6, 0, 1)  # a link of the wrong kind is still a link


def test_missed_and_spurious_detections():
    pred = TRUTH[TRUTH["track_id"] != 3]  # daughter 3 missed
    pred = pd.concat([pred, _tracks([(1, 9, 0, 50.0, 50.0)])], ignore_index=True)  # spurious
    pred.loc[pred["track_id"] == 2, "parent_id"] = 1
    det = mt.detection_scores(TRUTH, pred, max_distance=0.5)
    assert (det.tp, det.fp, det.fn) == (8, 1, 1)
    tra = mt.tra_score(TRUTH, pred, max_distance=0.5)
    assert (tra.fn, tra.fp, tra.ea, tra.ed, tra.ec) == (1, 1, 1, 0, 0)
    assert tra.aogm == 10 + 1 + 1.5
    # a mother with one daughter is no division
    assert mt.division_scores(TRUTH, pred, max_distance=0.5).fn == 1
    # the spurious track's row never matches: link precision counts only links
    assert mt.link_scores(TRUTH, pred, max_distance=0.5).precision == 1.0


def test_annotated_only_ignores_links_between_unannotated_detections():
    extra = _tracks([(0, 9, 0, 50.0, 50.0), (1, 9, 0, 50.0, 51.0)])  # not in the truth
    pred = pd.concat([TRUTH, extra], ignore_index=True)
    assert mt.link_scores(TRUTH, pred, max_distance=0.5).precision == pytest.approx(7 / 8)
    assert mt.link_scores(TRUTH, pred, max_distance=0.5, annotated_only=True).precision == 1.0


def test_division_found_one_frame_late_needs_a_tolerance():
    #   frame:        0       1        2        3
    #   truth:   1: (0,0)---(0,1)--+-- 2: (-3,2)---(-3,3)
    #                              +-- 3: ( 3,2)---( 3,3)
    #   pred:    1: (0,0)---(0,1)---(-3,2)--+-- 2: (-3,3)
    #            4:                  (3,2)  +-- 3: ( 3,3)
    truth = _tracks(
        [(0, 1, 0, 0.0, 0.0), (1, 1, 0, 0.0, 1.0), (2, 2, 1, -3.0, 2.0), (2, 3, 1, 3.0, 2.0),
         (3, 2, 1, -3.0, 3.0), (3, 3, 1, 3.0, 3.0)]
    )  # fmt: skip
    pred = _tracks(
        [(0, 1, 0, 0.0, 0.0), (1, 1, 0, 0.0, 1.0), (2, 1, 0, -3.0, 2.0), (2, 4, 0, 3.0, 2.0),
         (3, 2, 1, -3.0, 3.0), (3, 3, 1, 3.0, 3.0)]
    )  # fmt: skip
    on_time = mt.division_scores(truth, pred, max_distance=0.5)
    assert (on_time.tp, on_time.fp, on_time.fn) == (0, 1, 1)
    late = mt.division_scores(truth, pred, max_distance=0.5, tolerance=1)
    assert (late.tp, late.fp, late.fn) == (1, 0, 0)
    # the mothers must be the same cell: move the predicted mother away at frame 1
    elsewhere = pred.copy()
    elsewhere.loc[(elsewhere["track_id"] == 1) & (elsewhere["frame"] == 1), "y"] = 9.0
    assert mt.division_scores(truth, elsewhere, max_distance=0.5, tolerance=1).tp == 0


def test_overlap_matching_counts_a_merge_as_non_split():
    # two true cells side by side; the prediction covers both with one object
    true_labels = np.zeros((2, 4, 6), dtype=np.int32)
    true_labels[:, 1:3, 0:2] = 1
    true_labels[:, 1:3, 3:5] = 2
    pred_labels = np.zeros_like(true_labels)
    pred_labels[:, 1:3, 0:5] = 1
    truth = pd.DataFrame(
        {"frame": [0, 0, 1, 1], "label": [1, 2, 1, 2], "track_id": [1, 2, 1, 2], "parent_id": 0}
    )
    pred = pd.DataFrame({"frame": [0, 1], "label": [1, 1], "track_id": [1, 1], "parent_id": 0})
    kwargs = dict(true_labels=true_labels, pred_labels=pred_labels)
    tra = mt.tra_score(truth, pred, **kwargs)
    # 2 NS (one per frame); merged vertices take no part in edge checks: 2 EA
    assert (tra.ns, tra.fn, tra.fp, tra.ea, tra.ed) == (2, 0, 0, 2, 0)
    assert tra.aogm == 2 * 5 + 2 * 1.5
    matches = mt.match_detections(truth, pred, **kwargs)
    assert matches["pred_row"].tolist() == [0, 0, 1, 1]
    assert mt.detection_scores(truth, pred, **kwargs).tp == 0


def test_empty_tables():
    empty = TRUTH.iloc[:0]
    scores = mt.tracking_scores(empty, empty, max_distance=1)
    assert scores.link.f1 == 1.0 and scores.tra.tra == 1.0 and scores.division.f1 == 1.0
    missed = mt.tracking_scores(TRUTH, empty, max_distance=1)
    assert missed.detection.recall == 0.0 and missed.tra.tra == 0.0


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({}, ValueError, "give max_distance"),
        ({"max_distance": 1, "true_labels": np.zeros((4, 2, 2), np.int32)}, ValueError, "not both"),
        ({"true_labels": np.zeros((4, 2, 2), np.int32)}, ValueError, "both true_labels"),
        ({"max_distance": -1}, ValueError, "max_distance"),
        ({"max_distance": 1, "tolerance": -1}, ValueError, "tolerance"),
        ({"max_distance": 1, "annotated_only": 1}, TypeError, "annotated_only"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        mt.tracking_scores(TRUTH, TRUTH, **kwargs)


def test_bad_tables():
    with pytest.raises(ValueError, match="missing"):
        mt.link_scores(TRUTH.drop(columns="parent_id"), TRUTH, max_distance=1)
    with pytest.raises(ValueError, match="not a track"):
        mt.link_scores(TRUTH, TRUTH.assign(parent_id=7), max_distance=1)
    with pytest.raises(ValueError, match="one row per"):
        mt.link_scores(TRUTH, TRUTH.assign(track_id=1), max_distance=1)
    with pytest.raises(ValueError, match="label"):
        mt.link_scores(
            TRUTH, TRUTH, true_labels=np.zeros((4, 2, 2), np.int32),
            pred_labels=np.zeros((4, 2, 2), np.int32),
        )  # fmt: skip
    labelled = TRUTH.assign(label=TRUTH["track_id"])
    with pytest.raises(ValueError, match="does not contain"):
        mt.link_scores(
            labelled, labelled, true_labels=np.zeros((4, 2, 2), np.int32),
            pred_labels=np.zeros((4, 2, 2), np.int32),
        )  # fmt: skip


# --- cross-checks against py-ctcmetrics and traccuracy --------------------------------------
@pytest.fixture(scope="module")
def ctc_pair(tmp_path_factory):
    """A synthetic truth and an imperfect result, both as CTC folders of markers."""
    movie = synthetic.time_lapse(n_frames=20, n_cells=12, p_divide=0.06, rng=3)
    rng = np.random.default_rng(0)
    detections = movie.tracks[["frame", "label", "y", "x"]]
    detections = detections[rng.random(len(detections)) > 0.05].copy()  # 5 % missed
    detections[["y", "x"]] += rng.uniform(-0.5, 0.5, (len(detections), 2))
    spurious = pd.DataFrame(
        {"frame": [2, 7, 11, 15], "label": 1000 + np.arange(4), "y": [5.0, 120, 64, 30],
         "x": [5.0, 120, 10, 100]}
    )  # fmt: skip
    detections = pd.concat([detections, spurious], ignore_index=True)
    pred = tracking.link(detections, max_distance=7, max_gap=1, divisions=True).tracks
    root = tmp_path_factory.mktemp("ctc")
    shape = movie.labels.shape
    tracking.write_ctc_result(root / "GT", movie.tracks, shape=shape, radius=2, ground_truth=True)
    tracking.write_ctc_result(root / "RES", pred, shape=shape, radius=3)
    truth, result = tracking.read_ctc(root / "GT"), tracking.read_ctc(root / "RES")
    ours = mt.tracking_scores(
        truth.tracks, result.tracks, true_labels=truth.labels, pred_labels=result.labels
    )
    return root, movie, pred, ours


def test_matches_py_ctcmetrics(ctc_pair):
    pytest.importorskip("ctc_metrics")
    from ctc_metrics.scripts.evaluate import evaluate_sequence

    root, _, _, ours = ctc_pair
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        theirs = evaluate_sequence(
            str(root / "RES"), str(root / "GT"), metrics=["TRA", "CT", "BC"], threads=1
        )
    assert ours.tra.tra == pytest.approx(theirs["TRA"])
    assert ours.tra.aogm == pytest.approx(theirs["AOGM"])
    for key in ("NS", "FN", "FP", "ED", "EA", "EC"):
        assert getattr(ours.tra, key.lower()) == theirs[f"AOGM_{key}"], key
    assert ours.tra.fn > 0 and ours.tra.fp > 0 and ours.tra.ea > 0  # a non-trivial case
    assert ours.complete.ct == pytest.approx(theirs["CT"])
    assert ours.division.tp == theirs["tp_div(0)"] > 0
    assert (ours.division.fp, ours.division.fn) == (theirs["fp_div(0)"], theirs["fn_div(0)"])


def _point_graph(tracks):
    """A track table as a traccuracy graph: one node per row, edges to the next detection."""
    import networkx as nx
    from traccuracy import TrackingGraph

    table = tracks.reset_index(drop=True)
    lineage = tracking.lineage_from_tracks(table)
    ends = dict(zip(lineage["track_id"], lineage["end"], strict=True))
    keys = zip(table["track_id"], table["frame"], strict=True)
    row_of = {key: k for k, key in enumerate(keys)}
    graph = nx.DiGraph()
    for k, (tid, frame, pid, y, x) in enumerate(
        table[["track_id", "frame", "parent_id", "y", "x"]].itertuples(index=False)
    ):
        graph.add_node(k + 1, t=int(frame), y=float(y), x=float(x))
        before = row_of.get((tid, frame - 1))
        if before is None and pid:
            before = row_of[(pid, ends[pid])]
        if before is not None:
            graph.add_edge(before + 1, k + 1)
    return TrackingGraph(graph, frame_key="t", location_keys=("y", "x"))


@pytest.mark.slow  # importing traccuracy compiles numba functions: about 5 s
def test_matches_traccuracy(ctc_pair):
    pytest.importorskip("traccuracy")
    from traccuracy import run_metrics
    from traccuracy.loaders import load_ctc_data
    from traccuracy.matchers import CTCMatcher, PointMatcher
    from traccuracy.metrics import BasicMetrics, CTCMetrics, DivisionMetrics

    root, movie, pred, ours = ctc_pair
    by_distance = mt.tracking_scores(movie.tracks, pred, max_distance=2.0)
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        on_masks, _ = run_metrics(
            gt_data=load_ctc_data(str(root / "GT" / "TRA")),
            pred_data=load_ctc_data(str(root / "RES")),
            matcher=CTCMatcher(),
            metrics=[CTCMetrics(), BasicMetrics(), DivisionMetrics()],
        )
        on_points, _ = run_metrics(
            gt_data=_point_graph(movie.tracks),
            pred_data=_point_graph(pred),
            matcher=PointMatcher(threshold=2.0),
            metrics=[BasicMetrics(), DivisionMetrics()],
        )
    # 1. CTC folders, matched by marker overlap
    theirs = {r["metric"]["name"]: r["results"] for r in on_masks}
    assert ours.tra.tra == pytest.approx(theirs["CTCMetrics"]["TRA"])
    basic = theirs["BasicMetrics"]
    assert ours.link.precision == pytest.approx(basic["Edge Precision"])
    assert ours.link.recall == pytest.approx(basic["Edge Recall"])
    assert ours.link.f1 == pytest.approx(basic["Edge F1"])
    assert ours.detection.recall == pytest.approx(basic["Node Recall"])
    division = theirs["DivisionMetrics"]["Frame Buffer 0"]
    assert ours.division.recall == pytest.approx(division["Division Recall"])
    assert ours.division.f1 == pytest.approx(division["Division F1"])
    # 2. track tables, matched by distance
    theirs = {r["metric"]["name"]: r["results"] for r in on_points}
    basic = theirs["BasicMetrics"]
    assert (by_distance.link.tp, by_distance.link.fp, by_distance.link.fn) == (
        basic["True Positive Edges"],
        basic["False Positive Edges"],
        basic["False Negative Edges"],
    )
    assert by_distance.detection.tp == basic["True Positive Nodes"]
    division = theirs["DivisionMetrics"]["Frame Buffer 0"]
    assert by_distance.division.tp == division["True Positive Divisions"] > 0
    assert by_distance.division.fn == (
        division["False Negative Divisions"] + division["Wrong Children Divisions"]
    )
