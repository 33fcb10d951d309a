"""Packaging a trained model: the ``.keras`` file, its model card, and exports (chapter 11).

A trained network is only useful to others together with what it needs around it: how images were
normalised before it saw them, the tile size it predicts with, how its output becomes objects, what
data it learnt from (and under which licence), how well it did, and with which versions. This module
keeps all of that in one folder::

    my_model/
        model.keras      the network (Keras 3 format: architecture + weights)
        card.json        the model card, read by ``cellcourse predict``
        MODEL_CARD.md    the same card for people to read

- :class:`ModelCard` and :func:`model_card`: the card, with the data's licence and citation taken
  from the course registry and the versions from this environment.
- :func:`save_model`: writes the folder atomically (all three files or nothing) and never
  replaces an existing folder unless asked to.
- :func:`load_model` and :func:`load_card`: read them back; a model file from an unknown source is
  loaded in Keras *safe mode*, which refuses to run Python code stored in the file.
- :func:`export_model`, :func:`load_exported` and :func:`max_abs_difference`: export for serving as a
  TensorFlow SavedModel or an ONNX file, and check that the export computes what the original
  computes.

References
----------
.. [1] Mitchell, M. et al. (2019). Model cards for model reporting. Proceedings of the Conference on
   Fairness, Accountability, and Transparency, 220-229. :doi:`10.1145/3287560.3287596`
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
import os
import platform
import shutil
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "POSTPROCESSING",
    "ModelCard",
    "UnsafeModelError",
    "model_card",
    "save_model",
    "load_model",
    "load_card",
    "export_model",
    "load_exported",
    "max_abs_difference",
]

_FORMAT = "cellcourse-model-card"
_VERSION = 1
MODEL_FILE = "model.keras"
CARD_FILE = "card.json"
CARD_MARKDOWN = "MODEL_CARD.md"

# post-processing steps a card may name, and the number of model output channels each expects
POSTPROCESSING = {
    "labels_from_classes": 3,  # background / interior / boundary softmax (chapters 07-08)
    "labels_from_distance": 1,  # a predicted distance map (chapter 08)
}


class UnsafeModelError(ValueError):
    """A model file holds Python code (e.g. a ``Lambda`` layer) and was not trusted."""


@dataclass(frozen=True)
class ModelCard:
    """What a trained segmentation model needs around it to be used and judged.

    Build it with :func:`model_card`, which fills in the licence, citation and versions.

    Attributes
    ----------
    name : str
        Short name of the model, e.g. ``"bbbc039-unet"``.
    description : str
        One or two sentences: what it segments, in which images.
    dataset : str
        The training data: a course dataset name (``cellcourse data list``) or your own.
    licence, citation : str
        Licence and citation of the training data.
    doi : tuple of str
        DOIs of the training data.
    data_notes : str
        How the data were used (split, number of images); free text.
    normalization : dict
        ``{"low": float, "high": float}``: percentiles of
        :func:`cellcourse.preprocess.normalize_percentile`, computed per image.
    input_channels : int
        Channels C of the model input ``(S, Y, X, C)``.
    tile_shape : (int, int)
        ``(TY, TX)`` of the tiles for :func:`cellcourse.preprocess.predict_tiled`.
    overlap : int
        Overlap of the tiles in pixels.
    postprocessing : str
        A key of :data:`POSTPROCESSING`: the function of :mod:`cellcourse.postprocess` that
        turns the model output of one image into labels.
    postprocessing_params : dict
        Keyword arguments of that function.
    metrics : dict of str to float
        Measured scores, e.g. ``{"test_dice": 0.9}``; say on which data in ``data_notes``.
    versions : dict of str to str
        Python, cellcourse, Keras, backend and NumPy versions at training time.
    created : str
        ISO 8601 time the card was made.
    limitations : str
        Where the model is not expected to work; free text.
    """

    name: str
    description: str
    dataset: str
    licence: str
    citation: str
    doi: tuple[str, ...] = ()
    data_notes: str = ""
    normalization: dict[str, float] = field(default_factory=lambda: {"low": 1.0, "high": 99.8})
    input_channels: int = 1
    tile_shape: tuple[int, int] = (256, 256)
    overlap: int = 32
    postprocessing: str = "labels_from_classes"
    postprocessing_params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    created: str = ""
    limitations: str = ""

    def __post_init__(self):
        _check_card_fields(self)

    def to_dict(self) -> dict[str, Any]:
        """The card as plain JSON-ready data, with a format tag and version."""
        data = dataclasses.asdict(self)
        data["doi"] = list(self.doi)
        data["tile_shape"] = list(self.tile_shape)
        return {"format": _FORMAT, "version": _VERSION, **data}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelCard:
        """Read a card written by :meth:`to_dict`.

        Raises
        ------
        ValueError
            If ``data`` is not a cellcourse model card, has a newer version, or lacks fields.
        """
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            got = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise ValueError(f"expected a cellcourse model card (format {_FORMAT!r}); got {got!r}")
        if data.get("version") != _VERSION:
            raise ValueError(
                f"expected model card version {_VERSION}; got {data.get('version')!r} "
                "(update cellcourse to read it)"
            )
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in values]
        if missing:
            raise ValueError(f"model card lacks the fields {missing}")
        values["doi"] = tuple(values["doi"])
        values["tile_shape"] = tuple(values["tile_shape"])
        return cls(**values)

    def to_markdown(self) -> str:
        """The card for people: a Markdown page (what ``MODEL_CARD.md`` holds)."""
        params = ", ".join(f"{k}={v!r}" for k, v in self.postprocessing_params.items())
        lines = [
            f"# Model card: {self.name}",
            "",
            self.description,
            "",
            "## Training data",
            "",
            f"- dataset: {self.dataset}",
            f"- licence: {self.licence}",
            f"- cite: {self.citation}",
        ]
        if self.doi:
            lines.append("- DOI: " + ", ".join(f"https://doi.org/{d}" for d in self.doi))
        if self.data_notes:
            lines.append(f"- use: {self.data_notes}")
        lines += [
            "",
            "## Preprocessing and prediction",
            "",
            f"- input: single images (Y, X) with {self.input_channels} channel(s), any size",
            f"- normalisation: percentiles {self.normalization['low']:g} -> 0 and "
            f"{self.normalization['high']:g} -> 1, per image",
            f"- tiles: {self.tile_shape[0]} x {self.tile_shape[1]}, overlap {self.overlap}",
            f"- post-processing: cellcourse.postprocess.{self.postprocessing}({params})",
            "",
            "## Metrics",
            "",
        ]
        if self.metrics:
            lines += ["| metric | value |", "| --- | --- |"]
            lines += [f"| {k} | {v:.4g} |" for k, v in self.metrics.items()]
        else:
            lines.append("(none recorded)")
        lines += [
            "",
            "## Limitations",
            "",
            self.limitations or "(none stated)",
            "",
            "## Versions",
            "",
        ]
        lines += [f"- {k}: {v}" for k, v in self.versions.items()]
        lines += ["", f"Card created {self.created}.", ""]
        return "\n".join(lines)


def _check_card_fields(card: ModelCard) -> None:
    for name in ("name", "description", "dataset", "licence", "citation"):
        value = getattr(card, name)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(
                f"expected model card field {name!r} as a non-empty string; got {value!r}"
            )
    norm = card.normalization
    if not isinstance(norm, dict) or set(norm) != {"low", "high"}:
        raise ValueError(f"expected normalization as {{'low': ..., 'high': ...}}; got {norm!r}")
    low, high = norm["low"], norm["high"]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high)) or not (
        0 <= low < high <= 100
    ):
        raise ValueError(
            f"expected percentiles 0 <= low < high <= 100; got low={low!r}, high={high!r}"
        )
    if isinstance(card.input_channels, bool) or not isinstance(card.input_channels, int):
        raise TypeError(f"expected input_channels as an int; got {card.input_channels!r}")
    if card.input_channels < 1:
        raise ValueError(f"expected input_channels >= 1; got {card.input_channels}")
    tile = card.tile_shape
    if len(tile) != 2 or not all(
        isinstance(t, int) and not isinstance(t, bool) and t > 0 for t in tile
    ):
        raise ValueError(f"expected tile_shape as two positive ints (TY, TX); got {tile!r}")
    if isinstance(card.overlap, bool) or not isinstance(card.overlap, int) or card.overlap < 0:
        raise ValueError(f"expected overlap as an int >= 0; got {card.overlap!r}")
    if 2 * card.overlap >= min(tile):
        raise ValueError(
            f"expected 2 * overlap < tile size; got overlap {card.overlap} for tiles {tile}"
        )
    if card.postprocessing not in POSTPROCESSING:
        raise ValueError(
            f"expected postprocessing as one of {sorted(POSTPROCESSING)}; got {card.postprocessing!r}"
        )
    if not isinstance(card.postprocessing_params, dict):
        raise TypeError(
            f"expected postprocessing_params as a dict; got {card.postprocessing_params!r}"
        )
    _postprocessing_function(card.postprocessing, card.postprocessing_params)  # checks the names
    for key, value in card.metrics.items():
        if (
            not isinstance(key, str)
            or isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ValueError(f"expected metrics as names -> finite numbers; got {key!r}: {value!r}")


def _postprocessing_function(name: str, params: dict):
    """The post-processing function of a card, its parameter names checked."""
    import inspect

    from . import postprocess

    function = getattr(postprocess, name)
    accepted = list(inspect.signature(function).parameters)[1:]  # the first is the model output
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ValueError(
            f"postprocessing {name!r} takes the parameters {accepted}; got unknown {unknown}"
        )
    return function


def _versions() -> dict[str, str]:
    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    from . import __version__
    from .config import settings

    backend = settings().backend
    return {
        "python": platform.python_version(),
        "cellcourse": __version__,
        "keras": version("keras"),
        "backend": f"{backend} {version(backend)}",
        "numpy": version("numpy"),
    }


def model_card(
    name: str,
    description: str,
    dataset: str,
    *,
    licence: str | None = None,
    citation: str | None = None,
    doi=(),
    data_notes: str = "",
    normalization=(1.0, 99.8),
    input_channels: int = 1,
    tile_shape=256,
    overlap: int = 32,
    postprocessing: str = "labels_from_classes",
    postprocessing_params: dict | None = None,
    metrics: dict | None = None,
    limitations: str = "",
) -> ModelCard:
    """Make a model card, with the data's licence and citation and this environment's versions.

    Parameters
    ----------
    name, description : str
        Short name; what the model segments, in which images.
    dataset : str
        A course dataset (``cellcourse data list``): its licence, citation and DOIs are taken
        from the registry. For other data pass ``licence`` and ``citation``.
    licence, citation : str, optional
        Required when ``dataset`` is not a course dataset; otherwise they must be left out.
    doi : sequence of str
        DOIs of data that are not a course dataset.
    data_notes : str
        How the data were used: split, number of images, on what the metrics were measured.
    normalization : (float, float)
        Low and high percentiles (per image) used in training.
    input_channels : int
        Channels C of the model input.
    tile_shape : int or (int, int)
        Tile size for prediction; for a U-Net a multiple of ``2 ** depth``.
    overlap : int
        Tile overlap in pixels (about half the receptive field).
    postprocessing : str
        ``"labels_from_classes"`` (3-class softmax) or ``"labels_from_distance"``.
    postprocessing_params : dict, optional
        Its keyword arguments, e.g. ``{"interior_threshold": 0.5, "min_size": 10}``.
    metrics : dict of str to float, optional
        Measured scores.
    limitations : str
        Where the model should not be trusted.

    Returns
    -------
    ModelCard

    Raises
    ------
    ValueError, TypeError
        If a field is empty or invalid, or licence/citation are missing for other data.

    Examples
    --------
    >>> card = model_card("nuclei-unet", "Nuclei in Hoechst images.", "bbbc039_nuclei",
    ...                   tile_shape=256, overlap=32, metrics={"test_dice": 0.9})
    >>> card.licence, card.tile_shape
    ('CC0-1.0', (256, 256))
    """
    from .registry import datasets

    if not isinstance(dataset, str) or not dataset.strip():
        raise ValueError(f"expected dataset as a non-empty string; got {dataset!r}")
    known = datasets()
    if dataset in known:
        if licence is not None or citation is not None:
            raise ValueError(
                f"dataset {dataset!r} is a course dataset: its licence and citation come from the "
                f"registry; got licence={licence!r}, citation={citation!r}"
            )
        entry = known[dataset]
        licence, citation, doi = entry.licence, entry.citation, entry.doi
    elif licence is None or citation is None:
        raise ValueError(
            f"dataset {dataset!r} is not a course dataset: pass its licence and citation "
            f"(got licence={licence!r}, citation={citation!r})"
        )
    if isinstance(doi, str):
        doi = (doi,)
    if not isinstance(normalization, tuple | list) or len(normalization) != 2:
        raise ValueError(
            f"expected normalization as (low, high) percentiles; got {normalization!r}"
        )
    if isinstance(tile_shape, int | np.integer) and not isinstance(tile_shape, bool):
        tile_shape = (int(tile_shape), int(tile_shape))
    if not isinstance(tile_shape, tuple | list):
        raise ValueError(f"expected tile_shape as an int or (TY, TX); got {tile_shape!r}")
    return ModelCard(
        name=name,
        description=description,
        dataset=dataset,
        licence=licence,
        citation=citation,
        doi=tuple(str(d) for d in doi),
        data_notes=data_notes,
        normalization={"low": float(normalization[0]), "high": float(normalization[1])},
        input_channels=input_channels,
        tile_shape=tuple(int(t) if isinstance(t, np.integer) else t for t in tile_shape),
        overlap=int(overlap) if isinstance(overlap, np.integer) else overlap,
        postprocessing=postprocessing,
        postprocessing_params=dict(postprocessing_params or {}),
        metrics={
            k: float(v) if isinstance(v, np.floating) else v for k, v in (metrics or {}).items()
        },
        versions=_versions(),
        created=_dt.datetime.now(_dt.timezone.utc).astimezone().isoformat(timespec="seconds"),
        limitations=limitations,
    )


def _check_model_fits_card(model, card: ModelCard) -> None:
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"expected a keras.Model; got {type(model).__name__}")
    in_shape, out_shape = model.input_shape, model.output_shape
    if not isinstance(in_shape, tuple) or len(in_shape) != 4:
        raise ValueError(
            f"expected a model with one input (S, Y, X, C); got input shape {in_shape}"
        )
    if in_shape[-1] != card.input_channels:
        raise ValueError(
            f"the card says {card.input_channels} input channel(s); the model takes {in_shape[-1]}"
        )
    expected = POSTPROCESSING[card.postprocessing]
    if not isinstance(out_shape, tuple) or len(out_shape) != 4 or out_shape[-1] != expected:
        raise ValueError(
            f"postprocessing {card.postprocessing!r} needs a model output (S, Y, X, {expected}); "
            f"got {out_shape}"
        )


def save_model(model, folder, card: ModelCard, overwrite: bool = False) -> Path:
    """Save a model with its card: ``model.keras``, ``card.json`` and ``MODEL_CARD.md``.

    The files are written to a staging folder beside ``folder``, which is renamed to ``folder``
    only when all three are complete: a failure (disk full, an unserialisable layer) leaves no
    half-written model behind.

    Parameters
    ----------
    model : keras.Model
        Input ``(S, Y, X, C)`` with C = ``card.input_channels``; output ``(S, Y, X, K)`` with K as
        the card's post-processing needs (3 for ``labels_from_classes``).
    folder : str or Path
        The folder to create.
    card : ModelCard
        See :func:`model_card`.
    overwrite : bool
        Replace an existing ``folder``. Default False: refuse.

    Returns
    -------
    Path
        ``folder``.

    Raises
    ------
    FileExistsError
        If ``folder`` exists and ``overwrite`` is False.
    TypeError, ValueError
        If ``card`` is not a ModelCard or the model does not fit it.

    Examples
    --------
    >>> save_model(model, "runs/models/nuclei-unet", card)  # doctest: +SKIP
    PosixPath('runs/models/nuclei-unet')
    """
    if not isinstance(card, ModelCard):
        raise TypeError(f"expected card as a ModelCard (see model_card); got {type(card).__name__}")
    _check_model_fits_card(model, card)
    folder = Path(folder)
    if folder.exists() and not overwrite:
        raise FileExistsError(f"{folder} exists; pass overwrite=True to replace it")
    if folder.exists() and not folder.is_dir():
        raise FileExistsError(f"{folder} exists and is not a folder")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.staging-", dir=folder.parent))
    try:
        model.save(staging / MODEL_FILE)
        (staging / CARD_FILE).write_text(json.dumps(card.to_dict(), indent=2) + "\n")
        (staging / CARD_MARKDOWN).write_text(card.to_markdown())
        if folder.exists():
            old = folder.with_name(f".{folder.name}.old-{staging.name.rsplit('-', 1)[-1]}")
            os.replace(folder, old)
            os.replace(staging, folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def _model_file(path: Path) -> Path:
    if path.is_dir():
        path = path / MODEL_FILE
    if path.suffix != ".keras":
        raise ValueError(f"expected a model folder or a .keras file; got {path}")
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    return path


def load_model(path, trusted: bool = False):
    """Load a saved model, in Keras safe mode unless you trust its source.

    A ``.keras`` file can hold Python code: a ``Lambda`` layer stores its function as bytecode,
    which would run on your machine when the model is loaded or called. Safe mode (the default
    here) refuses such files. The course's losses are registered first, so models compiled with
    them load.

    Parameters
    ----------
    path : str or Path
        A folder written by :func:`save_model`, or a ``.keras`` file.
    trusted : bool
        Load with ``safe_mode=False``. Only for files you made yourself or whose source you trust.

    Returns
    -------
    keras.Model
        Not compiled (enough for prediction); compile it again to train further.

    Raises
    ------
    UnsafeModelError
        If the file holds code and ``trusted`` is False.
    FileNotFoundError
        If there is no model file.

    Examples
    --------
    >>> model = load_model("runs/models/nuclei-unet")  # doctest: +SKIP
    """
    import keras

    from . import losses  # noqa: F401 - registers the course's losses with Keras

    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"expected path as a str or Path; got {type(path).__name__}")
    if not isinstance(trusted, bool):
        raise TypeError(f"expected trusted as True or False; got {trusted!r}")
    file = _model_file(Path(path))
    try:
        return keras.saving.load_model(file, compile=False, safe_mode=not trusted)
    except ValueError as err:
        text = str(err)
        if not trusted and ("safe_mode" in text or "unsafe" in text.lower()):
            raise UnsafeModelError(
                f"{file} holds Python code (e.g. a Lambda layer) that would run when it is "
                "loaded, so safe mode refused it. Load it with trusted=True (--trusted) only if "
                f"you know and trust where the file comes from. Keras said: {text.splitlines()[0]}"
            ) from err
        raise


def load_card(path) -> ModelCard:
    """Read the model card of a folder written by :func:`save_model`.

    Parameters
    ----------
    path : str or Path
        The model folder, or its ``model.keras`` or ``card.json``.

    Returns
    -------
    ModelCard

    Raises
    ------
    FileNotFoundError
        If there is no ``card.json``.
    ValueError
        If the file is not a valid model card.
    """
    path = Path(path)
    file = path / CARD_FILE if path.is_dir() else path.with_name(CARD_FILE)
    if not file.is_file():
        raise FileNotFoundError(
            f"no model card at {file}: save models with cellcourse.packaging.save_model"
        )
    try:
        data = json.loads(file.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{file} is not valid JSON: {err}") from err
    return ModelCard.from_dict(data)


def _tensorflow_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("tensorflow") is not None


def _require_tensorflow(what: str) -> None:
    """TensorFlow must be installed (any Keras backend): exports are TensorFlow graphs."""
    if not _tensorflow_installed():
        import keras

        raise RuntimeError(
            f"{what} needs the tensorflow package, which is not installed here (Keras runs on "
            f"{keras.backend.backend()!r}). pip install tensorflow, or export on a machine that "
            "has it: the .keras file of save_model works on every backend."
        )


# The export on another backend: the model goes through a .keras file (the same on every backend)
# to a fresh Python on the TensorFlow backend, which exports it. Keras exports SavedModels from
# PyTorch only through torch_xla, and its JAX route (jax2tf) gives a different graph to check.
_EXPORT_IN_TENSORFLOW = """
import sys
import keras
import cellcourse.losses  # registers the course's losses, should a saved config name them
from cellcourse.packaging import export_model
model = keras.saving.load_model(sys.argv[1], compile=False, safe_mode=False)
export_model(model, sys.argv[2], format=sys.argv[3], overwrite=True)
"""


def _export_through_tensorflow(model, target: Path, format: str) -> None:
    import subprocess
    import sys

    with tempfile.TemporaryDirectory(prefix="cellcourse-export-") as tmp:
        file = Path(tmp) / "model.keras"
        model.save(file)  # the caller's own model in memory: nothing untrusted is loaded
        env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")
        command = [sys.executable, "-c", _EXPORT_IN_TENSORFLOW, str(file), str(target), format]
        done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise RuntimeError(
            f"exporting through TensorFlow failed (exit {done.returncode}): "
            + (lines[-1] if lines else "no message")
        )


_EXPORT_FORMATS = ("tf_saved_model", "onnx")
_ONNX_PACKAGES = ("onnx", "tf2onnx", "onnxruntime")


def _require_onnx() -> None:
    import importlib.util

    missing = [m for m in _ONNX_PACKAGES if importlib.util.find_spec(m) is None]
    if missing:
        raise ModuleNotFoundError(
            f"ONNX export needs the packages {list(_ONNX_PACKAGES)}; missing {missing}: "
            "pip install onnx onnxruntime tf2onnx",
            name=missing[0],
        )


def export_model(model, path, format: str = "tf_saved_model", overwrite: bool = False) -> Path:
    """Export a model for serving: a TensorFlow SavedModel or an ONNX file (``model.export``).

    The export holds the forward pass only, as a graph: TensorFlow Serving or plain
    ``tf.saved_model.load`` run a SavedModel, ONNX Runtime (C, C++, C#, Java, JavaScript,
    Python) runs an ONNX file, without Keras or cellcourse.

    The export is always made by TensorFlow, which must be installed. On another Keras backend
    (JAX, PyTorch) the model is saved to a temporary ``.keras`` file, which is the same on every
    backend, and exported by a fresh Python process on the TensorFlow backend (a few seconds more).

    Parameters
    ----------
    model : keras.Model
        Input ``(S, Y, X, C)``; Y and X may be None (the export keeps them free).
    path : str or Path
        A folder to create (SavedModel) or a ``.onnx`` file.
    format : {"tf_saved_model", "onnx"}
        ``"onnx"`` needs the packages onnx, tf2onnx and onnxruntime.
    overwrite : bool
        Replace an existing ``path``. Default False: refuse.

    Returns
    -------
    Path
        ``path``; load it with :func:`load_exported`.

    Raises
    ------
    RuntimeError
        If TensorFlow is not installed, or the export in the TensorFlow process failed.
    FileExistsError
        If ``path`` exists and ``overwrite`` is False.
    ModuleNotFoundError
        If ``format="onnx"`` and an ONNX package is missing.

    Examples
    --------
    >>> export_model(model, "runs/export/nuclei-unet")  # doctest: +SKIP
    >>> export_model(model, "runs/export/nuclei-unet.onnx", format="onnx")  # doctest: +SKIP
    """
    import logging

    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"expected a keras.Model; got {type(model).__name__}")
    if format not in _EXPORT_FORMATS:
        raise ValueError(f"expected format as one of {_EXPORT_FORMATS}; got {format!r}")
    path = Path(path)
    if format == "onnx" and path.suffix != ".onnx":
        raise ValueError(f"expected an ONNX path ending in .onnx; got {path.name}")
    _require_tensorflow("export_model")
    if format == "onnx":
        _require_onnx()
    in_process = keras.backend.backend() == "tensorflow"
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    tf_logger = logging.getLogger("tensorflow")
    level = tf_logger.level
    tf_logger.setLevel(logging.WARNING)  # not "INFO: Assets written to <the staging folder>"
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.staging-", dir=path.parent))
    try:
        target = staging / path.name
        if not in_process:
            _export_through_tensorflow(model, target, format)
        else:
            _export_in_process(model, target, format)
        if path.is_dir():
            shutil.rmtree(path)
        os.replace(target, path)
    finally:
        tf_logger.setLevel(level)
        shutil.rmtree(staging, ignore_errors=True)
    return path


def _export_in_process(model, target: Path, format: str) -> None:
    import warnings

    import keras

    with warnings.catch_warnings():
        # Keras' tf2onnx shim probes the removed alias np.object (a FutureWarning in NumPy 2)
        warnings.filterwarnings("ignore", message=".*np.object.*", category=FutureWarning)
        if format == "onnx":
            # the ONNX exporter reads the input signature off a model that has been called
            # at least once; a freshly loaded model has not, so name the signature here
            spec = keras.InputSpec(shape=model.input_shape, dtype="float32")
            model.export(str(target), format=format, verbose=False, input_signature=[spec])
        else:
            model.export(str(target), format=format, verbose=False)


def load_exported(path):
    """Load an export of :func:`export_model` as a function of NumPy batches.

    Parameters
    ----------
    path : str or Path
        The exported SavedModel folder, or a ``.onnx`` file (run with ONNX Runtime on the CPU).

    Returns
    -------
    callable
        ``predict(batch)``: ``(S, Y, X, C)`` float32 ndarray -> ``(S, Y, X, K)`` float32
        ndarray; usable as ``predict_fn`` of :func:`cellcourse.preprocess.predict_tiled`.

    Raises
    ------
    FileNotFoundError
        If ``path`` holds no SavedModel or ONNX file.
    RuntimeError
        If a SavedModel is loaded where TensorFlow is not installed (any Keras backend works).
    """
    path = Path(path)
    if path.suffix == ".onnx":
        if not path.is_file():
            raise FileNotFoundError(f"no ONNX file at {path}")
        _require_onnx()
        import onnxruntime

        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        input_name = session.get_inputs()[0].name

        def predict_onnx(batch):
            batch = np.asarray(batch, dtype=np.float32)
            return session.run(None, {input_name: batch})[0]

        return predict_onnx
    if not (path / "saved_model.pb").is_file():
        raise FileNotFoundError(f"no SavedModel at {path} (expected {path / 'saved_model.pb'})")
    _require_tensorflow("load_exported")
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))

    def predict(batch):
        batch = np.asarray(batch, dtype=np.float32)
        return np.asarray(loaded.serve(tf.constant(batch)))

    predict.saved_model = loaded  # keep the graph alive as long as the function
    return predict


def max_abs_difference(predict_a, predict_b, images) -> float:
    """The largest absolute difference between two models' outputs on the same images.

    Parameters
    ----------
    predict_a, predict_b : callable
        Each maps ``(S, Y, X, C)`` float32 to ``(S, Y, X, K)``: a Keras model, or the function of
        :func:`load_exported`.
    images : (S, Y, X, C) ndarray
        Inputs, normalised as in training; Y and X as the models accept.

    Returns
    -------
    float
        ``max |a - b|`` over all outputs: about 1e-6 for a faithful float32 export.

    Raises
    ------
    ValueError
        If ``images`` is not 4-D or the outputs differ in shape.

    Examples
    --------
    >>> double = lambda x: 2 * x
    >>> max_abs_difference(double, lambda x: x + x, np.ones((1, 4, 4, 1), np.float32))
    0.0
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4:
        raise ValueError(f"expected images of shape (S, Y, X, C); got {images.shape}")
    a = np.asarray(_numpy(predict_a(images)), dtype=np.float64)
    b = np.asarray(_numpy(predict_b(images)), dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"the outputs differ in shape: {a.shape} and {b.shape}")
    return float(np.max(np.abs(a - b)))


def _numpy(y):
    if isinstance(y, np.ndarray):
        return y
    import keras

    return keras.ops.convert_to_numpy(y)
