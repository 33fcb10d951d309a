"""A frame slider for tracks (chapter 09), with ipywidgets imported only when used.

:func:`track_viewer` returns the widget to display; its drawing function is
exposed as ``widget.draw(frame)``, so tests and scripts can drive it without a
browser. In a notebook run headless (``cellcourse run``, CI) the slider cannot
move: show :func:`cellcourse.plot_tracks.track_frames` beside it, the same
picture for a few fixed frames.
"""

from __future__ import annotations

import numpy as np

__all__ = ["track_viewer"]


def _ipywidgets():
    try:
        import ipywidgets
    except ImportError as err:  # pragma: no cover - ipywidgets is a dependency
        raise ImportError("the frame slider needs ipywidgets: pip install ipywidgets") from err
    return ipywidgets


def track_viewer(tracks, images=None, tail=10, clim=None, color_by="track", figsize=(5, 5)):
    """A slider through the frames of a time-lapse, with the tracks drawn up to each frame.

    Parameters
    ----------
    tracks : pandas.DataFrame
        Track table: ``frame, y, x, track_id`` and optionally ``parent_id``
        (see :func:`cellcourse.plot_tracks.tracks_overlay`).
    images : (T, Y, X) ndarray, optional
        The time-lapse drawn under the tracks.
    tail : int or None
        Frames of path drawn behind each cell (None: the whole past).
    clim : (float, float), optional
        Display range shared by all frames; default the stack's 1st and 99.8th
        percentile.
    color_by : {"track", "lineage"}
        One colour per track, or per lineage.
    figsize : (float, float)
        Size of the figure in inches.

    Returns
    -------
    ipywidgets.VBox
        The slider above the plot; ``.draw(frame)`` redraws one frame and
        returns its Figure.

    Raises
    ------
    TypeError, ValueError
        As :func:`cellcourse.plot_tracks.tracks_overlay`, or if ``images`` is
        not a (T, Y, X) stack holding the table's frames.

    Notes
    -----
    See chapter 09.
    """
    widgets = _ipywidgets()
    import matplotlib.pyplot as plt

    from .plot_tracks import _check_color_by, _check_tail, _check_tracks, tracks_overlay

    table = _check_tracks(tracks)
    tail = _check_tail(tail)
    color_by = _check_color_by(color_by)
    if images is not None:
        images = np.asarray(images)
        if images.ndim != 3 or images.dtype.kind not in "biuf" or len(images) == 0:
            raise ValueError(
                f"expected a non-empty numeric stack of shape (T, Y, X); got shape "
                f"{images.shape}, dtype {images.dtype}"
            )
        if len(table) and table["frame"].max() >= len(images):
            raise ValueError(
                f"tracks reach frame {int(table['frame'].max())} but images has frames "
                f"0..{len(images) - 1}"
            )
        if clim is None:
            clim = tuple(np.percentile(images, (1, 99.8)))
        first, last = 0, len(images) - 1
    elif len(table):
        first, last = int(table["frame"].min()), int(table["frame"].max())
    else:
        raise ValueError("tracks is empty and there are no images: nothing to show")
    slider = widgets.IntSlider(
        value=first, min=first, max=last, description="frame", continuous_update=False
    )
    output = widgets.Output()

    def draw(frame: int):
        if not first <= frame <= last:
            raise IndexError(f"frame must be in {first}..{last}; got {frame}")
        with output:
            output.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=figsize)
            tracks_overlay(
                table,
                image=None if images is None else images[frame],
                frame=int(frame),
                tail=tail,
                ax=ax,
                clim=clim,
                color_by=color_by,
                title=f"frame {frame} of {last}",
            )
            plt.show()
        return fig

    slider.observe(lambda change: draw(change["new"]), names="value")
    box = widgets.VBox([slider, output])
    box.draw = draw
    draw(first)
    return box
