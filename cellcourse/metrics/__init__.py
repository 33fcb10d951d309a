"""Metrics for the course, one module per family.

``classification``: confusion matrix, accuracy, balanced accuracy, precision,
recall and F1 per class, and a printable report. NumPy only.
"""

from __future__ import annotations

from .classification import (
    accuracy,
    balanced_accuracy,
    classification_report,
    confusion_matrix,
    macro_f1,
    precision_recall_f1,
)

__all__ = [
    "accuracy",
    "balanced_accuracy",
    "classification_report",
    "confusion_matrix",
    "macro_f1",
    "precision_recall_f1",
]
