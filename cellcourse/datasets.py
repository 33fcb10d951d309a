"""Named loaders for the course datasets.

Each loader downloads its dataset through the verified registry (or copies it
from ``CELLCOURSE_DATA_MIRROR``), prepares arrays deterministically from the
raw files, caches them under ``<data dir>/prepared/`` and returns them with
documented axes and the dataset's licence and citation.
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .download import DownloadError, data_dir, dataset_paths
from .registry import get_dataset

__all__ = ["DownloadError", "NucleiImages", "load_bbbc039", "prepared_path"]

# Bump when the preparation of a dataset changes, so old caches are rebuilt.
_PREPARED_VERSION = {"bbbc039_nuclei": 1}


@dataclass(frozen=True)
class NucleiImages:
    """Fluorescence images of nuclei with instance labels.

    Attributes
    ----------
    images : (S, Y, X) ndarray of uint16
        Raw images as recorded by the microscope.
    labels : (S, Y, X) ndarray of int32
        Instance labels, 0 = background, 1..n = one nucleus each.
    names : list of str
        File name (without extension) of each image.
    wells : (S,) ndarray of str
        Well of each image (e.g. ``"A02"``): the group for splitting.
    sites : (S,) ndarray of int
        Site (field of view) within the well.
    dataset : str
        Registry name.
    licence, citation : str
        Licence and how to cite.
    doi : tuple of str
    axes : str
        ``"SYX"``.
    """

    images: np.ndarray
    labels: np.ndarray
    names: list[str]
    wells: np.ndarray
    sites: np.ndarray
    dataset: str
    licence: str
    citation: str
    doi: tuple[str, ...] = field(default=())
    axes: str = "SYX"

    def __len__(self) -> int:
        return len(self.images)

    def __repr__(self) -> str:
        return (
            f"NucleiImages({self.dataset}: {len(self)} images of shape {self.images.shape[1:]} "
            f"{self.images.dtype}, labels {self.labels.dtype}, {len(set(self.wells))} wells, "
            f"licence {self.licence})"
        )


def prepared_path(name: str) -> Path:
    """Where the prepared arrays of a dataset are cached."""
    version = _PREPARED_VERSION[name]
    return data_dir() / "prepared" / f"{name}-v{version}.npz"


def _save_atomic(path: Path, **arrays) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _load_prepared(path: Path) -> dict[str, np.ndarray] | None:
    if not path.exists():
        return None
    try:
        # open the file ourselves so it is closed even when np.load rejects it
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile):
        path.unlink(missing_ok=True)  # a damaged cache is rebuilt from the verified raw files
        return None


_BBBC039_NAME = re.compile(r"^IXMtest_(?P<well>[A-P]\d{2})_s(?P<site>\d+)_w")


def _prepare_bbbc039(progress: bool) -> dict[str, np.ndarray]:
    import imageio.v3 as iio
    import skimage.measure
    import tifffile

    paths = dataset_paths("bbbc039_nuclei", progress=progress)
    tifs = sorted(p for p in paths if p.startswith("cell nuclei/images/") and p.endswith(".tif"))
    images, labels, names = [], [], []
    for rel in tifs:
        image = tifffile.imread(paths[rel])
        mask_rel = rel.replace("/images/", "/masks/")[: -len(".tif")] + ".png"
        if mask_rel not in paths:
            raise FileNotFoundError(f"bbbc039_nuclei: no mask {mask_rel!r} for image {rel!r}")
        mask = iio.imread(paths[mask_rel])
        if image.shape != (520, 696) or image.dtype != np.uint16:
            raise ValueError(
                f"bbbc039_nuclei: expected image (520, 696) uint16, got {image.shape} "
                f"{image.dtype} in {paths[rel]}"
            )
        if mask.shape != (520, 696, 4):
            raise ValueError(
                f"bbbc039_nuclei: expected RGBA mask (520, 696, 4), got {mask.shape} "
                f"in {paths[mask_rel]}"
            )
        # The red channel holds small integers; touching nuclei get different values, so
        # connected components of equal value are the instances (the BBBC039 authors' recipe).
        labels.append(skimage.measure.label(mask[..., 0], connectivity=1).astype(np.uint16))
        images.append(image)
        names.append(Path(rel).stem)
    return dict(images=np.stack(images), labels=np.stack(labels), names=np.array(names))


def load_bbbc039(n_images: int | None = None, progress: bool = True) -> NucleiImages:
    """BBBC039 nuclei images with instance labels (first 100 of 200 images).

    U2OS cells from a chemical screen, nuclei stained with Hoechst, widefield
    fluorescence (ImageXpress). The masks were drawn by experts; touching
    nuclei are separated.

    Parameters
    ----------
    n_images : int, optional
        Return only the first ``n_images`` images (sorted by name); default all 100.
    progress : bool
        Show a progress bar while downloading.

    Returns
    -------
    NucleiImages
        ``images (S, Y, X) uint16`` with S = 100 and (Y, X) = (520, 696), 12-bit
        range (0-4095); ``labels (S, Y, X) int32``, 0 = background; ``names``;
        ``wells`` and ``sites`` for splitting by field of view. Pixel size is
        not given by the source. Licence CC0-1.0. One image
        (``IXMtest_F13_s7_...``) is an empty field with no nuclei.

    References
    ----------
    .. [1] Caicedo et al., Cytometry A 95:952 (2019), doi:10.1002/cyto.a.23863
    .. [2] Ljosa et al., Nat Methods 9:637 (2012), doi:10.1038/nmeth.2083

    Examples
    --------
    >>> data = load_bbbc039(n_images=4)  # doctest: +SKIP
    >>> data.images.shape, data.labels.dtype  # doctest: +SKIP
    ((4, 520, 696), dtype('int32'))
    """
    if n_images is not None:
        if isinstance(n_images, bool) or not isinstance(n_images, int | np.integer):
            raise TypeError(f"n_images must be an integer or None; got {type(n_images).__name__}")
        if not 1 <= n_images <= 100:
            raise ValueError(f"n_images must be between 1 and 100; got {n_images}")
    name = "bbbc039_nuclei"
    path = prepared_path(name)
    arrays = _load_prepared(path)
    if arrays is None:
        arrays = _prepare_bbbc039(progress)
        _save_atomic(path, **arrays)
    stop = n_images or len(arrays["images"])
    names = [str(n) for n in arrays["names"][:stop]]
    parsed = [_BBBC039_NAME.match(n) for n in names]
    bad = [n for n, m in zip(names, parsed, strict=True) if m is None]
    if bad:
        raise ValueError(f"bbbc039_nuclei: cannot read well/site from file names {bad[:3]}")
    info = get_dataset(name)
    return NucleiImages(
        images=arrays["images"][:stop],
        labels=arrays["labels"][:stop].astype(np.int32),
        names=names,
        wells=np.array([m["well"] for m in parsed]),
        sites=np.array([int(m["site"]) for m in parsed]),
        dataset=name,
        licence=info.licence,
        citation=info.citation,
        doi=info.doi,
    )
