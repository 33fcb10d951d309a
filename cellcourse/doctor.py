"""``cellcourse doctor``: what this machine has, and what to fix.

Reports Python, Keras and its backend, NumPy, the GPU, the data cache and the
mirror, and the quick/strict flags. Each line is ok, a warning, or a problem
with a concrete fix; any problem makes ``cellcourse doctor`` exit non-zero.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

__all__ = ["Finding", "diagnose", "format_findings", "show_setup"]

_BACKEND_MODULE = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}


@dataclass(frozen=True)
class Finding:
    """One line of the report: ``status`` is ``"ok"``, ``"warn"`` or ``"fail"``."""

    name: str
    value: str
    status: str = "ok"
    fix: str = ""


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _gpu(backend: str) -> Finding:
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            gpus = [d.name for d in tf.config.list_physical_devices("GPU")]
        elif backend == "jax":
            import jax

            gpus = [str(d) for d in jax.devices() if d.platform != "cpu"]
        else:
            import torch

            gpus = (
                [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
                if torch.cuda.is_available()
                else []
            )
    except Exception as err:  # noqa: BLE001 - any failure to query the GPU is reported, not raised
        return Finding("GPU", f"could not query ({type(err).__name__}: {err})", "warn")
    if gpus:
        return Finding("GPU", ", ".join(gpus))
    return Finding(
        "GPU",
        "none (CPU only)",
        "warn",
        "Quick mode runs on a CPU. For full mode use a GPU (on Colab: Runtime > Change runtime type > GPU).",
    )


def _writable(folder: Path) -> bool:
    probe = folder
    while not probe.exists():
        probe = probe.parent
    return os.access(probe, os.W_OK)


def diagnose(check_gpu: bool = True) -> list[Finding]:
    """Collect the findings of ``cellcourse doctor``.

    Parameters
    ----------
    check_gpu : bool
        Import the backend and ask it for GPUs (takes a few seconds).

    Returns
    -------
    list of Finding
    """
    from .config import settings
    from .registry import datasets, format_size, safe_join

    found: list[Finding] = []
    py = sys.version_info
    found.append(
        Finding(
            "Python",
            platform.python_version(),
            "ok" if py >= (3, 10) else "fail",
            ""
            if py >= (3, 10)
            else "cellcourse needs Python 3.10 or newer: install it (conda, pyenv).",
        )
    )
    found.append(
        Finding("cellcourse", _version("cellcourse") or "not installed (running from source)")
    )
    try:
        s = settings()
    except ValueError as err:
        found.append(Finding("settings", str(err), "fail", "Set the variable to 1 or 0."))
        return found
    keras_v = _version("keras")
    if keras_v is None:
        found.append(Finding("Keras", "missing", "fail", 'pip install "keras>=3"'))
    elif int(keras_v.split(".")[0]) < 3:
        found.append(
            Finding("Keras", keras_v, "fail", 'cellcourse needs Keras 3: pip install -U "keras>=3"')
        )
    else:
        found.append(Finding("Keras", keras_v))
    backend = s.backend
    module = _BACKEND_MODULE.get(backend)
    if module is None:
        found.append(
            Finding(
                "backend",
                backend,
                "fail",
                "KERAS_BACKEND must be tensorflow, jax or torch: unset it or fix the spelling.",
            )
        )
    else:
        version = _version(module)
        if version is None or importlib.util.find_spec(module) is None:
            found.append(
                Finding(
                    "backend",
                    f"{backend} (missing)",
                    "fail",
                    f"pip install {module}, or set KERAS_BACKEND to an installed backend.",
                )
            )
        else:
            found.append(Finding("backend", f"{backend} {version}"))
            if check_gpu:
                found.append(_gpu(backend))
    found.append(
        Finding("NumPy", _version("numpy") or "missing", "ok" if _version("numpy") else "fail")
    )
    found.append(Finding("mode", f"{s.mode} (CELLCOURSE_QUICK={'1' if s.quick else '0'})"))
    found.append(Finding("strict checks", "on" if s.strict else "off"))
    # data cache
    table = datasets()
    cache = s.data_dir
    if not _writable(cache):
        found.append(
            Finding(
                "data cache",
                f"{cache} (not writable)",
                "fail",
                "Set CELLCOURSE_DATA_DIR to a folder you can write to.",
            )
        )
    else:
        complete = [
            name
            for name, ds in table.items()
            if all(
                (p := safe_join(cache, f.path)).is_file() and p.stat().st_size == f.size
                for f in ds.files
            )
        ]
        found.append(
            Finding(
                "data cache",
                f"{cache}: {len(complete)} of {len(table)} datasets downloaded",
            )
        )
    # mirror
    if s.mirror is None:
        found.append(Finding("data mirror", "not set (downloads from the internet)"))
    elif not s.mirror.is_dir():
        found.append(
            Finding(
                "data mirror",
                f"{s.mirror} does not exist",
                "fail",
                "Fix CELLCOURSE_DATA_MIRROR (a folder laid out <owner>/<repo>/<commit>/<path>) or unset it.",
            )
        )
    else:
        files = [f for ds in table.values() for f in ds.files]
        present = [f for f in files if safe_join(s.mirror, f.path).is_file()]
        size = sum(f.size for f in present)
        status = "ok" if len(present) == len(files) else "warn"
        found.append(
            Finding(
                "data mirror",
                f"{s.mirror}: {len(present)} of {len(files)} files ({format_size(size)})",
                status,
                "" if status == "ok" else "Run `cellcourse data verify` to list what is missing.",
            )
        )
    return found


def format_findings(findings: list[Finding]) -> str:
    """The report as aligned text, fixes indented under their line."""
    mark = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}
    width = max(len(f.name) for f in findings)
    lines = []
    for f in findings:
        lines.append(f"[{mark[f.status]}] {f.name:<{width}}  {f.value}")
        if f.fix:
            lines.append(f"       {'':<{width}}  -> {f.fix}")
    return "\n".join(lines)


def show_setup(check_gpu: bool = False) -> None:
    """Print the short setup report that opens every course notebook.

    Parameters
    ----------
    check_gpu : bool
        Ask the backend for GPUs (imports it; chapters that train set this).
    """
    findings = {f.name: f for f in diagnose(check_gpu=check_gpu)}
    order = [
        "Python",
        "Keras",
        "backend",
        "GPU",
        "mode",
        "strict checks",
        "data cache",
        "data mirror",
    ]
    for name in order:
        if name in findings:
            f = findings[name]
            flag = "" if f.status == "ok" else f"   <- {f.fix}" if f.fix else ""
            print(f"{name:<14} {f.value}{flag}")
    problems = [f for f in findings.values() if f.status == "fail"]
    if problems:
        raise RuntimeError(
            "this environment cannot run the course yet: "
            + "; ".join(f"{f.name}: {f.fix}" for f in problems)
        )
