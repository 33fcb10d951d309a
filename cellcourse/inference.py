"""Batch inference: segment every image of a folder with a packaged model (chapter 11).

:func:`predict_folder` is what ``cellcourse predict MODEL INPUT_DIR OUTPUT_DIR`` runs. For each
TIFF or PNG image of ``INPUT_DIR`` it applies what the model card (:mod:`cellcourse.packaging`)
prescribes: percentile normalisation, tiled prediction
(:func:`cellcourse.preprocess.predict_tiled`) and the post-processing of
:mod:`cellcourse.postprocess`. It writes one label image per input and a table,
``predictions.csv``::

    file,status,objects,mean_area,seconds,output,error
    img01.tif,ok,143,262.4,1.31,img01_labels.tif,
    broken.tif,failed,,,0.01,,TiffFileError: not a TIFF file b'\\x00\\x01\\x02\\x03'

A file that cannot be read or predicted is reported in the table and skipped; the others are
still processed. Outputs that exist already are never replaced unless ``overwrite=True``.
"""

from __future__ import annotations

import csv
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["IMAGE_SUFFIXES", "FileResult", "PredictionSummary", "predict_folder", "read_image"]

IMAGE_SUFFIXES = (".tif", ".tiff", ".png")
CSV_NAME = "predictions.csv"
_COLUMNS = ("file", "status", "objects", "mean_area", "seconds", "output", "error")
_LABEL_FORMATS = ("tif", "png")


@dataclass(frozen=True)
class FileResult:
    """The outcome for one input file (one row of ``predictions.csv``).

    Attributes
    ----------
    file : str
        Name of the input file.
    status : str
        ``"ok"`` or ``"failed"``.
    objects : int or None
        Number of objects found (None if failed).
    mean_area : float or None
        Mean object area in pixels (NaN when no objects; None if failed).
    seconds : float
        Time spent on the file: reading, prediction, post-processing, writing.
    output : str
        Name of the label image written ("" if failed).
    error : str
        What went wrong ("" if ok).
    """

    file: str
    status: str
    objects: int | None
    mean_area: float | None
    seconds: float
    output: str = ""
    error: str = ""


@dataclass(frozen=True)
class PredictionSummary:
    """What :func:`predict_folder` did.

    Attributes
    ----------
    results : tuple of FileResult
        One per input image, sorted by file name.
    csv_path : Path
        The table written.
    output_dir : Path
        Where the label images are.
    """

    results: tuple[FileResult, ...]
    csv_path: Path
    output_dir: Path

    @property
    def n_ok(self) -> int:
        """Files segmented."""
        return sum(r.status == "ok" for r in self.results)

    @property
    def failed(self) -> tuple[FileResult, ...]:
        """Files that could not be segmented."""
        return tuple(r for r in self.results if r.status != "ok")

    @property
    def ok(self) -> bool:
        """True when every file was segmented."""
        return not self.failed

    def __str__(self) -> str:
        lines = [f"{self.n_ok} of {len(self.results)} images segmented -> {self.output_dir}"]
        lines += [f"  failed: {r.file}: {r.error}" for r in self.failed]
        return "\n".join(lines)


