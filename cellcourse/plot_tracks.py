"""Figures of tracks and lineages (chapter 09). Every function returns the Figure, never shows it.

Tables are those of :mod:`cellcourse.tracking`:

- a *track table* has one row per cell per frame with the columns ``frame, y,
  x, track_id`` and, where cells divide, ``parent_id`` (0 = no parent);
- a *lineage table* has one row per track with ``track_id, start, end,
  parent_id``. The Cell Tracking Challenge names ``L, B, E, P`` (those of
  :func:`cellcourse.synthetic.time_lapse`) are accepted too.

==========================  ======================================================
:func:`tracks_overlay`      the paths of the tracks over an image; up to one frame,
                            with a tail of the last few frames, if asked
:func:`track_frames`        the same for a few frames side by side (the static
                            version of :func:`cellcourse.widgets_tracks.track_viewer`)
:func:`lineage_tree`        lineage trees: time along x, one line per track
:func:`link_errors`         right, wrong and missed links against the ground truth
==========================  ======================================================

Positions are in pixels, ``y`` down the rows and ``x`` along the columns, so
the tracks lie on the image as :func:`matplotlib.pyplot.imshow` draws it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["link_errors", "lineage_tree", "track_frames", "tracks_overlay"]

_CTC_NAMES = {"L": "track_id", "B": "start", "E": "end", "P": "parent_id"}
_N_COLOURS = 20  # matplotlib's "tab20": neighbouring ids get clearly different colours


# --- checks ---------------------------------------------------------------------------------
def _check_tracks(tracks, name: str = "tracks") -> pd.DataFrame:
    """The track table with numeric columns checked; rows with a parent keep it."""
    if not isinstance(tracks, pd.DataFrame):
        raise TypeError(
            f"{name} must be a pandas DataFrame with columns frame, y, x, track_id; "
            f"got {type(tracks).__name__}"
        )
    needed = ["frame", "y", "x", "track_id"]
    missing = [c for c in needed if c not in tracks.columns]
    if missing:
        raise ValueError(
            f"{name} must have the columns {needed} (and parent_id for divisions); missing "
            f"{missing}, got columns {list(tracks.columns)}"
        )
    for col in needed + (["parent_id"] if "parent_id" in tracks.columns else []):
        column = tracks[col]
        if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
            raise ValueError(f"{name}[{col!r}] must hold numbers; got dtype {column.dtype}")
    if len(tracks) and not np.isfinite(tracks[["frame", "y", "x"]].to_numpy(float)).all():
        raise ValueError(f"{name} has missing (NaN) or infinite frames or positions")
    return tracks


def _check_frame(frame, name: str = "frame") -> int:
    if isinstance(frame, bool | np.bool_) or not isinstance(frame, int | np.integer):
        raise TypeError(f"{name} must be an integer frame number; got {frame!r}")
    return int(frame)


def _check_tail(tail) -> int | None:
    if tail is None:
        return None
    if isinstance(tail, bool | np.bool_) or not isinstance(tail, int | np.integer) or tail < 0:
        raise ValueError(f"tail must be None or an integer number of frames >= 0; got {tail!r}")
    return int(tail)


def _check_color_by(color_by: str) -> str:
    if color_by not in ("track", "lineage"):
        raise ValueError(f"color_by must be 'track' or 'lineage'; got {color_by!r}")
    return color_by


def _as_lineage(lineage) -> pd.DataFrame:
    if not isinstance(lineage, pd.DataFrame):
        raise TypeError(
            "lineage must be a pandas DataFrame with columns track_id, start, end, parent_id "
            f"(or L, B, E, P); got {type(lineage).__name__}"
        )
    if set(_CTC_NAMES) <= set(lineage.columns) and "track_id" not in lineage.columns:
        lineage = lineage.rename(columns=_CTC_NAMES)
    needed = ["track_id", "start", "end", "parent_id"]
    missing = [c for c in needed if c not in lineage.columns]
    if missing:
        raise ValueError(
            f"lineage must have the columns {needed} (or L, B, E, P); missing {missing}, got "
            f"columns {list(lineage.columns)}"
        )
    table = lineage[needed]
    if len(table) and not all(pd.api.types.is_integer_dtype(table[c]) for c in needed):
        raise ValueError(f"lineage columns {needed} must hold integers; got {dict(table.dtypes)}")
    if table["track_id"].duplicated().any():
        dup = int(table.loc[table["track_id"].duplicated(), "track_id"].iloc[0])
        raise ValueError(f"lineage must have one row per track; track {dup} appears twice")
    if (table["end"] < table["start"]).any():
        bad = table[table["end"] < table["start"]].iloc[0].tolist()
        raise ValueError(f"a track must end at or after its start; got {bad} (id, start, end, P)")
    return table.astype(np.int64)


# --- track geometry -------------------------------------------------------------------------
def _links(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The links of a track table as row positions (source, target) and a kind.

    Kind 0: consecutive detections of one track (sorted by frame); kind 1: the
    last detection of a mother to the first of each of its daughters.
    """
    frames = table["frame"].to_numpy(np.float64)
    track = table["track_id"].to_numpy(np.int64)
    order = np.lexsort((frames, track))
    same = track[order][1:] == track[order][:-1]
    sources, targets = [order[:-1][same]], [order[1:][same]]
    kinds = [np.zeros(int(same.sum()), np.int64)]
    if "parent_id" in table.columns and len(table):
        parent = table["parent_id"].to_numpy(np.int64)
        firsts = order[np.concatenate([[True], ~same])]  # the first row of each track
        lasts = order[np.concatenate([~same, [True]])]  # the last row of each track
        last_of = dict(zip(track[lasts].tolist(), lasts.tolist(), strict=True))
        has = parent[firsts] > 0
        known = np.array([p in last_of for p in parent[firsts][has].tolist()], dtype=bool)
        daughters = firsts[has][known]
        mothers = np.array([last_of[p] for p in parent[daughters].tolist()], dtype=np.int64)
        sources.append(mothers)
        targets.append(daughters)
        kinds.append(np.ones(daughters.size, np.int64))
    return np.concatenate(sources), np.concatenate(targets), np.concatenate(kinds)


