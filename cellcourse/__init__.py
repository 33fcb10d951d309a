"""cellcourse: deep learning for cellular image analysis, a Keras 3 course library.

The helper library that the course notebooks import as ``cc``. Functions take
and return NumPy arrays with documented axes (letters S, T, Z, Y, X, C;
channels last). Submodules are loaded on first use (``cc.preprocess``,
``cc.datasets``, ...), so ``import cellcourse`` is quick and never picks a Keras
backend behind the learner's back.

====================  ==========================================================
``datasets``          one loader per course dataset (``load_bbbc039`` ...)
``registry``          the data registry: urls, hashes, licences, citations
``download``          verified, atomic, resumable downloads; the mirror
``synthetic``         generated images and time-lapses with exact ground truth
``preprocess``        normalisation, patches, tiling and stitching, group splits
``models``            Keras model builders (linear, small CNN, transfer classifier, U-Net)
``targets``           training targets from instance labels (3 classes, distances)
``losses``            segmentation losses in ``keras.ops`` (weighted cross-entropy, Dice)
``postprocess``       label images from predicted maps; the classical baseline
``tracking``          detections, linking (linear assignment, gaps, divisions), CTC export
``tracking_data``     loaders of the tracking datasets (ground truth in CTC format)
``virtual_staining``  spatial split of one field, patches, baselines (chapter 10)
``train``             thin helpers over ``model.fit``: data checks, fit, predict
``sampling``          class-balanced resampling and batches (over-, undersampling)
``active_learning``   uncertainty sampling, a simulated annotator, labelling-budget loops
``tuning``            learning-rate range test; keras-tuner searches with a time budget
``metrics``           classification, segmentation (Dice, Jaccard) and instance
                      metrics (matching, F1, DSB AP, panoptic quality), image
                      regression (Pearson r, SSIM, PSNR)
``backbones``         ImageNet-pretrained EfficientNet-Lite0, offline
``plot``              figures (each function returns the Figure)
``plot_tracks``       track overlays, frames with tails, lineage trees, link errors
``plot_instances``    instance errors (matched, missed, spurious, split, merged) as a map
``exercises``         the checks of every chapter (``ex.q1.check(...)``)
``grading``           run learners' notebooks, collect their checks (``cellcourse grade``)
``widgets``           interactive viewers (contrast, stacks) for the notebooks
``widgets_tracks``    a frame slider over tracks (ipywidgets, loaded on use)
``packaging``         save a model with its model card; load safely; export (SavedModel)
``inference``         batch prediction of a folder of images (``cellcourse predict``)
``doctor``            environment report
====================  ==========================================================
"""

from __future__ import annotations

import importlib

from .config import budget, is_quick, is_strict, set_seed, settings
from .reporting import report_metrics

__version__ = "0.1.0"

_SUBMODULES = (
    "active_learning",
    "authoring",
    "backbones",
    "datasets",
    "doctor",
    "download",
    "exercises",
    "grading",
    "inference",
    "losses",
    "metrics",
    "models",
    "packaging",
    "plot",
    "plot_instances",
    "plot_tracks",
    "postprocess",
    "preprocess",
    "progress",
    "registry",
    "runner",
    "sampling",
    "synthetic",
    "targets",
    "tracking",
    "tracking_data",
    "train",
    "tuning",
    "virtual_staining",
    "widgets",
    "widgets_tracks",
)

__all__ = [
    "__version__",
    "budget",
    "is_quick",
    "is_strict",
    "report_metrics",
    "set_seed",
    "settings",
    *_SUBMODULES,
]


def __getattr__(name: str):
    # PEP 562: import submodules on first use (cc.preprocess, cc.plot, ...)
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'cellcourse' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES))