def read_image(path) -> np.ndarray:
    """Read one 2-D image from a TIFF or PNG file.

    Parameters
    ----------
    path : str or Path
        A ``.tif``, ``.tiff`` or ``.png`` file.

    Returns
    -------
    (Y, X) or (Y, X, C) ndarray
        As stored (e.g. uint8, uint16). RGB(A) files whose colour channels are all equal (grey
        saved as colour) come back as ``(Y, X)``.

    Raises
    ------
    ValueError
        If the suffix is not supported or the file holds a stack rather than one image.
    OSError, and the readers' own errors
        If the file is missing, truncated or not an image.

    Examples
    --------
    >>> image = read_image("images/img01.tif")  # doctest: +SKIP
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise ValueError(f"expected a file ending in {IMAGE_SUFFIXES}; got {path.name}")
    if suffix == ".png":
        import imageio.v3 as iio

        image = np.asarray(iio.imread(path))
    else:
        import tifffile

        image = np.asarray(tifffile.imread(path))
    if image.ndim == 3 and image.shape[-1] in (3, 4):
        colour = image[..., :3]
        if np.all(colour == colour[..., :1]):  # grey stored as RGB(A)
            image = colour[..., 0]
    if image.ndim not in (2, 3) or image.size == 0:
        raise ValueError(f"expected one image (Y, X) or (Y, X, C); the file holds {image.shape}")
    if not (np.issubdtype(image.dtype, np.integer) or np.issubdtype(image.dtype, np.floating)):
        raise ValueError(f"expected integer or float pixels; got {image.dtype}")
    return image


def _segment(predict_fn, image: np.ndarray, card) -> np.ndarray:
    from .packaging import _postprocessing_function
    from .preprocess import normalize_percentile, predict_tiled

    channels = 1 if image.ndim == 2 else image.shape[-1]
    if channels != card.input_channels:
        raise ValueError(
            f"the model takes {card.input_channels} channel(s); the image has shape {image.shape}"
        )
    norm = card.normalization
    axis = None if image.ndim == 2 else (0, 1)  # each channel on its own
    x = normalize_percentile(image, norm["low"], norm["high"], axis=axis)
    output = predict_tiled(predict_fn, x, tile_shape=card.tile_shape, overlap=card.overlap)
    function = _postprocessing_function(card.postprocessing, card.postprocessing_params)
    if card.postprocessing == "labels_from_distance":
        output = output[..., 0]
    return function(output, **card.postprocessing_params)


def _write_labels(labels: np.ndarray, path: Path) -> None:
    dtype = np.uint16 if labels.max(initial=0) <= np.iinfo(np.uint16).max else np.uint32
    if dtype == np.uint32 and path.suffix == ".png":
        raise ValueError(f"{labels.max()} objects do not fit a 16-bit PNG; use TIFF labels")
    labels = labels.astype(dtype)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        if path.suffix == ".png":
            import imageio.v3 as iio

            iio.imwrite(tmp, labels)
        else:
            import tifffile

            tifffile.imwrite(tmp, labels, compression="zlib")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_csv(results, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".predictions-", suffix=".csv", dir=path.parent)
    with os.fdopen(fd, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(_COLUMNS)
        for r in results:
            mean_area = "" if r.mean_area is None else f"{r.mean_area:.2f}"
            objects = "" if r.objects is None else r.objects
            writer.writerow(
                [r.file, r.status, objects, mean_area, f"{r.seconds:.3f}", r.output, r.error]
            )
    os.replace(tmp, path)


def predict_folder(
    model_or_folder,
    input_dir,
    output_dir,
    card=None,
    overwrite: bool = False,
    trusted: bool = False,
    label_format: str = "tif",
    progress: bool = True,
) -> PredictionSummary:
    """Segment every TIFF/PNG image of a folder; write label images and ``predictions.csv``.

    Parameters
    ----------
    model_or_folder : str, Path or keras.Model
        A model folder of :func:`cellcourse.packaging.save_model` (its card is read), or a
        Keras model together with ``card``. Any callable mapping ``(B, TY, TX, C)`` float32 to
        ``(B, TY, TX, K)`` works too (e.g. :func:`cellcourse.packaging.load_exported`).
    input_dir : str or Path
        Folder of images ``*.tif``, ``*.tiff``, ``*.png`` (other files are ignored), each one
        2-D image ``(Y, X)`` or ``(Y, X, C)``, any size.
    output_dir : str or Path
        Created if needed. Gets ``<name>_labels.tif`` (or ``.png``) per image: ``(Y, X)``
        uint16 labels, 0 = background; and ``predictions.csv``.
    card : ModelCard, optional
        Required when ``model_or_folder`` is a model; must be None for a folder.
    overwrite : bool
        Replace outputs that exist. Default False: refuse before doing any work.
    trusted : bool
        Load the model file without Keras safe mode (see :func:`cellcourse.packaging.load_model`).
    label_format : {"tif", "png"}
        File type of the label images (16-bit in both).
    progress : bool
        Show a progress bar.

    Returns
    -------
    PredictionSummary
        Per-file results; ``summary.ok`` is False when any file failed.

    Raises
    ------
    FileNotFoundError
        If ``input_dir`` does not exist or holds no images.
    FileExistsError
        If an output exists and ``overwrite`` is False (nothing is written then).
    ValueError, TypeError
        If the arguments are invalid.

    Examples
    --------
    >>> summary = predict_folder("models/nuclei-unet", "images/", "labels/")  # doctest: +SKIP
    >>> print(summary)  # doctest: +SKIP
    10 of 11 images segmented -> labels
      failed: broken.tif: TiffFileError: not a TIFF file
    """
    from tqdm.auto import tqdm

    from .packaging import ModelCard, load_card, load_model

    if label_format not in _LABEL_FORMATS:
        raise ValueError(f"expected label_format as one of {_LABEL_FORMATS}; got {label_format!r}")
    if not isinstance(model_or_folder, str | os.PathLike):
        if not callable(model_or_folder):
            raise TypeError(
                "expected a model folder, a Keras model or a function; got "
                f"{type(model_or_folder).__name__}"
            )
        if not isinstance(card, ModelCard):
            raise TypeError(
                f"expected card as a ModelCard with a model object; got {type(card).__name__}"
            )
    elif card is not None:
        raise ValueError("pass card only with a model object; a model folder has its own card")
    input_dir, output_dir = Path(input_dir), Path(output_dir)
    if not input_dir.is_dir():
        raise FileNotFoundError(f"input folder {input_dir} does not exist")
    files = sorted(
        p for p in input_dir.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    )
    if not files:
        raise FileNotFoundError(f"no {'/'.join(IMAGE_SUFFIXES)} images in {input_dir}")
    outputs = [output_dir / f"{p.stem}_labels.{label_format}" for p in files]
    if len({o.name for o in outputs}) < len(outputs):
        raise ValueError(
            f"two images in {input_dir} share a name apart from the suffix; rename one"
        )
    existing = [o for o in [*outputs, output_dir / CSV_NAME] if o.exists()]
    if existing and not overwrite:
        names = ", ".join(o.name for o in existing[:3]) + (" ..." if len(existing) > 3 else "")
        raise FileExistsError(
            f"{len(existing)} output(s) exist in {output_dir} ({names}); pass overwrite=True "
            "(--overwrite) to replace them"
        )
    # the model is loaded only once the folders are known to be fine: errors come fast
    if isinstance(model_or_folder, str | os.PathLike):
        card = load_card(model_or_folder)
        model = load_model(model_or_folder, trusted=trusted)
    else:
        model = model_or_folder
    output_dir.mkdir(parents=True, exist_ok=True)

    def predict_fn(batch):
        return model(batch, training=False) if hasattr(model, "trainable_weights") else model(batch)

    results = []
    for path, out in zip(
        tqdm(files, desc="predict", unit="image", disable=not progress, leave=False),
        outputs,
        strict=True,
    ):
        start = time.perf_counter()
        try:
            labels = _segment(predict_fn, read_image(path), card)
            _write_labels(labels, out)
        except Exception as err:  # noqa: BLE001 - any failure of one file is reported, not raised
            message = " ".join(f"{type(err).__name__}: {err}".split())  # one line for the CSV
            results.append(
                FileResult(
                    path.name, "failed", None, None, time.perf_counter() - start, "", message
                )
            )
            continue
        areas = np.bincount(labels.ravel())[1:]
        areas = areas[areas > 0]
        mean_area = float(areas.mean()) if len(areas) else float("nan")
        results.append(
            FileResult(
                path.name, "ok", int(len(areas)), mean_area, time.perf_counter() - start, out.name
            )
        )
    csv_path = output_dir / CSV_NAME
    _write_csv(results, csv_path)
    return PredictionSummary(tuple(results), csv_path, output_dir)