def _roots(track_ids: np.ndarray, parent_of: dict[int, int]) -> np.ndarray:
    """The founder (first ancestor in the table) of each track id."""
    out = np.empty(track_ids.size, dtype=np.int64)
    cache: dict[int, int] = {}
    for k, tid in enumerate(track_ids.tolist()):
        path = []
        node = tid
        while node not in cache and parent_of.get(node, 0) > 0 and node not in path:
            path.append(node)
            node = parent_of[node]
        root = cache.get(node, node)
        for visited in path:
            cache[visited] = root
        cache[node] = root
        out[k] = root
    return out


def _colours(table: pd.DataFrame, color_by: str) -> np.ndarray:
    """One RGBA colour per row: by track id, or by the founder of the lineage."""
    from matplotlib import colormaps

    track = table["track_id"].to_numpy(np.int64)
    key = track
    if color_by == "lineage" and "parent_id" in table.columns:
        parent_of = dict(
            zip(track.tolist(), table["parent_id"].to_numpy(np.int64).tolist(), strict=True)
        )
        key = _roots(track, parent_of)
    # a fixed shuffle of the 20 colours, so that ids 1, 2, 3 ... are far apart in hue
    shuffle = np.array([0, 6, 12, 18, 4, 10, 16, 2, 8, 14, 1, 7, 13, 19, 5, 11, 17, 3, 9, 15])
    return colormaps["tab20"](shuffle[key % _N_COLOURS])


