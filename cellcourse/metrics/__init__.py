"""Metrics for the course, one module per family.

``classification``: confusion matrix, accuracy, balanced accuracy, precision,
recall and F1 per class, and a printable report; for unbalanced classes the
recall of each class and of the worst one, precision-recall curves and average
precision (one class against the rest), and threshold moving. NumPy only.
"""

from __future__ import annotations

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

__all__ = [
    "accuracy",
    "average_precision",
    "balanced_accuracy",
    "classification_report",
    "confusion_matrix",
    "macro_f1",
    "min_class_recall",
    "per_class_recall",
    "precision_recall_curve",
    "precision_recall_f1",
    "predict_with_thresholds",
    "prior_correction_weights",
]
