"""cellcourse: deep learning for cellular image analysis, a Keras 3 course library.

The helper library that the course notebooks import. Functions take and return
NumPy arrays with documented axes (letters S, T, Z, Y, X, C; channels last).
Keras is imported lazily by the modules that build models, so
``import cellcourse`` never picks a backend behind the learner's back.
"""

from __future__ import annotations

from .config import budget, is_quick, is_strict, set_seed, settings
from .reporting import report_metrics

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "budget",
    "is_quick",
    "is_strict",
    "report_metrics",
    "set_seed",
    "settings",
]