def _prepare_axes(ax, image, clim, table: pd.DataFrame, figsize):
    import matplotlib.pyplot as plt

    from .plot import show_image

    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
    else:
        fig = ax.figure
    if image is not None:
        image = np.asarray(image)
        if image.ndim != 2 or image.dtype.kind not in "biuf":
            raise ValueError(
                f"expected a numeric grey-level image of shape (Y, X); got shape {image.shape}, "
                f"dtype {image.dtype}"
            )
        if clim is None:
            clim = tuple(np.percentile(image, (1, 99.8)))
        show_image(image, ax=ax, clim=clim)
    else:
        ax.set_aspect("equal")
        ax.set_facecolor("0.97")
        ax.tick_params(labelsize=7)
        if len(table):
            y, x = table["y"].to_numpy(float), table["x"].to_numpy(float)
            pad = 0.03 * max(np.ptp(y), np.ptp(x), 1.0)
            ax.set_xlim(x.min() - pad, x.max() + pad)
            ax.set_ylim(y.max() + pad, y.min() - pad)  # rows grow downwards, as in an image
        else:
            ax.invert_yaxis()
    return fig, ax


def _draw_tracks(ax, table, frame, tail, color_by, linewidth, markersize, mark_divisions):
    from matplotlib.collections import LineCollection

    if len(table) == 0:
        return
    colours = _colours(table, color_by)
    frames = table["frame"].to_numpy(np.float64)
    yx = table[["y", "x"]].to_numpy(np.float64)
    source, target, kind = _links(table)
    keep = np.ones(source.size, dtype=bool)
    if frame is not None:
        keep &= frames[target] <= frame
        if tail is not None:
            keep &= frames[source] >= frame - tail
    source, target, kind = source[keep], target[keep], kind[keep]
    segments = np.stack([yx[source][:, ::-1], yx[target][:, ::-1]], axis=1)  # (n, 2, (x, y))
    ax.add_collection(
        LineCollection(segments, colors=colours[target], linewidths=linewidth, zorder=2)
    )
    if frame is None:
        # the last position of every track
        last = table.assign(_row=np.arange(len(table))).sort_values("frame", kind="stable")
        points = last.groupby("track_id")["_row"].last().to_numpy()
    else:
        points = np.flatnonzero(frames == frame)
    ax.scatter(
        yx[points, 1],
        yx[points, 0],
        s=markersize,
        c=colours[points],
        edgecolors="white",
        linewidths=0.4,
        zorder=3,
    )
    if mark_divisions and kind.size:
        mothers, counts = np.unique(source[kind == 1], return_counts=True)
        mothers = mothers[counts >= 2]
        if mothers.size:
            ax.scatter(
                yx[mothers, 1],
                yx[mothers, 0],
                s=4 * markersize,
                facecolors="none",
                edgecolors="white",
                linewidths=1.0,
                zorder=4,
            )


