"""Tests of cellcourse.tracking: detection, LAP linking, overlap linking, the CTC format."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial import cKDTree

from cellcourse import synthetic, tracking
from cellcourse.metrics import tracking as mt


def _table(rows, columns=("frame", "y", "x")):
    return pd.DataFrame(rows, columns=list(columns))


def _true_lineage(movie):
    return movie.lineage


def test_public_api_is_documented():
    assert set(tracking.__all__) == {
        "CtcData", "LinkResult", "detect", "lineage_from_tracks", "link", "link_by_overlap",
        "read_ctc", "to_ctc", "write_ctc_result",
    }  # fmt: skip
    for name in tracking.__all__:
        doc = getattr(tracking, name).__doc__
        assert doc and (name[0].isupper() or "Examples" in doc), name


# --- detect -------------------------------------------------------------------------------
def test_detect_measures_every_object_of_every_frame():
    labels = np.zeros((3, 6, 6), dtype=np.uint16)
    labels[0, 0:2, 0:2] = 4  # centroid (0.5, 0.5), area 4
    labels[0, 3:6, 3:4] = 9  # centroid (4, 3), area 3
    labels[2, 1, 1:4] = 1  # frame 1 is empty
    image = np.arange(labels.size, dtype=np.float32).reshape(labels.shape)
    table = tracking.detect(labels, image)
    assert list(table.columns) == ["frame", "label", "y", "x", "area", "mean_intensity"]
    assert table[["frame", "label", "area"]].to_numpy().tolist() == [
        [0, 4, 4],
        [0, 9, 3],
        [2, 1, 3],
    ]
    assert table[["y", "x"]].to_numpy().tolist() == [[0.5, 0.5], [4.0, 3.0], [1.0, 2.0]]
    # mean of image[0, 0:2, 0:2] = (0 + 1 + 6 + 7) / 4
    assert table["mean_intensity"].iloc[0] == pytest.approx(3.5)
    assert table["frame"].dtype == np.int64 and table["label"].dtype == np.int64


def test_detect_of_empty_movie_has_the_columns_and_no_rows():
    table = tracking.detect(np.zeros((2, 4, 4), dtype=np.int32))
    assert len(table) == 0
    assert list(table.columns) == ["frame", "label", "y", "x", "area"]


@pytest.mark.parametrize(
    ("labels", "image", "error", "match"),
    [
        (np.zeros((4, 4), np.int32), None, ValueError, r"\(T, Y, X\), got \(4, 4\)"),
        (np.zeros((1, 4, 4), np.float32), None, ValueError, "integer"),
        (-np.ones((1, 4, 4), np.int32), None, ValueError, "negative"),
        ([[[0]]], None, TypeError, "numpy array"),
        (np.zeros((1, 4, 4), np.int32), np.zeros((1, 4, 5)), ValueError, r"\(1, 4, 5\)"),
    ],
)
def test_detect_rejects_bad_input(labels, image, error, match):
    with pytest.raises(error, match=match):
        tracking.detect(labels, image)


# --- link: correctness on synthetic movies --------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_link_returns_a_perfect_track_table_unchanged(seed):
    movie = synthetic.time_lapse(n_frames=20, n_cells=8, p_divide=0.0, rng=seed)
    result = tracking.link(movie.tracks[["frame", "label", "y", "x"]], max_distance=5)
    # same detections in, same ids out: ids are numbered by first frame, then row
    assert result.tracks["track_id"].tolist() == movie.tracks["track_id"].tolist()
    assert (result.tracks["parent_id"] == 0).all()
    pd.testing.assert_frame_equal(result.lineage, _true_lineage(movie))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_link_finds_the_divisions_of_a_synthetic_movie(seed):
    movie = synthetic.time_lapse(n_frames=25, n_cells=8, p_divide=0.06, rng=seed)
    assert (movie.lineage["parent_id"] > 0).sum() >= 4  # the movie has divisions to find
    detections = movie.tracks[["frame", "label", "y", "x"]]
    # daughters start radius + 0.5 = 5.5 px from the mother: the gate must allow that
    found = tracking.link(detections, max_distance=7, divisions=True)
    pd.testing.assert_frame_equal(found.lineage, _true_lineage(movie))
    plain = tracking.link(detections, max_distance=7)
    assert (plain.lineage["parent_id"] == 0).all()


def test_link_keeps_input_order_and_index_and_ignores_row_order():
    movie = synthetic.time_lapse(n_frames=15, n_cells=8, p_divide=0.05, rng=4)
    detections = movie.tracks[["frame", "label", "y", "x"]]
    shuffled = detections.sample(frac=1.0, random_state=0)
    a = tracking.link(detections, max_distance=7, divisions=True).tracks
    b = tracking.link(shuffled, max_distance=7, divisions=True).tracks
    assert b.index.equals(shuffled.index)
    assert b[["frame", "label", "y", "x"]].equals(shuffled)
    # the same partition into tracks (ids may be numbered differently)
    b = b.loc[detections.index]
    pairs = set(zip(a["track_id"], b["track_id"], strict=True))
    assert len(pairs) == a["track_id"].nunique() == b["track_id"].nunique()
    renamed = dict(pairs)
    assert (b["parent_id"].to_numpy() == a["parent_id"].map(renamed | {0: 0}).to_numpy()).all()


def test_link_is_deterministic():
    movie = synthetic.time_lapse(n_frames=15, n_cells=12, speed=4.0, p_divide=0.05, rng=5)
    detections = movie.tracks[["frame", "y", "x"]]
    kwargs = dict(max_distance=9, max_gap=2, divisions=True)
    first = tracking.link(detections, **kwargs)
    second = tracking.link(detections, **kwargs)
    pd.testing.assert_frame_equal(first.tracks, second.tracks)
    pd.testing.assert_frame_equal(first.lineage, second.lineage)


def test_link_solves_a_conflict_that_greedy_nearest_neighbour_gets_wrong():
    #   frame 0:  A . . . . . B . . . . .       A at x=0, B at x=6
    #   frame 1:  . . . . . P . . . . . Q       P at x=5, Q at x=11
    # P is the nearest neighbour of both A and B; giving P to B (distance 1) leaves A
    # without a partner within 6 px. The LAP takes A->P and B->Q (25 + 25 = 50) over
    # B->P plus one death and one birth (1 + 36 + 36 = 73).
    detections = _table([(0, 0.0, 0.0), (0, 0.0, 6.0), (1, 0.0, 5.0), (1, 0.0, 11.0)])
    tracks, lineage = tracking.link(detections, max_distance=6)
    assert tracks["track_id"].tolist() == [1, 2, 1, 2]
    # with expensive links (cheap births and deaths) it is better to link only B->P
    tracks, _ = tracking.link(detections, max_distance=6, birth_cost=10, death_cost=10)
    assert tracks["track_id"].tolist() == [1, 2, 2, 3]


def _nearest_neighbour_link(detections, max_distance):
    """Greedy baseline: each detection takes the track of its nearest one in the frame before."""
    table = detections.sort_values("frame", kind="stable").reset_index(drop=True)
    track = np.zeros(len(table), dtype=np.int64)
    next_id = 1
    for frame, group in table.groupby("frame"):
        before = table[table["frame"] == frame - 1]
        taken = set()
        if len(before):
            distance, nearest = cKDTree(before[["y", "x"]].to_numpy()).query(
                group[["y", "x"]].to_numpy()
            )
        for k, row in enumerate(group.index):
            candidate = track[before.index[nearest[k]]] if len(before) else 0
            if len(before) and distance[k] <= max_distance and candidate not in taken:
                track[row] = candidate
                taken.add(candidate)
            else:
                track[row] = next_id
                next_id += 1
    return table.assign(track_id=track, parent_id=0)


@pytest.mark.parametrize(
    ("n_cells", "speed", "lap_min", "nn_max"),
    [(40, 1.0, 1.0, 1.0), (80, 5.0, 0.999, 0.99), (80, 7.0, 0.90, 0.90)],
)
def test_speed_and_density_sweep_where_nearest_neighbour_breaks(n_cells, speed, lap_min, nn_max):
    # 40 or 80 cells of radius 4 in 128 x 128 px; a step is 0.5-1.5 x speed
    movie = synthetic.time_lapse(
        n_frames=12, n_cells=n_cells, radius=4, speed=speed, p_appear=0, p_disappear=0,
        p_divide=0, rng=0,
    )  # fmt: skip
    detections = movie.tracks[["frame", "label", "y", "x"]]
    gate = 2 * speed + 2
    lap = mt.link_scores(movie.tracks, tracking.link(detections, gate).tracks, max_distance=0.1)
    nn = mt.link_scores(movie.tracks, _nearest_neighbour_link(detections, gate), max_distance=0.1)
    assert lap.f1 >= lap_min
    assert nn.f1 <= nn_max
    assert lap.f1 >= nn.f1
    if speed >= 7:  # when steps approach the spacing of cells both get worse, NN more
        assert lap.f1 < 1.0 and nn.f1 < lap.f1 - 0.03


def test_gap_closing_recovers_a_missed_detection():
    movie = synthetic.time_lapse(
        n_frames=12, n_cells=5, p_appear=0, p_disappear=0, p_divide=0, rng=6
    )
    tracks = movie.tracks
    missing = tracks.index[(tracks["track_id"] == 2) & (tracks["frame"] == 5)]
    detections = tracks.drop(index=missing)[["frame", "label", "y", "x"]]
    # the cell moves 5.6 px over the two steps of the gap: the gate must allow that
    without = tracking.link(detections, max_distance=6).lineage
    with_gap = tracking.link(detections, max_distance=6, max_gap=1).lineage
    # without gap closing track 2 ends at frame 4 and an orphan starts at frame 6
    orphan = without[without["start"] == 6]
    assert len(orphan) == 1 and orphan["parent_id"].item() == 0
    # with it, the part after the gap continues track 2 (CTC: a single daughter)
    after = with_gap[with_gap["start"] == 6]
    assert after["parent_id"].item() == 2
    assert with_gap.loc[with_gap["track_id"] == 2, "end"].item() == 4
    assert (with_gap["parent_id"] > 0).sum() == 1


def test_gap_closing_bridges_an_empty_frame_and_respects_max_gap():
    #   frame:   0  1  2  3  4  5
    #   cell:    o  o  .  .  o  o     (frames 2 and 3 have no detections at all)
    detections = _table([(f, 10.0, 10.0 + f) for f in (0, 1, 4, 5)])
    assert tracking.link(detections, 5, max_gap=1).lineage["parent_id"].tolist() == [0, 0]
    assert tracking.link(detections, 5, max_gap=2).lineage.to_numpy().tolist() == [
        [1, 0, 1, 0],
        [2, 4, 5, 1],
    ]
    # the gate applies across the gap too: a jump of 6 px is too far for max_distance=5
    jump = _table([(0, 0.0, 0.0), (2, 0.0, 6.0)])
    assert tracking.link(jump, 5, max_gap=1).lineage["parent_id"].tolist() == [0, 0]


def test_gap_cost_prefers_the_shorter_gap():
    #   frame 0: an end E at x=0;  frame 2: a start A at x=4 (1 missing frame);
    #   frame 3: a start B at x=-2 (2 missing frames), 6 px from A so not linked to it
    detections = _table([(0, 0.0, 0.0), (2, 0.0, 4.0), (3, 0.0, -2.0)])
    plain = tracking.link(detections, 5, max_gap=2).tracks
    assert plain["parent_id"].tolist() == [0, 0, 1]  # nearest in space wins: 4 < 16
    costly = tracking.link(detections, 5, max_gap=2, gap_cost=20).tracks
    assert costly["parent_id"].tolist() == [0, 1, 0]  # 16 + 20 < 4 + 2 * 20


def test_division_by_hand():
    #   frame 0..2: mother at (10, 10);  frame 3: daughters at (10, 7) and (10, 13)
    #
    #         1 ---- 1 ---- 1 ---+--- 2
    #                            +--- 3
    rows = [(f, 10.0, 10.0) for f in range(3)] + [(3, 10.0, 7.0), (3, 10.0, 13.0)]
    detections = _table(rows)
    tracks, lineage = tracking.link(detections, max_distance=4, divisions=True)
    assert lineage.to_numpy().tolist() == [[1, 0, 2, 0], [2, 3, 3, 1], [3, 3, 3, 1]]
    assert tracks["parent_id"].tolist() == [0, 0, 0, 1, 1]
    # a division costs division_cost on top of the squared distance (9); at 10 it is
    # dearer than a new track (birth_cost = 16)
    _, lineage = tracking.link(detections, max_distance=4, divisions=True, division_cost=10)
    assert lineage["parent_id"].tolist() == [0, 0]


# --- link: edge cases and bad input ---------------------------------------------------------
def test_link_of_a_single_detection_and_of_nothing():
    tracks, lineage = tracking.link(_table([(3, 1.0, 2.0)]), max_distance=5)
    assert tracks["track_id"].tolist() == [1] and tracks["parent_id"].tolist() == [0]
    assert lineage.to_numpy().tolist() == [[1, 3, 3, 0]]
    tracks, lineage = tracking.link(_table([]), max_distance=5, max_gap=2, divisions=True)
    assert len(tracks) == 0 and "track_id" in tracks.columns
    assert list(lineage.columns) == ["track_id", "start", "end", "parent_id"]


def test_link_replaces_old_track_columns_and_works_in_3d():
    detections = pd.DataFrame(
        {"frame": [0, 1], "z": [0.0, 3.0], "y": [0.0, 0.0], "x": [0.0, 0.0], "track_id": [5, 6]}
    )
    tracks, _ = tracking.link(detections, max_distance=2.5, coordinates=("z", "y", "x"))
    assert tracks["track_id"].tolist() == [1, 2]  # 3 px apart in z: too far
    tracks, _ = tracking.link(detections, max_distance=2.5)
    assert tracks["track_id"].tolist() == [1, 1]  # (y, x) only: same place


@pytest.mark.parametrize(
    ("detections", "kwargs", "error", "match"),
    [
        (_table([(0, np.nan, 1.0), (1, 1.0, 1.0)]), {}, ValueError, "NaN"),
        (_table([(0, 1.0, 1.0), (1, np.inf, 1.0)]), {}, ValueError, "infinite"),
        (_table([(-1, 1.0, 1.0)]), {}, ValueError, "frame.*>= 0"),
        (_table([(0.5, 1.0, 1.0)]), {}, ValueError, "whole numbers"),
        (_table([(0, 1, 1.0, 1.0), (0, 1, 2.0, 2.0)], ("frame", "label", "y", "x")), {},
         ValueError, "one row per"),
        (_table([(0, 1.0)], ("frame", "y")), {}, ValueError, r"missing \['x'\]"),
        ([(0, 1.0, 1.0)], {}, TypeError, "DataFrame"),
        (_table([(0, 1.0, 1.0)]), {"max_distance": 0}, ValueError, "max_distance"),
        (_table([(0, 1.0, 1.0)]), {"max_gap": 1.5}, ValueError, "max_gap"),
        (_table([(0, 1.0, 1.0)]), {"max_gap": -1}, ValueError, "max_gap"),
        (_table([(0, 1.0, 1.0)]), {"divisions": "yes"}, TypeError, "divisions"),
        (_table([(0, 1.0, 1.0)]), {"birth_cost": -1}, ValueError, "birth_cost"),
        (_table([(0, 1.0, 1.0)]), {"coordinates": ("y", "y")}, ValueError, "coordinates"),
    ],
)  # fmt: skip
def test_link_rejects_bad_input(detections, kwargs, error, match):
    kwargs = {"max_distance": 5, **kwargs}
    with pytest.raises(error, match=match):
        tracking.link(detections, **kwargs)


# --- link_by_overlap ------------------------------------------------------------------------
def test_link_by_overlap_matches_by_iou_and_finds_a_division():
    #  frame 0: one cell (1)      frame 1: the cell moved (2)   frame 2: split in two (5, 6)
    labels = np.zeros((3, 8, 10), dtype=np.int32)
    labels[0, 2:6, 1:5] = 1
    labels[1, 2:6, 2:6] = 2
    labels[2, 2:4, 2:6] = 5
    labels[2, 4:6, 2:6] = 6
    plain = tracking.link_by_overlap(labels)
    # IoU(frame 1, cell 5) = 8 / 16 = 0.5 >= 0.3: one daughter continues the track
    assert plain.lineage.to_numpy().tolist() == [[1, 0, 2, 0], [2, 2, 2, 0]]
    found = tracking.link_by_overlap(labels, divisions=True)
    assert found.lineage.to_numpy().tolist() == [[1, 0, 1, 0], [2, 2, 2, 1], [3, 2, 2, 1]]
    strict = tracking.link_by_overlap(labels, min_iou=0.6)
    assert strict.lineage["track_id"].tolist() == [1, 2, 3]  # 0.6 of 4x4 moved by one: no


def test_link_by_overlap_recovers_the_tracks_of_a_synthetic_movie():
    movie = synthetic.time_lapse(n_frames=15, n_cells=8, radius=6, speed=1.5, p_divide=0, rng=7)
    result = tracking.link_by_overlap(movie.labels)
    scores = mt.tracking_scores(
        movie.tracks, result.tracks, true_labels=movie.labels, pred_labels=movie.labels
    )
    assert scores.link.f1 == 1.0 and scores.tra.tra == 1.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"min_iou": 0}, "min_iou"),
        ({"min_overlap": 1.5}, "min_overlap"),
        ({"divisions": 1}, "divisions"),
    ],
)
def test_link_by_overlap_rejects_bad_parameters(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        tracking.link_by_overlap(np.zeros((2, 4, 4), np.int32), **kwargs)


# --- track tables and the CTC format --------------------------------------------------------
def test_lineage_from_tracks_checks_the_table():
    good = pd.DataFrame({"frame": [0, 1, 2], "track_id": [1, 1, 2], "parent_id": [0, 0, 1]})
    assert tracking.lineage_from_tracks(good).to_numpy().tolist() == [[1, 0, 1, 0], [2, 2, 2, 1]]
    with pytest.raises(ValueError, match="same parent_id"):
        tracking.lineage_from_tracks(good.assign(parent_id=[0, 2, 1]))
    with pytest.raises(ValueError, match="parent must end before"):
        tracking.lineage_from_tracks(good.assign(frame=[0, 1, 1]))
    with pytest.raises(ValueError, match="not a track"):
        tracking.lineage_from_tracks(good.assign(parent_id=[0, 0, 9]))
    with pytest.raises(ValueError, match="one row per"):
        tracking.lineage_from_tracks(good.assign(frame=[0, 0, 2]))


def test_ctc_round_trip_of_a_synthetic_movie(tmp_path):
    movie = synthetic.time_lapse(n_frames=12, n_cells=6, p_divide=0.08, rng=8)
    folder = tracking.write_ctc_result(tmp_path / "RES", movie.tracks, labels=movie.labels)
    assert (folder / "mask000.tif").is_file() and (folder / "mask011.tif").is_file()
    assert not list(folder.glob(".ctc-*"))  # no staging folder left behind
    data = tracking.read_ctc(folder)
    np.testing.assert_array_equal(data.labels, movie.labels)  # pixel = track id already
    pd.testing.assert_frame_equal(data.lineage, _true_lineage(movie))
    assert data.tracks[["frame", "track_id", "parent_id"]].to_numpy().tolist() == (
        movie.tracks[["frame", "track_id", "parent_id"]].to_numpy().tolist()
    )
    gt = tracking.write_ctc_result(tmp_path / "GT", movie.tracks, labels=movie.labels,
                                   ground_truth=True)  # fmt: skip
    assert gt == tmp_path / "GT" / "TRA" and (gt / "man_track.txt").is_file()
    assert tracking.read_ctc(tmp_path / "GT").lineage.equals(data.lineage)


def test_to_ctc_repaints_labels_with_track_ids():
    labels = np.zeros((2, 4, 4), dtype=np.int32)
    labels[0, :2, :2], labels[0, 2:, 2:] = 3, 4  # object 4 is not in the table: erased
    labels[1, :2, :2] = 1
    tracks = pd.DataFrame(
        {"frame": [0, 1], "label": [3, 1], "track_id": [7, 7], "parent_id": [0, 0]}
    )
    masks, lineage = tracking.to_ctc(tracks, labels=labels)
    assert masks.dtype == np.uint16
    assert np.unique(masks[0]).tolist() == [0, 7] and (masks[0, :2, :2] == 7).all()
    assert lineage.to_numpy().tolist() == [[7, 0, 1, 0]]
    with pytest.raises(ValueError, match="does not contain"):
        tracking.to_ctc(tracks.assign(label=[3, 2]), labels=labels)


def test_to_ctc_markers_keep_every_centre():
    tracks = pd.DataFrame(
        {"frame": [0, 0], "y": [2.0, 2.0], "x": [2.0, 3.0], "track_id": [1, 2], "parent_id": 0}
    )
    masks, _ = tracking.to_ctc(tracks, shape=(5, 6), radius=2)
    assert masks[0, 2, 2] == 1 and masks[0, 2, 3] == 2
    with pytest.raises(ValueError, match="same pixel"):
        tracking.to_ctc(tracks.assign(x=[2.0, 2.2]), shape=(5, 6))
    with pytest.raises(ValueError, match="outside the image"):
        tracking.to_ctc(tracks.assign(x=[2.0, 6.0]), shape=(5, 6))


@pytest.mark.parametrize(
    ("change", "kwargs", "match"),
    [
        ({}, {}, "either labels"),
        ({}, {"shape": (8, 8), "labels": np.zeros((3, 8, 8), np.int32)}, "either labels"),
        ({"track_id": [1, 1, 1], "frame": [0, 1, 3]}, {"shape": (8, 8)}, "has a gap"),
        ({"track_id": [1, 1, 70000]}, {"shape": (8, 8)}, "65535"),
        ({"parent_id": [0, 0, -1]}, {"shape": (8, 8)}, "parent_id"),
    ],
)
def test_write_ctc_result_rejects_bad_input_and_writes_nothing(tmp_path, change, kwargs, match):
    tracks = pd.DataFrame(
        {"frame": [0, 1, 2], "y": [1.0, 2.0, 3.0], "x": [1.0, 2.0, 3.0], "track_id": [1, 1, 1],
         "parent_id": [0, 0, 0]}
    ).assign(**change)  # fmt: skip
    with pytest.raises(ValueError, match=match):
        tracking.write_ctc_result(tmp_path / "out", tracks, **kwargs)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_read_ctc_reports_inconsistent_folders(tmp_path):
    tracks = pd.DataFrame(
        {"frame": [0, 1], "y": [1.0, 2.0], "x": [1.0, 2.0], "track_id": [1, 1], "parent_id": 0}
    )
    folder = tracking.write_ctc_result(tmp_path, tracks, shape=(6, 6))
    (folder / "res_track.txt").write_text("1 0 0 0\n")
    with pytest.raises(ValueError, match="frame 1"):
        tracking.read_ctc(folder)
    (folder / "res_track.txt").write_text("1 0 one 0\n")
    with pytest.raises(ValueError, match="4 integers"):
        tracking.read_ctc(folder)
    with pytest.raises(FileNotFoundError, match="no CTC track file"):
        tracking.read_ctc(tmp_path / "nowhere")
