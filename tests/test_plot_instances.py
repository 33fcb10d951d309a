"""Tests of cellcourse.plot_instances: the error map of an instance segmentation, by hand."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from cellcourse.plot_instances import ERROR_KINDS, instance_error_map, overlay_instance_errors

MATCHED, MISSED, SPURIOUS, SPLIT, MERGED = (ERROR_KINDS.index(k) for k in ERROR_KINDS[1:])


def _scene():
    """Five true nuclei and a prediction with one of each kind of outcome."""
    true = np.zeros((10, 30), dtype=np.int32)
    true[1:5, 1:5] = 1  # found exactly: matched
    true[1:5, 7:11] = 2  # not found at all: missed
    true[1:5, 13:21] = 3  # cut into two halves: split
    true[6:9, 1:5] = 4  # 4 and 5 touch and are predicted as one: merged
    true[6:9, 5:9] = 5
    pred = np.zeros_like(true)
    pred[1:5, 1:5] = 10
    pred[1:5, 13:17] = 11
    pred[1:5, 17:21] = 12
    pred[6:9, 1:9] = 13
    pred[6:9, 24:28] = 14  # nothing there: spurious
    return true, pred


def test_every_kind_by_hand():
    true, pred = _scene()
    codes = instance_error_map(true, pred)
    assert codes.dtype == np.uint8 and codes.shape == true.shape
    assert np.all(codes[1:5, 1:5] == MATCHED)
    assert np.all(codes[1:5, 7:11] == MISSED)
    assert np.all(codes[1:5, 13:21] == SPLIT)
    assert np.all(codes[6:9, 1:9] == MERGED)
    assert np.all(codes[6:9, 24:28] == SPURIOUS)
    assert np.all(codes[(true == 0) & (pred == 0)] == 0)


def test_a_split_with_one_large_piece_is_still_shown_as_split():
    true = np.zeros((4, 10), dtype=np.int32)
    true[:, :10] = 1
    pred = np.zeros_like(true)
    pred[:, :7] = 1  # IoU 0.7: matches at 0.5
    pred[:, 7:] = 2
    codes = instance_error_map(true, pred)
    assert set(np.unique(codes)) == {SPLIT}
    # at a stricter threshold the large piece no longer matches, still a split
    assert set(np.unique(instance_error_map(true, pred, threshold=0.8))) == {SPLIT}


def test_threshold_decides_matched_or_spurious():
    true = np.zeros((4, 10), dtype=np.int32)
    true[:, :6] = 1
    pred = np.zeros_like(true)
    pred[:, 1:7] = 1  # IoU 20 / 28 = 0.71
    assert set(np.unique(instance_error_map(true, pred, threshold=0.5))) == {0, MATCHED}
    codes = instance_error_map(true, pred, threshold=0.75)
    assert np.all(codes[pred > 0] == SPURIOUS)
    assert np.all(codes[:, 0] == MISSED)  # the true nucleus' pixel not under the prediction


def test_overlay_legend_counts_objects():
    true, pred = _scene()
    fig = overlay_instance_errors(np.zeros(true.shape), true, pred, title="errors")
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert texts == ["matched (1)", "missed (1)", "spurious (1)", "split (2)", "merged (1)"]
    assert fig.axes[0].get_title() == "errors"
    plt.close(fig)
    fig, ax = plt.subplots()
    assert overlay_instance_errors(np.zeros(true.shape), true, true, ax=ax, legend=False) is fig
    assert ax.get_legend() is None
    plt.close(fig)


def test_bad_inputs_are_named():
    true, pred = _scene()
    with pytest.raises(TypeError, match="integer label image; got dtype float64"):
        instance_error_map(true.astype(float), pred)
    with pytest.raises(ValueError, match=r"same shape; got \(10, 30\) and \(10, 29\)"):
        instance_error_map(true, pred[:, :-1])
    with pytest.raises(ValueError, match=r"shape \(Y, X\); got \(1, 10, 30\)"):
        instance_error_map(true[np.newaxis], pred[np.newaxis])
    with pytest.raises(ValueError, match=r"threshold in \[0.5, 1\); got 0.3"):
        instance_error_map(true, pred, threshold=0.3)
    with pytest.raises(ValueError, match=r"image's shape \(5, 5\)"):
        overlay_instance_errors(np.zeros((5, 5)), true, pred)
    with pytest.raises(ValueError, match="alpha must be"):
        overlay_instance_errors(np.zeros(true.shape), true, pred, alpha=2)
