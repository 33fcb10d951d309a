"""Metrics for the course, one module per family.

``classification``: confusion matrix, accuracy, balanced accuracy, precision,
recall and F1 per class, and a printable report; for unbalanced classes the
recall of each class and of the worst one, precision-recall curves and average
precision (one class against the rest), and threshold moving.

``segmentation``: Dice and Jaccard per class of pixel maps, foreground Dice of
label images.

``instances``: objects matched one to one by IoU (optimal assignment), their
precision, recall and F1 at an IoU threshold, the 2018 Data Science Bowl average
precision, panoptic quality, and counts of splits and merges.

``regression``: Pearson correlation, SSIM and PSNR of a predicted image against
the true one (image-to-image regression, virtual staining).

``tracking``: detections matched to ground truth, link and division precision,
recall and F1, complete tracks, and the Cell Tracking Challenge's TRA
(``cc.metrics.tracking.tracking_scores`` and friends; not flattened here).
"""

from __future__ import annotations

from . import classification, instances, regression, segmentation, tracking  # the submodules
from .classification import (
    accuracy,
    average_precision,
    balanced_accuracy,
    classification_report,
    confusion_matrix,
    macro_f1,
    min_class_recall,
    per_class_recall,
    precision_recall_curve,
    precision_recall_f1,
    predict_with_thresholds,
    prior_correction_weights,
)
from .instances import (
    DsbScore,
    InstanceMatch,
    PanopticQuality,
    SplitMerge,
    average_precision_dsb,
    iou_matrix,
    match_instances,
    panoptic_quality,
    split_merge_counts,
)
from .regression import pearson_r, psnr, ssim
from .segmentation import dice, foreground_dice, jaccard

__all__ = [
    "classification",
    "instances",
    "regression",
    "segmentation",
    "tracking",
    "DsbScore",
    "InstanceMatch",
    "PanopticQuality",
    "SplitMerge",
    "accuracy",
    "average_precision",
    "average_precision_dsb",
    "balanced_accuracy",
    "classification_report",
    "confusion_matrix",
    "dice",
    "foreground_dice",
    "iou_matrix",
    "jaccard",
    "macro_f1",
    "match_instances",
    "min_class_recall",
    "panoptic_quality",
    "pearson_r",
    "per_class_recall",
    "precision_recall_curve",
    "precision_recall_f1",
    "predict_with_thresholds",
    "prior_correction_weights",
    "psnr",
    "split_merge_counts",
    "ssim",
]
