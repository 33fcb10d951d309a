"""Named loaders for the course datasets.

Each loader downloads its dataset through the verified registry (or copies it
from ``CELLCOURSE_DATA_MIRROR``), prepares arrays deterministically from the
raw files, caches them under ``<data dir>/prepared/`` and returns them with
documented axes and the dataset's licence and citation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import cache
from .download import DownloadError, dataset_paths
from .registry import get_dataset

__all__ = [
    "BloodCells",
    "DownloadError",
    "NucleiImages",
    "load_bbbc039",
    "load_bccd_cells",
    "load_dsb2018_image",
    "prepared_path",
]

# Bump a version when its preparation changes, so that old caches are rebuilt
_PREPARED_VERSION = {"bbbc039_nuclei": 1, "bccd_blood_cells": 1, "insilico_labeling_sample": 1}


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
    """Where the prepared arrays of a dataset are cached (see :mod:`cellcourse.cache`)."""
    return cache.prepared_path(name, _PREPARED_VERSION[name])


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
    arrays = cache.cached_arrays(prepared_path(name), lambda: _prepare_bbbc039(progress))
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


def load_dsb2018_image(progress: bool = True) -> NucleiImages:
    """One fluorescence image of nuclei from the 2018 Data Science Bowl, with its labels.

    A test of domain shift for models trained on BBBC039 (chapter 08): other
    cells, another microscope and an 8-bit range. Read directly from the two
    verified TIFF files (no prepared cache: they are small).

    Parameters
    ----------
    progress : bool
        Show a progress bar while downloading.

    Returns
    -------
    NucleiImages
        ``images (1, 512, 512) uint16`` with values 0-235; ``labels (1, 512, 512)
        int32``, 0 = background, 125 nuclei numbered 1..125 (the source's ids run
        to 183 with gaps and are renumbered); ``names = ["img2d"]``; ``wells =
        ["dsb2018"]``, ``sites = [0]``. Cell type and stain are not documented.
        Licence: CC0 upstream (BBBC038v1); the stardist repository that hosts the
        files is BSD-3-Clause.

    References
    ----------
    .. [1] Caicedo et al., Nat Methods 16:1247 (2019), doi:10.1038/s41592-019-0612-7

    Examples
    --------
    >>> data = load_dsb2018_image()  # doctest: +SKIP
    >>> data.images.shape, int(data.labels.max())  # doctest: +SKIP
    ((1, 512, 512), 125)
    """
    import skimage.segmentation
    import tifffile

    name = "dsb2018_stardist"
    paths = dataset_paths(name, progress=progress)
    arrays = {}
    for key, rel in (
        ("image", "stardist/data/images/img2d.tif"),
        ("mask", "stardist/data/images/mask2d.tif"),
    ):
        if rel not in paths:
            raise FileNotFoundError(f"{name}: the registry has no file {rel!r}")
        arrays[key] = tifffile.imread(paths[rel])
        if arrays[key].shape != (512, 512) or arrays[key].dtype != np.uint16:
            raise ValueError(
                f"{name}: expected (512, 512) uint16 in {paths[rel]}, got "
                f"{arrays[key].shape} {arrays[key].dtype}"
            )
    labels, _, _ = skimage.segmentation.relabel_sequential(arrays["mask"].astype(np.int32))
    info = get_dataset(name)
    return NucleiImages(
        images=arrays["image"][None],
        labels=labels[None].astype(np.int32),
        names=["img2d"],
        wells=np.array(["dsb2018"]),
        sites=np.array([0]),
        dataset=name,
        licence=info.licence,
        citation=info.citation,
        doi=info.doi,
    )


# ----------------------------------------------------------------------------------------
# BCCD blood cells
# ----------------------------------------------------------------------------------------

_BCCD_CLASSES = ("Platelets", "RBC", "WBC")  # alphabetical: the index of each class is fixed


@dataclass(frozen=True)
class BloodCells:
    """Crops of single blood cells with their class, from a box-annotated dataset.

    Attributes
    ----------
    x : (S, Y, X, C) ndarray of uint8
        One RGB crop per annotated cell, C = 3.
    y : (S,) ndarray of int64
        Class index of each crop into ``class_names``.
    class_names : list of str
        ``["Platelets", "RBC", "WBC"]`` (sorted alphabetically).
    source : (S,) ndarray of str
        Image each crop comes from (e.g. ``"BloodImage_00001"``): the group for
        splitting, so that cells of one image never land in both training and test sets.
    boxes : (S, 4) ndarray of int64
        The annotated box of each crop in its source image, ``(xmin, ymin, xmax, ymax)``
        in pixels; the box covers ``image[ymin:ymax, xmin:xmax]``.
    n_skipped : int
        Annotated boxes that were left out because they have no area inside the image.
    dataset : str
        Registry name.
    licence, citation : str
        Licence and how to cite.
    doi : tuple of str
    axes : str
        ``"SYXC"``.
    """

    x: np.ndarray
    y: np.ndarray
    class_names: list[str]
    source: np.ndarray
    boxes: np.ndarray
    n_skipped: int
    dataset: str
    licence: str
    citation: str
    doi: tuple[str, ...] = field(default=())
    axes: str = "SYXC"

    def __len__(self) -> int:
        return len(self.x)

    def __repr__(self) -> str:
        counts = np.bincount(self.y, minlength=len(self.class_names))
        per_class = ", ".join(
            f"{name} {count}" for name, count in zip(self.class_names, counts, strict=True)
        )
        return (
            f"BloodCells({self.dataset}: {len(self)} crops of shape {self.x.shape[1:]} "
            f"{self.x.dtype} from {len(set(self.source))} images; {per_class}; "
            f"{self.n_skipped} boxes skipped; licence {self.licence})"
        )


def _bccd_boxes(xml_path: Path) -> tuple[tuple[int, int], list[tuple[str, int, int, int, int]]]:
    """Image (height, width) and ``(class, xmin, ymin, xmax, ymax)`` boxes of one VOC file."""
    import xml.etree.ElementTree as ET

    root = ET.parse(xml_path).getroot()
    try:
        height = int(root.find("size").findtext("height"))
        width = int(root.find("size").findtext("width"))
        boxes = []
        for obj in root.iter("object"):
            box = obj.find("bndbox")
            corners = [int(float(box.findtext(k))) for k in ("xmin", "ymin", "xmax", "ymax")]
            boxes.append((obj.findtext("name").strip(), *corners))
    except (AttributeError, TypeError, ValueError) as err:
        raise ValueError(f"bccd_blood_cells: cannot read the size or a box of {xml_path}") from err
    return (height, width), boxes


def _square_window(xmin: int, ymin: int, xmax: int, ymax: int) -> tuple[int, int, int]:
    """Top-left corner ``(y0, x0)`` and side of the square centred on a box, side = max(w, h)."""
    width, height = xmax - xmin, ymax - ymin
    side = max(width, height)
    return ymin - (side - height) // 2, xmin - (side - width) // 2, side


def _prepare_bccd(size: int, progress: bool) -> dict[str, np.ndarray]:
    import imageio.v3 as iio
    from skimage.transform import resize

    paths = dataset_paths("bccd_blood_cells", progress=progress)
    xmls = sorted(p for p in paths if p.startswith("BCCD/Annotations/") and p.endswith(".xml"))
    crops, classes, sources, kept_boxes = [], [], [], []
    n_skipped = 0
    for rel in xmls:
        stem = Path(rel).stem
        jpg_rel = f"BCCD/JPEGImages/{stem}.jpg"
        if jpg_rel not in paths:
            raise FileNotFoundError(f"bccd_blood_cells: no image {jpg_rel!r} for {rel!r}")
        (height, width), boxes = _bccd_boxes(paths[rel])
        image = iio.imread(paths[jpg_rel])
        if image.shape != (height, width, 3) or image.dtype != np.uint8:
            raise ValueError(
                f"bccd_blood_cells: expected an RGB uint8 image of shape ({height}, {width}, 3) "
                f"as its annotation says, got {image.shape} {image.dtype} in {paths[jpg_rel]}"
            )
        windows = []
        for name, xmin, ymin, xmax, ymax in boxes:
            if name not in _BCCD_CLASSES:
                raise ValueError(
                    f"bccd_blood_cells: expected a class in {list(_BCCD_CLASSES)}, "
                    f"got {name!r} in {paths[rel]}"
                )
            # clip boxes that stick out; a box with no area left (zero size, or wholly
            # outside the image) has no cell to crop and is counted as skipped
            xmin, xmax = max(xmin, 0), min(xmax, width)
            ymin, ymax = max(ymin, 0), min(ymax, height)
            if xmax <= xmin or ymax <= ymin:
                n_skipped += 1
                continue
            windows.append((name, (xmin, ymin, xmax, ymax), _square_window(xmin, ymin, xmax, ymax)))
        if not windows:
            continue
        # Pad the whole image once by reflection so that squares near the border are
        # filled with plausible cell texture instead of black bars.
        pad = max(
            max(-y0, -x0, y0 + side - height, x0 + side - width, 0)
            for _, _, (y0, x0, side) in windows
        )
        padded = np.pad(image, ((pad, pad), (pad, pad), (0, 0)), mode="reflect")
        for name, box, (y0, x0, side) in windows:
            crop = padded[y0 + pad : y0 + pad + side, x0 + pad : x0 + pad + side]
            small = resize(crop, (size, size), anti_aliasing=True, preserve_range=True)
            crops.append(np.clip(np.round(small), 0, 255).astype(np.uint8))
            classes.append(_BCCD_CLASSES.index(name))
            sources.append(stem)
            kept_boxes.append(box)
    return dict(
        x=np.stack(crops),
        y=np.array(classes, dtype=np.int64),
        source=np.array(sources),
        boxes=np.array(kept_boxes, dtype=np.int64),
        n_skipped=np.array(n_skipped, dtype=np.int64),
        class_names=np.array(_BCCD_CLASSES),
    )


def load_bccd_cells(size: int = 64, progress: bool = True) -> BloodCells:
    """Single-cell crops from BCCD, the blood cell detection dataset (all 364 images).

    Brightfield colour micrographs (640 x 480 JPEG) of stained peripheral blood
    smears, with boxes around red blood cells (RBC), white blood cells (WBC) and
    platelets. Every box becomes one crop, so the crops make a 3-class
    classification set. The classes are very unbalanced: about 85 % RBC.

    Each crop is the square centred on the box with side ``max(width, height)``,
    so that a cell keeps its shape (stretching a box to a square would distort
    round cells). Where the square leaves the image it is filled by reflecting
    the image at its border. The square is resized to ``(size, size)`` with
    anti-aliasing and rounded back to ``uint8``. Boxes that stick out of the
    image are clipped first; boxes with no area inside the image are skipped
    and counted in ``n_skipped`` (two zero-size boxes, in ``BloodImage_00338``
    and ``BloodImage_00343``).

    Parameters
    ----------
    size : int
        Side of the square crops in pixels, between 16 and 512.
    progress : bool
        Show a progress bar while downloading.

    Returns
    -------
    BloodCells
        ``x (S, Y, X, C) uint8`` with Y = X = ``size``, C = 3 (RGB);
        ``y (S,) int64`` class indices into ``class_names = ["Platelets", "RBC",
        "WBC"]`` (alphabetical); ``source (S,)`` the image of each crop, for
        splitting by image; ``boxes (S, 4)`` as ``(xmin, ymin, xmax, ymax)``;
        ``n_skipped``. Licence MIT. Pixel size is not given by the source.

    Raises
    ------
    TypeError, ValueError
        If ``size`` is not an integer between 16 and 512.

    Notes
    -----
    Box corners are read as pixel-edge coordinates (labelImg, which made these
    annotations, writes them so), so a box covers ``image[ymin:ymax, xmin:xmax]``.
    Cells of one image share staining and illumination: split by ``source``,
    never by crop. There is no paper or DOI; the clinical origin of the smears
    (patients, staining, microscope) is undocumented.

    References
    ----------
    .. [1] Shenggan, BCCD Dataset (2017), https://github.com/Shenggan/BCCD_Dataset

    Examples
    --------
    >>> cells = load_bccd_cells(size=64)  # doctest: +SKIP
    >>> cells.x.shape, cells.class_names  # doctest: +SKIP
    ((4886, 64, 64, 3), ['Platelets', 'RBC', 'WBC'])
    """
    if isinstance(size, bool) or not isinstance(size, int | np.integer):
        raise TypeError(f"size must be an integer; got {type(size).__name__} {size!r}")
    if not 16 <= size <= 512:
        raise ValueError(f"size must be between 16 and 512 pixels; got {size}")
    size = int(size)
    name = "bccd_blood_cells"
    path = cache.prepared_path(name, _PREPARED_VERSION[name], variant=f"s{size}")
    arrays = cache.cached_arrays(path, lambda: _prepare_bccd(size, progress))
    class_names = [str(c) for c in arrays["class_names"]]
    if class_names != list(_BCCD_CLASSES):
        raise ValueError(
            f"bccd_blood_cells: the cache {path} holds classes {class_names}, expected "
            f"{list(_BCCD_CLASSES)}; delete it to rebuild"
        )
    info = get_dataset(name)
    return BloodCells(
        x=arrays["x"],
        y=arrays["y"].astype(np.int64),
        class_names=class_names,
        source=arrays["source"],
        boxes=arrays["boxes"].astype(np.int64),
        n_skipped=int(arrays["n_skipped"]),
        dataset=name,
        licence=info.licence,
        citation=info.citation,
        doi=info.doi,
    )


# ----------------------------------------------------------------------------------------
# In silico labeling: phase-contrast z-stack with confocal fluorescence (chapter 10)
# ----------------------------------------------------------------------------------------

__all__ += ["InSilicoLabeling", "load_insilico_labeling"]

_INSILICO = "insilico_labeling_sample"
_INSILICO_DIR = "isl/testdata/condition_blue_sample/"
_INSILICO_PREFIX = (
    "lab-FINKBEINER,condition-KEVAN_0_8,acquisition_date,year-2015,month-10,day-5,minute-0,"
    "well-A4,tile_computation-STITCHED,"
)
_INSILICO_Z = tuple(range(13))
_INSILICO_CHANNELS = ("DAPI", "MAP2", "NFH")  # confocal max projections; see chapter 10


@dataclass(frozen=True, eq=False)
class InSilicoLabeling:
    """One field of view: a phase-contrast z-stack and confocal fluorescence of the same cells.

    Attributes
    ----------
    phase : (Z, Y, X) ndarray of float32
        Transmitted-light phase-contrast planes, scaled from uint16 to [0, 1]
        (divided by 65535, as the source's own loader does).
    targets : dict of str to (Y, X) ndarray of float32
        Confocal z max-projections by channel name (``"DAPI"``: nuclei,
        ``"MAP2"``: dendrites and neuronal somata, ``"NFH"``: axons), scaled
        to [0, 1] the same way.
    z_planes : tuple of int
        The focal plane (``z_depth`` of the source, 0..12) of each plane of ``phase``.
    channels : tuple of str
        The keys of ``targets``, in order.
    available_z_planes, available_channels : tuple
        What the dataset holds: planes 0..12, channels DAPI, MAP2, NFH.
    source : str
        Where the files come from.
    dataset, licence, citation : str
    doi : tuple of str
    axes : str
        ``"ZYX"`` (of ``phase``; the targets are ``"YX"``).
    """

    phase: np.ndarray
    targets: dict[str, np.ndarray]
    z_planes: tuple[int, ...]
    channels: tuple[str, ...]
    available_z_planes: tuple[int, ...]
    available_channels: tuple[str, ...]
    source: str
    dataset: str
    licence: str
    citation: str
    doi: tuple[str, ...] = field(default=())
    axes: str = "ZYX"

    def __repr__(self) -> str:
        return (
            f"InSilicoLabeling({self.dataset}: phase {self.phase.shape} {self.phase.dtype} "
            f"(z planes {list(self.z_planes)}), targets {list(self.channels)} of shape "
            f"{self.phase.shape[1:]}; licence {self.licence})"
        )


def _prepare_insilico(progress: bool) -> dict[str, np.ndarray]:
    import imageio.v3 as iio

    paths = dataset_paths(_INSILICO, progress=progress)
    files = {f"z{z}": f"z_depth-{z},channel-PHASE_CONTRAST" for z in _INSILICO_Z}
    files |= {c: f"depth_computation-MAXPROJECT,channel-{c}_CONFOCAL" for c in _INSILICO_CHANNELS}
    arrays = {}
    for key, middle in files.items():
        rel = f"{_INSILICO_DIR}{_INSILICO_PREFIX}{middle},is_mask-false.png"
        if rel not in paths:
            raise FileNotFoundError(f"{_INSILICO}: the registry has no file {rel!r}")
        image = iio.imread(paths[rel])
        if image.shape != (1024, 1024) or image.dtype != np.uint16:
            raise ValueError(
                f"{_INSILICO}: expected a (1024, 1024) uint16 image, got {image.shape} "
                f"{image.dtype} in {paths[rel]}"
            )
        arrays[key] = image
    phase = np.stack([arrays.pop(f"z{z}") for z in _INSILICO_Z])
    return dict(phase=phase, **arrays)


def _insilico_selection(requested, available: tuple, what: str, example: str) -> tuple:
    """Validate a requested subset (None = all), keep its order; errors list what exists."""
    if requested is None:
        return available
    if isinstance(requested, str | int | np.integer):
        requested = [requested]
    try:
        requested = list(requested)
    except TypeError:
        raise TypeError(
            f"expected {what} as a list such as {example}, or None for all; got "
            f"{type(requested).__name__}"
        ) from None
    if not requested:
        raise ValueError(f"expected at least one of the {what} {list(available)}; got none")
    missing = [r for r in requested if r not in available or isinstance(r, bool)]
    if missing:
        raise ValueError(f"{what} {missing} do not exist; the dataset has {what} {list(available)}")
    if len(set(requested)) != len(requested):
        raise ValueError(f"expected each of the {what} once; got {requested}")
    return tuple(int(r) if isinstance(r, int | np.integer) else str(r) for r in requested)


def load_insilico_labeling(z_planes=None, channels=None, progress: bool = True) -> InSilicoLabeling:
    """A phase-contrast z-stack of cultured neurons with confocal DAPI, MAP2 and NFH (one field).

    The sample of the *In silico labeling* data (Christiansen et al. 2018,
    condition B of the paper, well A4): one stitched and registered field of
    1024 × 1024 pixels. The input is a transmitted-light phase-contrast
    z-stack of 13 focal planes; the targets are confocal fluorescence
    images (z max-projections) of the same field: DAPI (nuclei), MAP2
    (dendrites and neuronal somata) and NFH (neurofilament-heavy, axons).
    With a single field, training and test data must come from different
    regions of it (:func:`cellcourse.virtual_staining.spatial_split`).

    The 16 PNG files are read once and cached as uint16 under
    ``<data dir>/prepared/``; each call scales them to float32 in [0, 1].

    Parameters
    ----------
    z_planes : sequence of int, optional
        Which focal planes to return, in this order (each of 0..12); default all 13.
    channels : sequence of str, optional
        Which targets to return (each of ``"DAPI"``, ``"MAP2"``, ``"NFH"``);
        default all three.
    progress : bool
        Show a progress bar while downloading (35 MB).

    Returns
    -------
    InSilicoLabeling
        ``phase (Z, Y, X) float32`` with (Y, X) = (1024, 1024); ``targets``,
        a dict of ``(Y, X) float32`` by channel name; ``z_planes`` and
        ``channels`` as selected, ``available_z_planes`` and
        ``available_channels``; licence CC BY 4.0. The images are the paper's
        preprocessed images, not raw camera counts; the pixel size is not
        given by the source.

    Raises
    ------
    ValueError
        If a requested z plane or channel does not exist (the message lists
        those that do), or is requested twice.
    TypeError
        If ``z_planes`` or ``channels`` is not a sequence.

    Notes
    -----
    That condition B is a primary rat cortical culture comes from the paper;
    the files themselves do not say so. See chapter 10.

    References
    ----------
    .. [1] Christiansen, E. M. et al. In silico labeling: predicting fluorescent
           labels in unlabeled images. Cell 173, 792–803 (2018).
           doi:10.1016/j.cell.2018.03.040

    Examples
    --------
    >>> data = load_insilico_labeling(z_planes=[4, 6, 8], channels=["DAPI"])  # doctest: +SKIP
    >>> data.phase.shape, data.targets["DAPI"].shape  # doctest: +SKIP
    ((3, 1024, 1024), (1024, 1024))
    """
    z_planes = _insilico_selection(z_planes, _INSILICO_Z, "z planes", "[4, 6, 8]")
    if any(not isinstance(z, int) for z in z_planes):
        raise TypeError(f"expected z planes as integers 0..12; got {list(z_planes)}")
    channels = _insilico_selection(channels, _INSILICO_CHANNELS, "channels", '["DAPI"]')
    arrays = cache.cached_arrays(prepared_path(_INSILICO), lambda: _prepare_insilico(progress))
    scale = np.float32(1 / 65535)
    phase = arrays["phase"][list(z_planes)].astype(np.float32) * scale
    targets = {c: arrays[c].astype(np.float32) * scale for c in channels}
    info = get_dataset(_INSILICO)
    return InSilicoLabeling(
        phase=phase,
        targets=targets,
        z_planes=tuple(z_planes),
        channels=tuple(channels),
        available_z_planes=_INSILICO_Z,
        available_channels=_INSILICO_CHANNELS,
        source=(
            "google/in-silico-labeling (commit 5db882b), isl/testdata/condition_blue_sample: "
            "lab Finkbeiner, condition KEVAN_0_8, well A4, 2015-10-05"
        ),
        dataset=_INSILICO,
        licence=info.licence,
        citation=info.citation,
        doi=info.doi,
    )
