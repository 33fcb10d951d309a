"""Hypothesis strategies shared by the robustness tests (tests/test_robust_*.py).

Label images: small 2-D (or 3-D) integer arrays, 0 = background, made of
overlapping rectangles (so objects touch, are cut in two by later ones or lose
pixels to holes), of per-pixel noise (many tiny fragments), or empty; single
pixels come from rectangles of size 1; label values may have gaps and may be
huge (up to 2**62), in several integer dtypes.

Track tables: a few lineages, each a root cell that may die, vanish for a few
frames (a gap) or divide (two generations at most), laid out so that every
cell stays far from every other cell: linking the detections back must give
exactly these tracks. Conventions of :mod:`cellcourse.tracking` (the CTC's).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

__all__ = [
    "BIG_LABEL",
    "LINK_MAX_DISTANCE",
    "class_probabilities",
    "label_images",
    "label_pairs",
    "permute_labels",
    "permute_track_ids",
    "track_links",
    "track_partition",
    "track_tables",
]

BIG_LABEL = 2**62  # label values drawn reach nearly this (int64 and uint64 hold it)
_DTYPES = (np.uint8, np.uint16, np.int32, np.uint32, np.int64, np.uint64)


def _smallest_dtypes(largest: int) -> list:
    return [d for d in _DTYPES if np.iinfo(d).max >= largest]


@st.composite
def _canvas(draw, shape, max_objects: int) -> np.ndarray:
    """A label image of the given shape, as int64 with values 0..n (maybe with gaps)."""
    kind = draw(st.sampled_from(["rectangles", "rectangles", "noise", "empty"]))
    labels = np.zeros(shape, dtype=np.int64)
    if kind == "rectangles":
        for value in range(1, draw(st.integers(1, max_objects)) + 1):
            # later rectangles overwrite earlier ones: touching objects, objects cut in two,
            # objects erased entirely (so the values have gaps); size 1 = a single pixel
            lo = [draw(st.integers(0, n - 1)) for n in shape]
            hi = [
                draw(st.integers(a + 1, min(n, a + 1 + max(1, n // 2))))
                for a, n in zip(lo, shape, strict=True)
            ]
            labels[tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))] = value
            if draw(st.booleans()):  # a hole: one pixel of the rectangle back to background
                pixel = tuple(draw(st.integers(a, b - 1)) for a, b in zip(lo, hi, strict=True))
                labels[pixel] = 0
    elif kind == "noise":
        n_values = draw(st.integers(1, 4))
        labels = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, n_values)))
    return labels


@st.composite
def label_images(draw, max_side: int = 12, ndim: int = 2, max_objects: int = 6, big_labels=True):
    """One label image ``(Y, X)`` (or ``(Z, Y, X)`` with ``ndim=3``) of an integer dtype.

    Touching objects, holes, disconnected objects, single pixels, empty images,
    values with gaps, and (with ``big_labels``) values up to ``BIG_LABEL``.
    """
    shape = tuple(draw(st.integers(1, max_side)) for _ in range(ndim))
    labels = draw(_canvas(shape, max_objects))
    labels = _renumber(draw, labels, big_labels)
    dtype = draw(st.sampled_from(_smallest_dtypes(int(labels.max(initial=0)))))
    return labels.astype(dtype)


@st.composite
def label_pairs(draw, max_side: int = 12, ndim: int = 2, max_objects: int = 6, big_labels=True):
    """Two label images of one shape (a "truth" and a "prediction"), dtypes drawn separately."""
    shape = tuple(draw(st.integers(1, max_side)) for _ in range(ndim))
    pair = []
    for _ in range(2):
        labels = _renumber(draw, draw(_canvas(shape, max_objects)), big_labels)
        dtype = draw(st.sampled_from(_smallest_dtypes(int(labels.max(initial=0)))))
        pair.append(labels.astype(dtype))
    return tuple(pair)


def _renumber(draw, labels: np.ndarray, big_labels: bool) -> np.ndarray:
    """Give the objects other, distinct positive values (sometimes huge ones)."""
    values = np.unique(labels[labels > 0])
    if values.size == 0 or not draw(st.booleans()):
        return labels
    # hypothesis favours small integers, so huge values come from an explicit base
    bases = [0, 1000, 2**31 - 400, BIG_LABEL - 400] if big_labels else [0, 1000]
    base = draw(st.sampled_from(bases))
    new = draw(
        st.lists(st.integers(1, 300), min_size=values.size, max_size=values.size, unique=True)
    )
    return permute_labels(labels, {v: base + n for v, n in zip(values.tolist(), new, strict=True)})


def permute_labels(labels: np.ndarray, mapping: dict) -> np.ndarray:
    """``labels`` with every value ``v > 0`` replaced by ``mapping[v]`` (0 stays 0), as int64."""
    labels = np.asarray(labels)
    out = np.zeros(labels.shape, dtype=np.int64)
    for old, new in mapping.items():
        out[labels == old] = new
    return out


@st.composite
def class_probabilities(draw, max_side: int = 14):
    """A ``(Y, X, 3)`` softmax-like map: random, one-hot, or nearly one-hot."""
    shape = (draw(st.integers(1, max_side)), draw(st.integers(1, max_side)))
    kind = draw(st.sampled_from(["random", "one_hot", "blocks"]))
    if kind == "random":
        raw = draw(hnp.arrays(np.float64, (*shape, 3), elements=st.floats(0.0, 1.0)))
        raw = raw + 1e-3  # no all-zero pixel
        return raw / raw.sum(axis=-1, keepdims=True)
    if kind == "one_hot":
        classes = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, 2)))
    else:  # interiors ringed by boundary: what a good U-Net predicts
        labels = draw(_canvas(shape, 5))
        from cellcourse.targets import boundary_classes

        classes = boundary_classes(labels).astype(np.int64)
    return np.eye(3)[classes]


# --- track tables ---------------------------------------------------------------------
LINK_MAX_DISTANCE = 10.0
"""The ``max_distance`` that links :func:`track_tables` back exactly.