def tracks_overlay(
    tracks,
    image=None,
    frame=None,
    tail=None,
    ax=None,
    clim=None,
    color_by="track",
    linewidth=1.0,
    markersize=12.0,
    mark_divisions=True,
    title=None,
    figsize=(5.0, 5.0),
):
    """Draw the paths of tracks, over an image if given.

    Each track is a line through its positions, in one colour per track (or
    per lineage). Divisions are drawn as lines from the mother's last position
    to each daughter's first, and ringed in white.

    Parameters
    ----------
    tracks : pandas.DataFrame
        Track table: ``frame, y, x, track_id`` and optionally ``parent_id``
        (0 = none), as :func:`cellcourse.tracking.link` returns.
    image : (Y, X) ndarray, optional
        Background image, e.g. the frame ``frame`` of the time-lapse. Without
        it the tracks are drawn on a pale background, y pointing down.
    frame : int, optional
        Draw the tracks only up to this frame, with a dot at each cell present
        in it. Default: the whole tracks, with a dot at their last position.
    tail : int, optional
        With ``frame``: draw only the last ``tail`` frames of each path (a
        "comet tail"). Default the whole past.
    ax : matplotlib Axes, optional
        Where to draw; default a new figure.
    clim : (float, float), optional
        Display range of ``image``; default its 1st and 99.8th percentile.
    color_by : {"track", "lineage"}
        One colour per track, or one per lineage (a founder cell and all its
        descendants share a colour).
    linewidth, markersize : float
        Width of the paths (points) and area of the dots (points squared).
    mark_divisions : bool
        Ring the last position of every mother with two or more daughters.
    title : str, optional
    figsize : (float, float)
        Size of a new figure, in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError, ValueError
        If ``tracks`` is not a track table, ``image`` not a (Y, X) array, or
        ``frame``, ``tail`` or ``color_by`` is malformed.

    Notes
    -----
    See chapter 09.

    Examples
    --------
    >>> tracks = pd.DataFrame({"frame": [0, 1, 2, 2], "y": [5.0, 6.0, 4.0, 9.0],
    ...                        "x": [5.0, 7.0, 9.0, 9.0], "track_id": [1, 1, 2, 3],
    ...                        "parent_id": [0, 0, 1, 1]})
    >>> fig = tracks_overlay(tracks, image=np.zeros((12, 12)))
    >>> len(fig.axes[0].collections[0].get_segments())  # one step and two division links
    3
    """
    table = _check_tracks(tracks)
    frame = None if frame is None else _check_frame(frame)
    tail = _check_tail(tail)
    color_by = _check_color_by(color_by)
    if tail is not None and frame is None:
        raise ValueError("tail needs a frame: the tail is the part of each path before it")
    fig, ax = _prepare_axes(ax, image, clim, table, figsize)
    _draw_tracks(ax, table, frame, tail, color_by, linewidth, markersize, mark_divisions)
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def track_frames(
    tracks,
    images=None,
    frames=None,
    tail=5,
    ncols=4,
    size=3.0,
    clim=None,
    color_by="track",
    suptitle=None,
):
    """A few frames of a time-lapse side by side, each with the tracks up to it.

    The static version of :func:`cellcourse.widgets_tracks.track_viewer`, for
    printed and saved notebooks.

    Parameters
    ----------
    tracks : pandas.DataFrame
        Track table (see :func:`tracks_overlay`).
    images : (T, Y, X) ndarray, optional
        The time-lapse; frame t of the table is drawn over ``images[t]``.
    frames : sequence of int, optional
        Frames to show; default 4 frames evenly spread over the table.
    tail : int or None
        Frames of path drawn before each frame (None: the whole past).
    ncols : int
        Panels per row.
    size : float
        Inches per panel.
    clim : (float, float), optional
        Display range shared by all images; default the stack's 1st and 99.8th
        percentile.
    color_by : {"track", "lineage"}
    suptitle : str, optional
        A title over all panels.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError, ValueError
        On a malformed table, a stack that is not (T, Y, X), a frame missing
        from the stack, or bad ``ncols``.

    Examples
    --------
    >>> tracks = pd.DataFrame({"frame": [0, 1, 2], "y": [5.0, 6.0, 7.0],
    ...                        "x": [5.0, 6.0, 7.0], "track_id": [1, 1, 1]})
    >>> fig = track_frames(tracks, images=np.zeros((3, 12, 12)), frames=[0, 2])
    >>> [ax.get_title() for ax in fig.axes]
    ['frame 0', 'frame 2']
    """
    import matplotlib.pyplot as plt

    table = _check_tracks(tracks)
    tail = _check_tail(tail)
    if isinstance(ncols, bool) or not isinstance(ncols, int | np.integer) or ncols < 1:
        raise ValueError(f"ncols must be a positive integer; got {ncols!r}")
    if images is not None:
        images = np.asarray(images)
        if images.ndim != 3 or images.dtype.kind not in "biuf":
            raise ValueError(
                f"expected images of shape (T, Y, X) with numbers; got shape {images.shape}, "
                f"dtype {images.dtype}"
            )
    if frames is None:
        if len(table) == 0 and images is None:
            raise ValueError("tracks is empty: give the frames to show")
        last = int(table["frame"].max()) if len(table) else images.shape[0] - 1
        first = int(table["frame"].min()) if len(table) else 0
        frames = np.unique(np.linspace(first, last, 4).round().astype(int)).tolist()
    frames = [_check_frame(f, "each frame") for f in frames]
    if not frames:
        raise ValueError("frames must name at least one frame; got none")
    if images is not None:
        bad = [f for f in frames if not 0 <= f < images.shape[0]]
        if bad:
            raise ValueError(
                f"frames {bad} are not in images, which has frames 0..{images.shape[0] - 1}"
            )
        if clim is None:
            clim = tuple(np.percentile(images[frames], (1, 99.8)))
    ncols = min(int(ncols), len(frames))
    nrows = -(-len(frames) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax, f in zip(axes.flat, frames, strict=False):
        tracks_overlay(
            table,
            image=None if images is None else images[f],
            frame=f,
            tail=tail,
            ax=ax,
            clim=clim,
            color_by=color_by,
            title=f"frame {f}",
        )
    for ax in axes.flat[len(frames) :]:
        ax.remove()
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    fig.tight_layout()
    return fig


# --- lineage trees --------------------------------------------------------------------------
def _canonical_keys(table: pd.DataFrame) -> dict[int, tuple]:
    """A sort key per track that depends on the shape of its subtree, not on any id.

    Siblings and roots are drawn in the order of these keys (earlier start,
    then more leaves, then longer), so two lineages that differ only in their
    track ids are drawn the same way.
    """
    children: dict[int, list[int]] = {}
    for tid, parent in table[["track_id", "parent_id"]].itertuples(index=False):
        children.setdefault(int(parent), []).append(int(tid))
    keys: dict[int, tuple] = {}
    leaves: dict[int, int] = {}
    # daughters start after their mother ends: latest starts first builds subtrees bottom-up
    for tid, start, end in table.sort_values("start", ascending=False)[
        ["track_id", "start", "end"]
    ].itertuples(index=False):
        kids = [k for k in children.get(int(tid), []) if k in keys]
        leaves[tid] = sum(leaves[k] for k in kids) or 1
        keys[tid] = (int(start), -leaves[tid], -int(end), tuple(sorted(keys[k] for k in kids)))
    return keys


def _tree_layout(table: pd.DataFrame, roots: list[int]):
    """y position of every track of the trees below ``roots``: leaves 0, 1, 2 ... in order."""
    keys = _canonical_keys(table)
    children: dict[int, list[int]] = {}
    for tid, parent in table[["track_id", "parent_id"]].itertuples(index=False):
        children.setdefault(int(parent), []).append(int(tid))
    for kids in children.values():
        kids.sort(key=lambda k: keys[k])
    y: dict[int, float] = {}
    next_leaf = 0.0
    for root in roots:
        # depth-first, iteratively (deep lineages would overflow Python's recursion)
        stack = [(root, False)]
        while stack:
            node, done = stack.pop()
            kids = children.get(node, [])
            if done or not kids:
                if kids:
                    y[node] = float(np.mean([y[k] for k in kids]))
                else:
                    y[node] = next_leaf
                    next_leaf += 1.0
                continue
            stack.append((node, True))
            stack.extend((k, False) for k in reversed(kids))
        next_leaf += 0.6  # a little space between trees
    return y, children, keys


def lineage_tree(
    lineage,
    roots=None,
    ax=None,
    color="C0",
    label_tracks=None,
    last_frame=None,
    title=None,
    figsize=None,
    time_label="frame",
):
    """Draw lineage trees: time along x, one horizontal line per track.

    A division is a fork: the mother's line ends and a vertical bar joins it
    to its daughters. Trees and daughters are ordered by their shape (earlier
    start, then more descendants, then longer), never by id, so two lineages
    that differ only in their track ids look the same. A parent with a single "daughter" (how gap closing and
    the Cell Tracking Challenge store a cell missed for a few frames) is
    joined by a dotted line. A cross marks a track that ends without
    daughters before ``last_frame``: the cell died, left the field, or its
    track was lost.

    Parameters
    ----------
    lineage : pandas.DataFrame
        ``track_id, start, end, parent_id`` (or ``L, B, E, P``), one row per
        track; ``parent_id`` 0 = none.
    roots : int or sequence of int, optional
        Draw the trees of these tracks (each with all its descendants), in
        this order. Default every track without a parent in the table.
    ax : matplotlib Axes, optional
        Where to draw; default a new figure.
    color : str
        Colour of the lines.
    label_tracks : bool, optional
        Write each track's id at its start; default when at most 40 tracks are
        drawn.
    last_frame : int, optional
        The last frame of the movie: tracks ending there are not crossed.
        Default the last end in the table.
    title : str, optional
    figsize : (float, float), optional
        Size of a new figure; default grows with the number of tracks.
    time_label : str
        Label of the x axis.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError, ValueError
        If ``lineage`` is not a lineage table, or a root is not one of its
        tracks.

    Notes
    -----
    See chapter 09.

    Examples
    --------
    >>> lineage = pd.DataFrame({"track_id": [1, 2, 3], "start": [0, 5, 5], "end": [4, 9, 7],
    ...                         "parent_id": [0, 1, 1]})
    >>> fig = lineage_tree(lineage, last_frame=9)
    >>> [t.get_text() for t in fig.axes[0].texts]
    ['1', '2', '3']
    """
    import matplotlib.pyplot as plt

    table = _as_lineage(lineage)
    known = set(table["track_id"].tolist())
    if roots is None:
        orphan = ~table["parent_id"].isin(known)  # parent 0, or a parent outside the table
        roots = table.loc[orphan, "track_id"].tolist()
        keys = _canonical_keys(table)
        roots.sort(key=lambda r: keys[r])
    else:
        roots = [roots] if isinstance(roots, int | np.integer) else list(roots)
        bad = [r for r in roots if r not in known]
        if bad:
            raise ValueError(f"roots {bad[:5]} are not track ids of the lineage")
        roots = [int(r) for r in roots]
    y, children, _ = _tree_layout(table, roots)
    drawn = table[table["track_id"].isin(list(y))].set_index("track_id")
    if last_frame is None:
        last_frame = int(table["end"].max()) if len(table) else 0
    if label_tracks is None:
        label_tracks = len(drawn) <= 40
    if ax is None:
        height = min(max(1.5, 0.17 * (max(y.values(), default=0) + 2) + 0.6), 12)
        fig, ax = plt.subplots(figsize=figsize or (7, height))
    else:
        fig = ax.figure
    for tid, row in drawn.iterrows():
        ax.plot([row["start"], row["end"]], [y[tid], y[tid]], color=color, lw=1.5)
        if row["start"] == row["end"]:
            ax.plot(row["start"], y[tid], "o", color=color, ms=2)
        kids = [k for k in children.get(int(tid), []) if k in y]
        if kids:
            style = ":" if len(kids) == 1 else "-"
            ys = [y[k] for k in kids] + [y[tid]]
            ax.plot([row["end"], row["end"]], [min(ys), max(ys)], style, color=color, lw=1)
            for k in kids:
                ax.plot([row["end"], drawn.loc[k, "start"]], [y[k], y[k]], style, color=color, lw=1)
            if len(kids) >= 2:
                ax.plot(row["end"], y[tid], "o", color=color, ms=4)
        elif row["end"] < last_frame:
            ax.plot(row["end"], y[tid], "x", color="0.3", ms=5)
        if label_tracks:
            ax.text(
                row["start"], y[tid], f"{tid}", fontsize=7, ha="right", va="bottom", color="0.2"
            )
    ax.set_xlabel(time_label)
    ax.set_yticks([])
    ax.invert_yaxis()
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title, fontsize=9)
    return fig


