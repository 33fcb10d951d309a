"""Figures of tracks and lineages, and the frame slider: what they draw, on tables worked out by hand."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from cellcourse import plot_tracks, widgets_tracks  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _family() -> pd.DataFrame:
    """Track 1 (frames 0-1) divides into 2 and 3 (frames 2-3); track 4 (frames 0-3) alone.

    frame:   0   1   2   3
    track 1  *---*
                  \\--2---*
                   \\-3---*
    track 4  *---*---*---*
    """
    rows = [
        (0, 10.0, 10.0, 1, 0),
        (1, 10.0, 12.0, 1, 0),
        (2, 8.0, 14.0, 2, 1),
        (3, 7.0, 15.0, 2, 1),
        (2, 12.0, 14.0, 3, 1),
        (3, 13.0, 15.0, 3, 1),
        (0, 30.0, 30.0, 4, 0),
        (1, 30.0, 31.0, 4, 0),
        (2, 30.0, 32.0, 4, 0),
        (3, 30.0, 33.0, 4, 0),
    ]
    return pd.DataFrame(rows, columns=["frame", "y", "x", "track_id", "parent_id"])


def _segments(fig) -> np.ndarray:
    return np.array(fig.axes[0].collections[0].get_segments())


# --- tracks_overlay -----------------------------------------------------------------------------


def test_overlay_draws_every_link_and_division():
    fig = plot_tracks.tracks_overlay(_family(), image=np.zeros((40, 40)))
    segments = _segments(fig)
    # 1 step of track 1, 2 division links, 1 step each of tracks 2 and 3, 3 steps of track 4
    assert len(segments) == 8
    # segments are (x, y): the division link from (y=10, x=12) to (y=8, x=14)
    assert any(np.allclose(s, [[12, 10], [14, 8]]) for s in segments)
    dots, rings = fig.axes[0].collections[1], fig.axes[0].collections[2]
    assert len(dots.get_offsets()) == 4  # the last position of every track
    assert np.allclose(rings.get_offsets(), [[12, 10]])  # the mother's last position


def test_overlay_up_to_a_frame_with_a_tail():
    fig = plot_tracks.tracks_overlay(_family(), frame=2, tail=1)
    # links ending at frame <= 2 and starting at frame >= 1: 2 division links and 1 step of track 4
    assert len(_segments(fig)) == 3
    dots = fig.axes[0].collections[1].get_offsets()
    assert sorted(map(tuple, np.asarray(dots))) == [(14.0, 8.0), (14.0, 12.0), (32.0, 30.0)]
    # without an image the y axis points down, as in an image
    bottom, top = fig.axes[0].get_ylim()
    assert bottom > top


def test_overlay_colours_by_lineage():
    family = _family()
    by_lineage = plot_tracks._colours(family, "lineage")
    by_track = plot_tracks._colours(family, "track")
    daughters = family["track_id"].isin([2, 3]).to_numpy()
    mother = (family["track_id"] == 1).to_numpy()
    assert np.allclose(by_lineage[daughters], by_lineage[mother][0])  # one colour per family
    assert not np.allclose(by_track[daughters], by_track[mother][0])


def test_overlay_rejects_bad_input():
    family = _family()
    with pytest.raises(ValueError, match=r"missing \['track_id'\]"):
        plot_tracks.tracks_overlay(family.drop(columns="track_id"))
    with pytest.raises(TypeError, match="DataFrame"):
        plot_tracks.tracks_overlay(family.to_numpy())
    with pytest.raises(ValueError, match="tail needs a frame"):
        plot_tracks.tracks_overlay(family, tail=3)
    with pytest.raises(ValueError, match="color_by must be 'track' or 'lineage'"):
        plot_tracks.tracks_overlay(family, color_by="cell")
    with pytest.raises(ValueError, match=r"shape \(Y, X\); got shape \(2, 5, 5\)"):
        plot_tracks.tracks_overlay(family, image=np.zeros((2, 5, 5)))
    with pytest.raises(ValueError, match="NaN"):
        plot_tracks.tracks_overlay(family.assign(y=np.nan))


# --- track_frames -------------------------------------------------------------------------------


def test_track_frames_panels():
    images = np.zeros((4, 40, 40))
    fig = plot_tracks.track_frames(_family(), images, tail=None)
    assert [ax.get_title() for ax in fig.axes] == ["frame 0", "frame 1", "frame 2", "frame 3"]
    fig = plot_tracks.track_frames(_family(), images, frames=[1, 3], ncols=1)
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match=r"frames \[7\] are not in images"):
        plot_tracks.track_frames(_family(), images, frames=[1, 7])
    with pytest.raises(ValueError, match="ncols must be a positive integer"):
        plot_tracks.track_frames(_family(), images, ncols=0)


# --- lineage_tree -------------------------------------------------------------------------------


def _lineage() -> pd.DataFrame:
    # 1 divides into 2 and 3; 3 divides into 4 and 5; 6 is alone and ends early (frame 4)
    return pd.DataFrame(
        {
            "track_id": [1, 2, 3, 4, 5, 6],
            "start": [0, 5, 5, 8, 8, 0],
            "end": [4, 9, 7, 9, 9, 4],
            "parent_id": [0, 1, 1, 3, 3, 0],
        }
    )


def test_lineage_layout_puts_mothers_between_daughters():
    table = plot_tracks._as_lineage(_lineage())
    y, children, _ = plot_tracks._tree_layout(table, [1])
    # leaves in order: 3's daughters first (3 has more leaves), then 2
    assert y[4] == 0 and y[5] == 1 and y[2] == 2
    assert y[3] == 0.5 and y[1] == (0.5 + 2) / 2
    assert children[1] == [3, 2]


def test_lineage_tree_draws_forks_and_ends():
    fig = plot_tracks.lineage_tree(_lineage(), last_frame=9)
    ax = fig.axes[0]
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == ["1", "2", "3", "4", "5", "6"]
    markers = [line.get_marker() for line in ax.lines]
    assert markers.count("o") == 2  # two divisions
    assert markers.count("x") == 1  # track 6 ends before the last frame
    assert ax.get_xlabel() == "frame"


def test_lineage_tree_ignores_ids_and_accepts_ctc_names():
    lineage = _lineage()
    renamed = lineage.assign(
        track_id=lineage["track_id"] + 10,
        parent_id=np.where(lineage["parent_id"] > 0, lineage["parent_id"] + 10, 0),
    ).iloc[::-1]
    ctc = renamed.rename(columns={"track_id": "L", "start": "B", "end": "E", "parent_id": "P"})
    first = plot_tracks.lineage_tree(lineage, label_tracks=False)
    second = plot_tracks.lineage_tree(ctc, label_tracks=False)
    lines = [sorted(map(str, (line.get_xydata().tolist() for line in f.axes[0].lines)))
             for f in (first, second)]  # fmt: skip
    assert lines[0] == lines[1]


def test_lineage_tree_roots_and_gaps():
    # track 2 continues track 1 after a gap (a parent with one daughter): dotted connector
    lineage = pd.DataFrame(
        {"track_id": [1, 2, 3], "start": [0, 6, 0], "end": [3, 9, 9], "parent_id": [0, 1, 0]}
    )
    fig = plot_tracks.lineage_tree(lineage, roots=1)
    ax = fig.axes[0]
    assert sorted(t.get_text() for t in ax.texts) == ["1", "2"]  # track 3 is another tree
    assert any(line.get_linestyle() == ":" for line in ax.lines)
    with pytest.raises(ValueError, match=r"roots \[7\] are not track ids"):
        plot_tracks.lineage_tree(lineage, roots=7)
    with pytest.raises(ValueError, match="missing"):
        plot_tracks.lineage_tree(lineage.drop(columns="end"))
    with pytest.raises(ValueError, match="track 1 appears twice"):
        plot_tracks.lineage_tree(pd.concat([lineage, lineage.iloc[:1]]))


# --- link_errors --------------------------------------------------------------------------------


def _legend(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def test_link_errors_counts():
    truth = _family()
    assert _legend(plot_tracks.link_errors(truth, truth, max_distance=0.5)) == [
        "right (8)",
        "wrong (0)",
        "missed (0)",
    ]
    # the division is missed: track 1 goes on as track 2, track 3 starts afresh
    missed = truth.assign(track_id=truth["track_id"].replace({2: 1}), parent_id=0)
    assert _legend(plot_tracks.link_errors(truth, missed, max_distance=0.5)) == [
        "right (7)",
        "wrong (0)",
        "missed (1)",
    ]


def test_link_errors_annotated_only_and_frames():
    truth = _family()
    extra = pd.DataFrame(
        {"frame": [0, 1], "y": [50.0, 50.0], "x": [5.0, 6.0], "track_id": [9, 9], "parent_id": 0}
    )
    pred = pd.concat([truth, extra], ignore_index=True)  # a track the truth does not annotate
    assert _legend(plot_tracks.link_errors(truth, pred, 0.5))[1] == "wrong (0)"
    assert (
        _legend(plot_tracks.link_errors(truth, pred, 0.5, annotated_only=False))[1] == "wrong (1)"
    )
    assert _legend(plot_tracks.link_errors(truth, pred, 0.5, frames=(3, 3)))[0] == "right (3)"
    with pytest.raises(ValueError, match="parent_id"):
        plot_tracks.link_errors(truth.drop(columns="parent_id"), pred, 0.5)
    with pytest.raises(ValueError, match=r"frames must be \(first, last\)"):
        plot_tracks.link_errors(truth, pred, 0.5, frames=3)


# --- the frame slider ---------------------------------------------------------------------------


def test_track_viewer_draws_each_frame():
    images = np.random.default_rng(0).integers(0, 4000, size=(4, 40, 40)).astype(np.uint16)
    box = widgets_tracks.track_viewer(_family(), images, tail=2)
    slider = box.children[0]
    assert (slider.min, slider.max) == (0, 3)
    fig = box.draw(3)
    assert fig.axes[0].get_title() == "frame 3 of 3"
    with pytest.raises(IndexError, match=r"frame must be in 0..3; got 4"):
        box.draw(4)
    # without images the slider runs over the frames of the table
    assert widgets_tracks.track_viewer(_family().query("frame >= 1")).children[0].min == 1


def test_track_viewer_rejects_bad_input():
    with pytest.raises(ValueError, match=r"tracks reach frame 3 but images has frames 0..1"):
        widgets_tracks.track_viewer(_family(), np.zeros((2, 8, 8)))
    with pytest.raises(ValueError, match=r"\(T, Y, X\)"):
        widgets_tracks.track_viewer(_family(), np.zeros((8, 8)))
    with pytest.raises(ValueError, match="nothing to show"):
        widgets_tracks.track_viewer(_family().iloc[:0])