Every true link (a step, a closed gap of up to 2 frames, a mother to a
daughter) is shorter than 8.8 pixels; any two detections that are not linked
are more than 13 pixels apart, in the same frame and up to 3 frames apart.
"""
_SLOT = 40.0  # spacing of the lineages' home positions
_DAUGHTER_OFFSET = 8.0  # a daughter starts this far from its mother (y, then x)
_JITTER = 0.2  # largest wobble of a position, per axis


@st.composite
def track_tables(
    draw, max_frames: int = 8, max_roots: int = 4, gaps: bool = True, divisions: bool = True
):
    """A track table ``frame, y, x, track_id, parent_id`` with gaps and divisions.

    Each lineage lives near its own home (40 pixels apart), drifting by at most
    0.5 pixel per frame along x with a wobble of 0.2. A track may end (the cell
    dies or leaves), vanish for 1 or 2 frames (a gap: the part after it is a new
    track whose parent is the part before, the CTC convention) or divide into two
    daughters 8 pixels on either side (along y, then along x for the second
    generation; no third). Roots may start in any frame. Track ids are 1..n.
    """
    # sampled_from draws uniformly (integers() favours the smallest values): richer tables
    n_frames = draw(st.sampled_from(range(1, max_frames + 1)))
    n_roots = draw(st.sampled_from(range(max_roots + 1)))  # uniform: few empty tables
    drift = draw(st.floats(-0.5, 0.5))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    # (first frame, home y, home x, parent id, generation)
    pending = [
        (
            draw(st.sampled_from(range(n_frames))),
            30.0 + _SLOT * (r // 2),
            30.0 + _SLOT * (r % 2),
            0,
            0,
        )
        for r in range(n_roots)
    ]
    rows = []
    next_id = 1
    while pending:
        start, home_y, home_x, parent, generation = pending.pop(0)
        end = draw(st.sampled_from(range(start, n_frames)))
        track_id, next_id = next_id, next_id + 1
        for frame in range(start, end + 1):
            wobble = rng.uniform(-_JITTER, _JITTER, size=2)
            rows.append(
                (frame, home_y + wobble[0], home_x + drift * frame + wobble[1], track_id, parent)
            )
        if end == n_frames - 1:
            continue
        events = ["end"] + (["gap"] if gaps else []) + (["divide"] if divisions else [])
        event = draw(st.sampled_from(events))
        if event == "gap":
            gap = draw(st.integers(1, 2))
            if end + gap + 1 < n_frames:
                pending.append((end + gap + 1, home_y, home_x, track_id, generation))
        elif event == "divide" and generation < 2:
            dy, dx = (_DAUGHTER_OFFSET, 0.0) if generation == 0 else (0.0, _DAUGHTER_OFFSET)
            for sign in (-1, 1):
                pending.append(
                    (end + 1, home_y + sign * dy, home_x + sign * dx, track_id, generation + 1)
                )
    table = pd.DataFrame(rows, columns=["frame", "y", "x", "track_id", "parent_id"])
    return table.astype(
        {
            "frame": np.int64,
            "y": np.float64,
            "x": np.float64,
            "track_id": np.int64,
            "parent_id": np.int64,
        }
    )


def permute_track_ids(tracks: pd.DataFrame, new_ids) -> pd.DataFrame:
    """The same tracks under other ids: ``new_ids[k]`` replaces the k-th smallest track id."""
    old = np.unique(tracks["track_id"].to_numpy())
    mapping = dict(zip(old.tolist(), [int(v) for v in new_ids], strict=True))
    mapping[0] = 0
    return tracks.assign(
        track_id=tracks["track_id"].map(mapping).astype(np.int64),
        parent_id=tracks["parent_id"].map(mapping).astype(np.int64),
    )


def track_links(tracks: pd.DataFrame, key=("frame", "y", "x")) -> set:
    """The edges of a track table's graph, each detection named by its ``key`` columns.

    Each detection links to the next detection of its track, and the last
    detection of a track to the first detection of each of its daughters.
    Independent of the track ids, so two tables can be compared as sets.
    """
    name = {
        row: tuple(values)
        for row, values in zip(
            tracks.index, tracks[list(key)].itertuples(index=False, name=None), strict=True
        )
    }
    links = set()
    first, last = {}, {}
    for track_id, group in tracks.sort_values("frame").groupby("track_id"):
        rows = group.index.tolist()
        links.update((name[a], name[b]) for a, b in zip(rows[:-1], rows[1:], strict=True))
        first[track_id], last[track_id] = rows[0], rows[-1]
    parents = tracks.groupby("track_id")["parent_id"].first()
    for track_id, parent in parents.items():
        if parent:
            links.add((name[last[parent]], name[first[track_id]], "parent"))
    return links


def track_partition(tracks: pd.DataFrame, key=("frame", "y", "x")) -> set:
    """The tracks as a set of frozensets of detections (named by ``key``): ids ignored."""
    return {
        frozenset(group[list(key)].itertuples(index=False, name=None))
        for _, group in tracks.groupby("track_id")
    }