# --- errors against the truth ---------------------------------------------------------------
def link_errors(
    true_tracks,
    pred_tracks,
    max_distance,
    image=None,
    frames=None,
    annotated_only=True,
    ax=None,
    clim=None,
    title=None,
    figsize=(5.0, 5.0),
):
    """Draw the links of a result: right (grey), wrong (red) and missed (blue, dashed).

    Detections are matched frame by frame by position, as
    :func:`cellcourse.metrics.tracking.link_scores` does. A predicted link is
    right when its two ends are matched to the two ends of a true link
    (including the links from a mother to its daughters); a true link that no
    predicted link covers is missed.

    Parameters
    ----------
    true_tracks, pred_tracks : pandas.DataFrame
        Track tables with ``frame, y, x, track_id, parent_id``.
    max_distance : float
        Largest distance in pixels between a true and a predicted detection of
        the same cell.
    image : (Y, X) ndarray, optional
        Background image.
    frames : (int, int), optional
        Draw only links that end in the frames ``first..last`` (inclusive).
    annotated_only : bool
        Leave out predicted links whose ends are not both matched to true
        detections (for ground truth that annotates only some cells).
    ax, clim, title, figsize
        As for :func:`tracks_overlay`.

    Returns
    -------
    matplotlib.figure.Figure
        The legend gives the number of links of each kind drawn.

    Raises
    ------
    TypeError, ValueError
        On malformed tables or parameters.

    Notes
    -----
    See chapter 09.

    Examples
    --------
    >>> true = pd.DataFrame({"frame": [0, 1, 0, 1], "y": [0.0, 1.0, 10.0, 11.0],
    ...                      "x": [0.0, 0.0, 0.0, 0.0], "track_id": [1, 1, 2, 2],
    ...                      "parent_id": [0, 0, 0, 0]})
    >>> pred = true.assign(track_id=[1, 2, 2, 1])  # the two cells swapped
    >>> fig = link_errors(true, pred, max_distance=0.5)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['right (0)', 'wrong (2)', 'missed (2)']
    """
    from matplotlib.collections import LineCollection

    from .metrics.tracking import match_detections

    true = _check_tracks(true_tracks, "true_tracks")
    pred = _check_tracks(pred_tracks, "pred_tracks")
    for name, table in (("true_tracks", true), ("pred_tracks", pred)):
        if "parent_id" not in table.columns:
            raise ValueError(f"{name} needs a parent_id column (0 = no parent)")
    if frames is not None:
        if (
            not isinstance(frames, tuple | list)
            or len(frames) != 2
            or not all(isinstance(f, int | np.integer) for f in frames)
        ):
            raise ValueError(f"frames must be (first, last) frame numbers; got {frames!r}")
    pairs = match_detections(true, pred, max_distance)
    pred_to_true = np.full(len(pred), -1, dtype=np.int64)
    pred_to_true[pairs["pred_row"].to_numpy()] = pairs["true_row"].to_numpy()
    t_source, t_target, _ = _links(true)
    p_source, p_target, _ = _links(pred)
    n = max(len(true), 1)
    true_keys = t_source * n + t_target
    s, t = pred_to_true[p_source], pred_to_true[p_target]
    both = (s >= 0) & (t >= 0)
    right = both & np.isin(s * n + t, true_keys)
    wrong = ~right & (both if annotated_only else True)
    found = np.isin(true_keys, (s * n + t)[right])
    true_frames = true["frame"].to_numpy(np.int64)
    pred_frames = pred["frame"].to_numpy(np.int64)
    if frames is not None:
        inside_pred = (pred_frames[p_target] >= frames[0]) & (pred_frames[p_target] <= frames[1])
        inside_true = (true_frames[t_target] >= frames[0]) & (true_frames[t_target] <= frames[1])
        right, wrong = right & inside_pred, wrong & inside_pred
        missed = ~found & inside_true
    else:
        missed = ~found
    shown = pd.concat([true[["y", "x"]], pred[["y", "x"]]])
    fig, ax = _prepare_axes(ax, image, clim, shown, figsize)
    p_xy = pred[["x", "y"]].to_numpy(np.float64)
    t_xy = true[["x", "y"]].to_numpy(np.float64)
    layers = [
        (p_xy, p_source[right], p_target[right], "0.6", "solid", 0.8, f"right ({right.sum()})"),
        (p_xy, p_source[wrong], p_target[wrong], "red", "solid", 1.8, f"wrong ({wrong.sum()})"),
        (
            t_xy,
            t_source[missed],
            t_target[missed],
            "tab:blue",
            "--",
            1.8,
            f"missed ({missed.sum()})",
        ),
    ]
    for xy, a, b, colour, style, width, label in layers:
        segments = np.stack([xy[a], xy[b]], axis=1) if a.size else np.zeros((0, 2, 2))
        ax.add_collection(
            LineCollection(segments, colors=colour, linestyles=style, linewidths=width, label=label)
        )
    ax.legend(loc="upper right", fontsize=7, framealpha=0.8)
    if title:
        ax.set_title(title, fontsize=9)
    return fig
