"""Loaders for the tracking datasets of chapter 09.

Each loader downloads its dataset through the verified registry (or copies it
from ``CELLCOURSE_DATA_MIRROR``), builds the tables and arrays below from the
raw files, caches them under ``<data dir>/prepared/`` and returns a
:class:`TrackingData`:

- ``detections``: what a linker starts from, one row per detected object per
  frame (``frame, label, y, x``, ...), with no ground truth in it;
- ``tracks`` and ``lineage``: the ground truth, as :mod:`cellcourse.tracking`
  writes results (``frame, label, y, x, track_id, parent_id`` and ``track_id,
  start, end, parent_id``), in the conventions of the Cell Tracking Challenge
  (CTC);
- ``images``, ``labels`` (per-frame instance ids) and ``markers`` (CTC ``TRA``
  images, pixel = track id) where the dataset has them.

All frame numbers are 0-based and agree between the tables and the arrays of a
dataset; where a source counts differently the loader says so and shifts.

==========================  ======================================================
``load_cellmigration``      nuclei in a migrating sheet: 27,630 detections in 86
                            frames, 571 ground-truth tracks with 101 divisions;
                            CTC markers on request (CC BY 4.0)
``load_cellmigration_crop`` 6 real image frames (200 x 200) of that movie with
                            the markers of the same window (CC BY 4.0)
``load_c2c12_tracks``       C2C12 myoblast lineages, points only: 85,576 positions
                            in 780 frames, 613 tracks (CC BY 4.0)
``load_epidermis_tracks``   mouse epidermis, dense label images with lineage:
                            15 frames, 1,070 tracks (Apache-2.0)
``load_cancer_cell_migration``  48-frame fluorescence crop with an automatic
                            segmentation, no ground truth (CC BY 4.0)
==========================  ======================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import cache
from .download import dataset_paths
from .registry import get_dataset
from .tracking import _ctc_tables, _read_track_file, detect

__all__ = [
    "TrackingData",
    "load_c2c12_tracks",
    "load_cancer_cell_migration",
    "load_cellmigration",
    "load_cellmigration_crop",
    "load_epidermis_tracks",
]

# Bump when the preparation of a dataset changes, so old caches are rebuilt.
_PREPARED_VERSION = {
    "cellmigration_gt": 1,
    "cellmigration_gt-crop": 1,
    "c2c12_tracks_gt": 1,
    "epidermis_tracks_gt": 1,
    "cancer_cell_migration": 1,
}

_CELLMIGRATION = "data/CellMigration/organized_data/Sparse1/"
_CELLMIGRATION_CROP_FRAMES = np.arange(60, 86, 5)  # example_images.tif = Sparse1 frames 60..85
_CELLMIGRATION_CROP_WINDOW = (slice(800, 1000), slice(400, 600))  # (Y, X) in the full field
_C2C12 = "data/C2C12/organized_data/BMP2_updated/"
_EPIDERMIS = "data/homeostasis/organized_data/area1/02_GT/TRA/"


@dataclass(frozen=True, eq=False)
class TrackingData:
    """A tracking dataset: detections, ground truth and images where available.

    Attributes
    ----------
    detections : pandas.DataFrame
        Input for a linker, one row per detected object per frame: ``frame,
        label, y, x`` (pixels; ``y`` = row) and, where known, ``area`` and
        ``mean_intensity``. No ground-truth columns.
    tracks : pandas.DataFrame or None
        Ground truth, one row per cell per frame: ``frame, label, y, x,
        track_id, parent_id`` (``parent_id`` 0 = none) and dataset-specific
        columns. ``label`` is the row's ``label`` in ``detections``/``labels``.
    lineage : pandas.DataFrame or None
        Ground truth, one row per track: ``track_id, start, end, parent_id``
        (the CTC ``man_track.txt``, frames inclusive).
    images : (T, Y, X) ndarray or None
        The time-lapse.
    labels : (T, Y, X) ndarray of int32 or None
        Instance labels, ids per frame (not track ids), 0 = background.
    markers : (T, Y, X) ndarray of uint16 or None
        CTC ``TRA`` ground truth: pixel value = track id.
    source_frames : (T,) ndarray of int64
        The frame of the original movie each frame comes from.
    pixel_size_um : float or None
        Pixel size in micrometres, where the source gives it.
    dataset, licence, citation : str
    doi : tuple of str
    notes : str
        Where the data come from and any caveat.
    axes : str
        ``"TYX"``.
    """

    detections: pd.DataFrame
    tracks: pd.DataFrame | None
    lineage: pd.DataFrame | None
    images: np.ndarray | None
    labels: np.ndarray | None
    markers: np.ndarray | None
    source_frames: np.ndarray
    pixel_size_um: float | None
    dataset: str
    licence: str
    citation: str
    doi: tuple[str, ...] = field(default=())
    notes: str = ""
    axes: str = "TYX"

    @property
    def n_frames(self) -> int:
        """Number of frames T."""
        return int(self.source_frames.size)

    def __repr__(self) -> str:
        parts = [f"{len(self.detections)} detections in {self.n_frames} frames"]
        if self.lineage is not None:
            parents = self.lineage.loc[self.lineage["parent_id"] > 0, "parent_id"]
            n_div = int((parents.value_counts() >= 2).sum())
            parts.append(f"{len(self.lineage)} true tracks, {n_div} divisions")
        for name in ("images", "labels", "markers"):
            array = getattr(self, name)
            if array is not None:
                parts.append(f"{name} {array.shape} {array.dtype}")
        return f"TrackingData({self.dataset}: {'; '.join(parts)}; licence {self.licence})"


# --- caching of tables ---------------------------------------------------------------------
def _pack(prefix: str, table: pd.DataFrame) -> dict[str, np.ndarray]:
    """A table as plain arrays for ``np.savez`` (no pickles): one array per column."""
    arrays = {f"{prefix}__columns": np.array(list(table.columns))}
    for col in table.columns:
        values = table[col].to_numpy()
        if values.dtype == object:
            values = table[col].fillna("").astype(str).to_numpy(dtype=str)
        arrays[f"{prefix}__{col}"] = values
    return arrays


def _unpack(prefix: str, arrays: dict[str, np.ndarray]) -> pd.DataFrame:
    columns = [str(c) for c in arrays[f"{prefix}__columns"]]
    return pd.DataFrame({c: arrays[f"{prefix}__{c}"] for c in columns})


def _cached(name: str, prepare, progress: bool) -> dict[str, np.ndarray]:
    path = cache.prepared_path(name, _PREPARED_VERSION[name])
    return cache.cached_arrays(path, lambda: prepare(progress))


def _data(name: str, **fields) -> TrackingData:
    info = get_dataset(name.split("-")[0])
    return TrackingData(
        dataset=info.name, licence=info.licence, citation=info.citation, doi=info.doi, **fields
    )


def _with_parents(table: pd.DataFrame, lineage: pd.DataFrame) -> pd.DataFrame:
    parent = dict(zip(lineage["track_id"].tolist(), lineage["parent_id"].tolist(), strict=True))
    out = table.copy()
    out["parent_id"] = out["track_id"].map(parent)
    if out["parent_id"].isna().any():
        missing = sorted(out.loc[out["parent_id"].isna(), "track_id"].unique().tolist())[:5]
        raise ValueError(f"tracks {missing} are not in the lineage file")
    out["parent_id"] = out["parent_id"].astype(np.int64)
    return out


def _check_spans(tracks: pd.DataFrame, lineage: pd.DataFrame, source: str) -> None:
    """The rows of each track cover exactly the frames start..end of the lineage."""
    grouped = tracks.groupby("track_id")["frame"].agg(["min", "max", "count"])
    spans = lineage.set_index("track_id").reindex(grouped.index)
    bad = (
        (grouped["min"] != spans["start"])
        | (grouped["max"] != spans["end"])
        | (grouped["count"] != grouped["max"] - grouped["min"] + 1)
    )
    if bad.any() or len(grouped) != len(lineage):
        raise ValueError(
            f"{source}: the positions and the lineage file disagree (e.g. track "
            f"{grouped.index[bad][0] if bad.any() else '?'}); the data may be damaged"
        )


# --- CellMigration -------------------------------------------------------------------------
def _prepare_cellmigration(progress: bool) -> dict[str, np.ndarray]:
    paths = dataset_paths("cellmigration_gt", progress=progress)
    table = pd.read_csv(paths[_CELLMIGRATION + "regionprops.csv"], index_col=0)
    lineage = _read_track_file(paths[_CELLMIGRATION + "02_GT/TRA/man_track.txt"])
    detections = pd.DataFrame(
        {
            "frame": table["frame"].to_numpy(np.int64),
            "label": table["label"].to_numpy(np.int64),
            "y": table["centroid-0"].to_numpy(np.float64),
            "x": table["centroid-1"].to_numpy(np.float64),
            "area": table["area"].to_numpy(np.int64),
            "mean_intensity": table["intensity_mean"].to_numpy(np.float64),
        }
    )
    truth = table["track"].notna().to_numpy()
    tracks = detections.loc[truth, ["frame", "label", "y", "x"]].reset_index(drop=True)
    tracks["track_id"] = table.loc[truth, "track"].to_numpy().astype(np.int64)
    tracks = _with_parents(tracks, lineage)
    _check_spans(tracks, lineage, "cellmigration_gt")
    return {**_pack("det", detections), **_pack("tracks", tracks), **_pack("lineage", lineage)}


def _read_markers(paths: dict[str, Path], folder: str, frames) -> np.ndarray:
    import tifffile

    return np.stack([tifffile.imread(paths[folder + f"man_track{t:03d}.tif"]) for t in frames])


def load_cellmigration(markers: bool = False, progress: bool = True) -> TrackingData:
    """Nuclei in a migrating cell sheet: detections and CTC ground truth (86 frames).

    The "cell migration" dataset of the LapTrack paper (Sparse1: every frame).
    The full field is 1024 x 1024 pixels with 1.5779 pixels per micrometre;
    the full image stack is not published with it, only a segmentation of each
    frame (the detections) and the ground-truth tracks.

    Parameters
    ----------
    markers : bool
        Also read the 86 CTC ``TRA`` marker images (1024 x 1024 uint16, about
        180 MB in memory, 1-2 s to read).
    progress : bool
        Show a progress bar while downloading.

    Returns
    -------
    TrackingData
        ``detections``: 27,630 nuclei (226-457 per frame) with ``frame, label,
        y, x, area, mean_intensity``; 1,543 of them belong to no ground-truth
        track (mostly at the border), so a perfect linker still has extra
        tracks. ``tracks``: the 26,087 detections that belong to one of the
        571 ground-truth tracks, with ``track_id`` and ``parent_id``
        (``label`` ties each row to its detection). ``lineage``: 571 tracks,
        100 divisions into two daughters and one track (188) with three
        daughters, probably an annotation artefact. ``markers`` (if asked):
        (86, 1024, 1024) uint16, one disc of about 221 pixels per cell,
        pixel = track id. No ``images`` and no ``labels``. Licence CC BY 4.0.

    Notes
    -----
    The detections file is the LapTrack authors' ``regionprops.csv``; its
    ``track`` column (the ground truth) is moved into ``tracks``. Frames are
    0-based in every file of this dataset. See chapter 09.

    References
    ----------
    .. [1] Fukai, Y. T. & Kawaguchi, K. (2023). LapTrack: linear assignment
       particle tracking with tunable metrics. Bioinformatics 39, btac799.
       :doi:`10.1093/bioinformatics/btac799`
    .. [2] Data: Zenodo :doi:`10.5281/zenodo.6087728`

    Examples
    --------
    >>> data = load_cellmigration()  # doctest: +SKIP
    >>> len(data.detections), len(data.lineage)  # doctest: +SKIP
    (27630, 571)
    """
    if not isinstance(markers, bool):
        raise TypeError(f"markers must be True or False; got {markers!r}")
    arrays = _cached("cellmigration_gt", _prepare_cellmigration, progress)
    lineage = _unpack("lineage", arrays)
    tra = None
    if markers:
        paths = dataset_paths("cellmigration_gt", progress=progress)
        tra = _read_markers(paths, _CELLMIGRATION + "02_GT/TRA/", range(86))
    return _data(
        "cellmigration_gt",
        detections=_unpack("det", arrays),
        tracks=_unpack("tracks", arrays),
        lineage=lineage,
        images=None,
        labels=None,
        markers=tra,
        source_frames=np.arange(86, dtype=np.int64),
        pixel_size_um=1 / 1.5779,
        notes=(
            "LapTrack 'cell migration' data, Sparse1 (all 86 frames). Pixel size from the "
            "authors' visualize_data.py (1.5779 px per um). Cell type, marker and frame "
            "interval are not stated in the repository."
        ),
    )


def _prepare_cellmigration_crop(progress: bool) -> dict[str, np.ndarray]:
    import tifffile

    paths = dataset_paths("cellmigration_gt", progress=progress)
    images = tifffile.imread(paths["data/CellMigration/example_images.tif"])
    if images.shape != (6, 200, 200) or images.dtype != np.uint16:
        raise ValueError(
            f"cellmigration_gt: expected example_images.tif of shape (6, 200, 200) uint16, "
            f"got {images.shape} {images.dtype}"
        )
    full = _read_markers(paths, _CELLMIGRATION + "02_GT/TRA/", _CELLMIGRATION_CROP_FRAMES)
    markers = full[(slice(None), *_CELLMIGRATION_CROP_WINDOW)]
    return {"images": images, "markers": markers}


def load_cellmigration_crop(progress: bool = True) -> TrackingData:
    """Six real frames (200 x 200) of the cell-migration movie, with CTC markers.

    The only published pixels of the LapTrack cell-migration movie: the window
    ``[800:1000, 400:600]`` (Y, X) of frames 60, 65, 70, 75, 80 and 85 (every
    5th frame), bright nuclei on a dark background. The markers are the
    ground-truth ``TRA`` images of the same frames and window. Use it to
    detect nuclei in real images and compare with the markers.

    Parameters
    ----------
    progress : bool
        Show a progress bar while downloading.

    Returns
    -------
    TrackingData
        ``images`` (6, 200, 200) uint16 (values 222-65535); ``markers`` (6,
        200, 200) uint16, pixel = track id of the full dataset (markers cut by
        the window edge are smaller); ``labels``: the markers renumbered 1..n
        per frame in raster order; ``detections``:
        :func:`cellcourse.tracking.detect` of ``labels``; ``tracks``: the same
        rows with the ``track_id`` of :func:`load_cellmigration` and
        ``parent_id`` 0, because at 5-frame steps divisions are not resolved
        (28 of the 69 tracks in the window have a parent outside it); one
        track leaves the window and comes back, so ``tracks`` has a gap and
        there is no ``lineage`` (None). ``source_frames`` = [60, 65, 70, 75,
        80, 85]: frame k of the crop is frame ``60 + 5 k`` of
        :func:`load_cellmigration`. Licence CC BY 4.0.

    Notes
    -----
    Between two crop frames 5 movie frames pass, so cells move five times as
    far as in :func:`load_cellmigration`. See chapter 09.

    Examples
    --------
    >>> crop = load_cellmigration_crop()  # doctest: +SKIP
    >>> crop.images.shape, crop.source_frames.tolist()  # doctest: +SKIP
    ((6, 200, 200), [60, 65, 70, 75, 80, 85])
    """
    arrays = _cached("cellmigration_gt-crop", _prepare_cellmigration_crop, progress)
    markers = arrays["markers"]
    labels = np.stack([_raster_relabel(frame) for frame in markers])
    detections = detect(labels)
    tracks = detections[["frame", "label", "y", "x", "area"]].copy()
    tracks["track_id"] = _track_ids(detections, labels, markers)
    tracks["parent_id"] = np.zeros(len(tracks), dtype=np.int64)
    return _data(
        "cellmigration_gt-crop",
        detections=detections,
        tracks=tracks,
        lineage=None,
        images=arrays["images"],
        labels=labels,
        markers=markers,
        source_frames=_CELLMIGRATION_CROP_FRAMES.astype(np.int64),
        pixel_size_um=1 / 1.5779,
        notes=(
            "example_images.tif of the LapTrack repository: window [800:1000, 400:600] of "
            "frames 60, 65, ..., 85, with the ground-truth markers of the same window."
        ),
    )


# --- C2C12 -----------------------------------------------------------------------------------
def _prepare_c2c12(progress: bool) -> dict[str, np.ndarray]:
    paths = dataset_paths("c2c12_tracks_gt", progress=progress)
    table = pd.read_csv(paths[_C2C12 + "regionprops.csv"], index_col=0)
    lineage = _read_track_file(paths[_C2C12 + "02_GT/TRA/man_track.txt"])
    # The csv counts frames from 1, man_track.txt from 0 (the authors' visualize_data.py
    # adds 1 to overlay the images in napari): shift to 0-based.
    tracks = pd.DataFrame(
        {
            "frame": table["frame"].to_numpy(np.int64) - 1,
            "y": table["y"].to_numpy(np.float64),
            "x": table["x"].to_numpy(np.float64),
            "track_id": table["track"].to_numpy(np.int64),
            "state": table["state"].to_numpy(np.int64),
            "interpolated": table["interpolation"].eq("I").to_numpy(),
        }
    )
    # There are no images: number the cells of each frame in raster order (by y, then
    # x) so that the label says nothing about the track.
    tracks = tracks.sort_values(["frame", "y", "x"], kind="stable").reset_index(drop=True)
    tracks.insert(1, "label", tracks.groupby("frame").cumcount().to_numpy(np.int64) + 1)
    tracks = _with_parents(tracks, lineage)
    tracks = tracks[["frame", "label", "y", "x", "track_id", "parent_id", "state", "interpolated"]]
    _check_spans(tracks, lineage, "c2c12_tracks_gt")
    return {**_pack("tracks", tracks), **_pack("lineage", lineage)}


def load_c2c12_tracks(progress: bool = True) -> TrackingData:
    """C2C12 myoblast lineages: manually tracked positions, no images (780 frames).

    The "Human Full Annotation" of sequence 9 of experiment
    ``090303-C2C12P15-FGF2,BMP2`` (Ker et al. 2018): every cell clicked in
    every frame, with its lineage, as organised by the LapTrack authors. The
    phase-contrast images (1392 x 1040 pixels) are not included.

    Parameters
    ----------
    progress : bool
        Show a progress bar while downloading.

    Returns
    -------
    TrackingData
        ``tracks``: 85,576 rows ``frame, label, y, x, track_id, parent_id``
        plus ``state`` (the Ker et al. cell-state code; 2 marks the first
        frame of a daughter, 7 presumably mitosis) and ``interpolated`` (True
        where the csv's ``interpolation`` column is ``"I"``; which of the two
        means a clicked position is not documented). ``label`` numbers the
        cells of a frame by position (by y, then x). ``detections``: the same
        positions without the ground truth. ``lineage``: 613 tracks, 31 at
        frame 0 growing to 267; 246 divisions into two daughters, one into
        three (track 170) and 4 parents with one daughter. No images.
        Licence CC BY 4.0.

    Notes
    -----
    Frame offset: the source csv counts frames from 1 and its
    ``man_track.txt`` from 0; for all 613 tracks the csv's first and last
    frames are ``start + 1`` and ``end + 1``. The loader subtracts 1, so
    ``frame`` here is 0-based and agrees with ``lineage``. The csv's frame is
    probably the 0-based index of the original image files (an inference; the
    images are not here). See chapter 09.

    References
    ----------
    .. [1] Ker, D. F. E. et al. (2018). Phase contrast time-lapse microscopy
       datasets with automated and manual cell tracking annotations. Sci Data
       5, 180237. :doi:`10.1038/sdata.2018.237`
    .. [2] Fukai, Y. T. & Kawaguchi, K. (2023). LapTrack. Bioinformatics 39,
       btac799. :doi:`10.1093/bioinformatics/btac799`

    Examples
    --------
    >>> data = load_c2c12_tracks()  # doctest: +SKIP
    >>> len(data.tracks), data.n_frames  # doctest: +SKIP
    (85576, 780)
    """
    arrays = _cached("c2c12_tracks_gt", _prepare_c2c12, progress)
    tracks = _unpack("tracks", arrays)
    return _data(
        "c2c12_tracks_gt",
        detections=tracks[["frame", "label", "y", "x"]].copy(),
        tracks=tracks,
        lineage=_unpack("lineage", arrays),
        images=None,
        labels=None,
        markers=None,
        source_frames=np.arange(int(tracks["frame"].max()) + 1, dtype=np.int64),
        pixel_size_um=None,
        notes=(
            "Ker et al. 2018 sequence 090303-C2C12P15-FGF2,BMP2_9, 'BMP2_updated' version of "
            "the LapTrack authors. Source csv frames are 1-based; shifted to 0-based here."
        ),
    )


# --- epidermis -------------------------------------------------------------------------------
def _raster_relabel(frame: np.ndarray) -> np.ndarray:
    """Renumber the objects of one frame 1..n in the order they appear in raster order."""
    values, first = np.unique(frame, return_index=True)
    keep = values != 0
    values, first = values[keep], first[keep]
    lut = np.zeros(int(frame.max()) + 1, dtype=np.int32)
    lut[values[np.argsort(first)]] = np.arange(1, values.size + 1, dtype=np.int32)
    return lut[frame]


def _track_ids(detections: pd.DataFrame, labels: np.ndarray, markers: np.ndarray) -> np.ndarray:
    """The marker value (track id) under each detected object of ``labels``."""
    frames = detections["frame"].to_numpy()
    track_id = np.zeros(len(detections), dtype=np.int64)
    for t in range(labels.shape[0]):
        lut = np.zeros(int(labels[t].max()) + 1, dtype=np.int64)
        lut[labels[t]] = markers[t]  # the objects of labels are the markers, renumbered
        here = frames == t
        track_id[here] = lut[detections.loc[here, "label"].to_numpy()]
    return track_id


def _prepare_epidermis(progress: bool) -> dict[str, np.ndarray]:
    import tifffile

    paths = dataset_paths("epidermis_tracks_gt", progress=progress)
    # the file names are not zero-padded (man_track0 ... man_track14): read them by number
    markers = np.stack(
        [tifffile.imread(paths[_EPIDERMIS + f"man_track{t}.tif"]) for t in range(15)]
    )
    lineage = _read_track_file(paths[_EPIDERMIS + "man_track.txt"])
    _ctc_tables(markers, lineage, "epidermis_tracks_gt")  # the images agree with the file
    labels = np.stack([_raster_relabel(frame) for frame in markers])
    return {"markers": markers, "labels": labels, **_pack("lineage", lineage)}


def load_epidermis_tracks(progress: bool = True) -> TrackingData:
    """Mouse paw epidermis: dense cell segmentation with lineage (15 frames).

    Live imaging of the basal layer of mouse paw epidermis (Yamamoto et al.
    2022), as organised by the LapTrack authors (``area1``). Every cell is
    segmented; cells are tightly packed, divide often and do not touch (1-pixel
    borders). There are no intensity images. Suited to linking by overlap
    (:func:`cellcourse.tracking.link_by_overlap`).

    Parameters
    ----------
    progress : bool
        Show a progress bar while downloading.

    Returns
    -------
    TrackingData
        ``labels`` (15, 460, 460) int32: the segmentation with the cells of
        each frame renumbered 1..n in raster order, so that ids say nothing
        about the tracks; ``markers`` (15, 460, 460) uint16: the same pixels
        with the ground-truth track ids (CTC ``TRA``); ``detections``:
        :func:`cellcourse.tracking.detect` of ``labels``; ``tracks``: the same
        rows with ``track_id`` and ``parent_id``; ``lineage``: 1,070 tracks,
        335 divisions into two daughters and 17 parents with one daughter.
        236-327 cells per frame. Licence Apache-2.0.

    Notes
    -----
    The source names its frames ``man_track0.tif`` ... ``man_track14.tif``
    (not zero-padded); they are read by number. The imaging interval and
    pixel size are not stated in the source. See chapter 09.

    References
    ----------
    .. [1] Yamamoto, T., Cockburn, K., Greco, V. & Kawaguchi, K. (2022).
       Probing the rules of cell coordination in live tissues by
       interpretable machine learning based on graph neural networks. PLoS
       Comput Biol 18, e1010477. :doi:`10.1371/journal.pcbi.1010477`
    .. [2] Fukai, Y. T. & Kawaguchi, K. (2023). LapTrack. Bioinformatics 39,
       btac799. :doi:`10.1093/bioinformatics/btac799`

    Examples
    --------
    >>> data = load_epidermis_tracks()  # doctest: +SKIP
    >>> data.labels.shape, len(data.lineage)  # doctest: +SKIP
    ((15, 460, 460), 1070)
    """
    arrays = _cached("epidermis_tracks_gt", _prepare_epidermis, progress)
    labels = arrays["labels"].astype(np.int32)
    markers = arrays["markers"]
    detections = detect(labels)
    lineage = _unpack("lineage", arrays)
    tracks = detections[["frame", "label", "y", "x", "area"]].copy()
    tracks["track_id"] = _track_ids(detections, labels, markers)
    tracks = _with_parents(tracks, lineage)
    return _data(
        "epidermis_tracks_gt",
        detections=detections,
        tracks=tracks,
        lineage=lineage,
        images=None,
        labels=labels,
        markers=markers,
        source_frames=np.arange(labels.shape[0], dtype=np.int64),
        pixel_size_um=None,
        notes=(
            "LapTrack repository, data/homeostasis area1 (from Yamamoto et al. 2022, "
            "cell_interaction_gnn W-R1). Imaging interval and pixel size not stated."
        ),
    )


# --- cancer cell migration -------------------------------------------------------------------
def _prepare_cancer(progress: bool) -> dict[str, np.ndarray]:
    import tifffile

    paths = dataset_paths("cancer_cell_migration", progress=progress)
    images = tifffile.imread(paths["data/cancer_cell_migration_crop.tif"])
    labels = tifffile.imread(paths["data/cancer_cell_migration_voronoi_otsu_labeling_crop.tif"])
    if images.shape != (48, 130, 130) or labels.shape != images.shape:
        raise ValueError(
            f"cancer_cell_migration: expected images and labels of shape (48, 130, 130), got "
            f"{images.shape} and {labels.shape}"
        )
    return {"images": images, "labels": labels.astype(np.int32)}


def load_cancer_cell_migration(progress: bool = True) -> TrackingData:
    """Migrating cancer cells: a 48-frame fluorescence crop with an automatic segmentation.

    A crop in x, y and t of the cell-migration dataset of Tinevez & Jacquemet
    (the TrackMate-StarDist tutorial data), with labels made by Voronoi-Otsu
    labelling (``spot_sigma=5``, ``outline_sigma=3``). The labels are an
    algorithm's output, not ground truth, and there are no tracks: use it to
    link detections and look at the result.

    Parameters
    ----------
    progress : bool
        Show a progress bar while downloading.

    Returns
    -------
    TrackingData
        ``images`` (48, 130, 130) uint16 (a few saturated pixels at 65535);
        ``labels`` (48, 130, 130) int32, ids per frame (9-18 nuclei per frame;
        an id in one frame is not the same cell in the next); ``detections``:
        :func:`cellcourse.tracking.detect` of them with ``mean_intensity``.
        ``tracks``, ``lineage`` and ``markers`` are None. Pixel size and frame
        interval are not given by the source. Licence CC BY 4.0.

    Notes
    -----
    The TIFF has no metadata: the (T, Y, X) axis order comes from the source
    note. See chapter 09.

    References
    ----------
    .. [1] Tinevez, J.-Y. & Jacquemet, G. (2021). Cell migration dataset.
       Zenodo. :doi:`10.5281/zenodo.5206107`

    Examples
    --------
    >>> data = load_cancer_cell_migration()  # doctest: +SKIP
    >>> data.images.shape  # doctest: +SKIP
    (48, 130, 130)
    """
    arrays = _cached("cancer_cell_migration", _prepare_cancer, progress)
    images, labels = arrays["images"], arrays["labels"]
    return _data(
        "cancer_cell_migration",
        detections=detect(labels, images),
        tracks=None,
        lineage=None,
        images=images,
        labels=labels,
        markers=None,
        source_frames=np.arange(images.shape[0], dtype=np.int64),
        pixel_size_um=None,
        notes=(
            "Crop of Tinevez & Jacquemet, Zenodo 10.5281/zenodo.5206107, from Haase's "
            "BioImageAnalysisNotebooks; labels by napari-pyclesperanto-assistant."
        ),
    )
