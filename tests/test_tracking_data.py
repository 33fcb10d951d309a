"""Tests of cellcourse.tracking_data on the real files (from the shared data mirror)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from cellcourse import tracking, tracking_data
from cellcourse.metrics import tracking as mt


def _divisions(lineage):
    counts = lineage.loc[lineage["parent_id"] > 0, "parent_id"].value_counts()
    return counts.value_counts().sort_index().to_dict()  # {number of daughters: parents}


def _check_ground_truth(data):
    """Tables agree with each other and with the CTC conventions."""
    assert list(data.lineage.columns) == ["track_id", "start", "end", "parent_id"]
    pd.testing.assert_frame_equal(
        tracking.lineage_from_tracks(data.tracks), data.lineage, check_dtype=False
    )
    span = data.lineage["end"] - data.lineage["start"] + 1
    assert data.tracks.groupby("track_id").size().sum() == span.sum()  # no gaps
    assert not data.tracks.duplicated(["frame", "label"]).any()
    assert not {"track_id", "parent_id"} & set(data.detections.columns)


def test_public_api():
    assert set(tracking_data.__all__) == {
        "TrackingData", "load_c2c12_tracks", "load_cancer_cell_migration", "load_cellmigration",
        "load_cellmigration_crop", "load_epidermis_tracks",
    }  # fmt: skip


def test_cellmigration(data_env):
    data = tracking_data.load_cellmigration(progress=False)
    assert (data.dataset, data.licence, data.n_frames) == ("cellmigration_gt", "CC-BY-4.0", 86)
    assert len(data.detections) == 27630 and len(data.tracks) == 26087
    assert list(data.detections.columns) == ["frame", "label", "y", "x", "area", "mean_intensity"]
    assert len(data.lineage) == 571 and _divisions(data.lineage) == {2: 100, 3: 1}
    _check_ground_truth(data)
    # every ground-truth row is one of the detections, at the same place
    merged = data.tracks.merge(data.detections, on=["frame", "label"], suffixes=("", "_det"))
    assert len(merged) == len(data.tracks) and (merged["y"] == merged["y_det"]).all()
    assert data.markers is None and data.images is None
    assert (data_env / "prepared" / "cellmigration_gt-v1.npz").is_file()


def test_cellmigration_markers_agree_with_the_tables(data_env):
    data = tracking_data.load_cellmigration(markers=True, progress=False)
    assert data.markers.shape == (86, 1024, 1024) and data.markers.dtype == np.uint16
    frame0 = data.tracks[data.tracks["frame"] == 0]
    y, x = np.round(frame0[["y", "x"]].to_numpy()).astype(int).T
    # the README's check: the marker under each rounded centroid carries the track id
    assert (data.markers[0, y, x] == frame0["track_id"].to_numpy()).all()
    assert set(np.unique(data.markers[85])) - {0} == set(
        data.lineage.loc[data.lineage["end"] == 85, "track_id"]
    )


def test_cellmigration_crop(data_env):
    crop = tracking_data.load_cellmigration_crop(progress=False)
    assert crop.images.shape == crop.markers.shape == (6, 200, 200)
    assert crop.source_frames.tolist() == [60, 65, 70, 75, 80, 85]
    assert crop.tracks["track_id"].nunique() == 69  # the tracks that pass through the window
    assert crop.lineage is None and (crop.tracks["parent_id"] == 0).all()
    assert not {"track_id", "parent_id"} & set(crop.detections.columns)
    # the per-frame labels are the markers renumbered
    for t in range(6):
        assert len(np.unique(crop.labels[t])) == len(np.unique(crop.markers[t]))
        assert ((crop.labels[t] > 0) == (crop.markers[t] > 0)).all()
    full = tracking_data.load_cellmigration(progress=False).tracks
    assert set(crop.tracks["track_id"]) <= set(full["track_id"])
    inside = crop.markers > 0
    # markers sit on the bright nuclei (the README: about 27,000 against 13,400)
    assert crop.images[inside].mean() > 1.5 * crop.images[~inside].mean()


def test_c2c12_frames_are_shifted_to_zero_based(data_env):
    data = tracking_data.load_c2c12_tracks(progress=False)
    assert len(data.tracks) == 85576 and data.n_frames == 780
    assert data.tracks["frame"].min() == 0 and data.tracks["frame"].max() == 779
    assert len(data.lineage) == 613
    assert _divisions(data.lineage) == {1: 4, 2: 246, 3: 1}
    _check_ground_truth(data)
    first = data.tracks.groupby("track_id")["frame"].min()
    assert (first == data.lineage.set_index("track_id")["start"]).all()
    # state 2 marks the first frame of every daughter
    daughters = data.lineage.loc[data.lineage["parent_id"] > 0, ["track_id", "start"]]
    starts = data.tracks.merge(daughters, left_on=["track_id", "frame"],
                               right_on=["track_id", "start"])  # fmt: skip
    assert (starts["state"] == 2).mean() > 0.99
    assert data.images is None and data.detections["label"].min() == 1


def test_epidermis(data_env):
    data = tracking_data.load_epidermis_tracks(progress=False)
    assert data.labels.shape == data.markers.shape == (15, 460, 460)
    assert len(data.lineage) == 1070 and _divisions(data.lineage) == {1: 17, 2: 335}
    _check_ground_truth(data)
    # per-frame ids are not track ids, but repainting them with the tracks gives the markers
    assert not np.array_equal(data.labels, data.markers)
    masks, lineage = tracking.to_ctc(data.tracks, labels=data.labels)
    np.testing.assert_array_equal(masks, data.markers)
    counts = data.detections.groupby("frame").size()
    assert counts.min() == 236 and counts.max() == 327


def test_cancer_cell_migration(data_env):
    data = tracking_data.load_cancer_cell_migration(progress=False)
    assert data.images.shape == data.labels.shape == (48, 130, 130)
    assert data.images.dtype == np.uint16 and data.labels.dtype == np.int32
    assert data.tracks is None and data.lineage is None
    counts = data.detections.groupby("frame").size()
    assert (counts.min(), counts.max(), len(counts)) == (9, 18, 48)
    assert "mean_intensity" in data.detections.columns


def test_a_damaged_cache_is_rebuilt(data_env):
    tracking_data.load_cancer_cell_migration(progress=False)
    cache = data_env / "prepared" / "cancer_cell_migration-v1.npz"
    cache.write_bytes(b"not a zip file")
    data = tracking_data.load_cancer_cell_migration(progress=False)
    assert data.images.shape == (48, 130, 130)


def test_linking_cellmigration_meets_the_targets(data_env):
    data = tracking_data.load_cellmigration(progress=False)
    start = time.perf_counter()
    result = tracking.link(data.detections, max_distance=15, max_gap=1, divisions=True)
    seconds = time.perf_counter() - start
    scores = mt.tracking_scores(data.tracks, result.tracks, max_distance=1.0)
    assert seconds < 10
    assert scores.link.f1 >= 0.97 and scores.tra.tra >= 0.95
    assert scores.detection.recall == 1.0  # the same detections: all are found
    annotated = mt.link_scores(data.tracks, result.tracks, max_distance=1.0, annotated_only=True)
    assert annotated.precision > 0.99


def test_overlap_linking_of_the_epidermis(data_env):
    data = tracking_data.load_epidermis_tracks(progress=False)
    result = tracking.link_by_overlap(data.labels, divisions=True)
    scores = mt.tracking_scores(
        data.tracks, result.tracks, true_labels=data.labels, pred_labels=data.labels
    )
    assert scores.detection.f1 == 1.0
    assert scores.tra.tra > 0.98 and scores.link.f1 > 0.95 and scores.division.f1 > 0.7
