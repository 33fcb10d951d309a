"""Run a course notebook headless and keep what it produced.

``cellcourse run NN_topic`` executes ``solutions/NN_topic.ipynb`` with
nbclient in a fresh kernel and writes, under ``runs/<topic>-<mode>-<time>/``:
the executed notebook, every figure it drew (PNG), and ``metrics.json``::

    {"notebook": ..., "mode": "quick"|"full", "backend": ..., "keras_version": ...,
     "seconds": ..., "metrics": {name: value}}

The metrics are those the notebook passed to :func:`cellcourse.report_metrics`.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

__all__ = ["RunResult", "find_notebook", "run_notebook", "NotebookFailed"]

_TOPIC = re.compile(r"^\d{2}_[a-z0-9_]+$")


class NotebookFailed(RuntimeError):
    """A cell of the notebook raised; the message holds that cell and its traceback."""

    def __init__(self, message: str, run_dir: Path):
        super().__init__(message)
        self.run_dir = run_dir


@dataclass(frozen=True)
class RunResult:
    """What :func:`run_notebook` produced.

    Attributes
    ----------
    run_dir : Path
        Folder with the executed notebook, ``figures/`` and ``metrics.json``.
    metrics : dict of str to float
        The metrics the notebook reported.
    seconds : float
        Wall time of the execution.
    """

    run_dir: Path
    metrics: dict
    seconds: float
    mode: str


def _repo_solutions() -> list[Path]:
    here = Path(__file__).resolve().parent.parent / "solutions"
    return [Path.cwd() / "solutions", here]


def find_notebook(topic: str, notebook_dir: str | Path | None = None) -> Path:
    """Locate ``solutions/<topic>.ipynb`` (or accept a path to a notebook).

    Parameters
    ----------
    topic : str
        ``NN_topic`` such as ``"00_microscopy_images"`` (``"00"`` alone also
        works when it is unambiguous), or a path to an ``.ipynb`` file.
    notebook_dir : str or Path, optional
        Folder to look in; default ``./solutions`` then the package checkout's.
    """
    if not isinstance(topic, str) or not topic:
        raise ValueError(f"expected a chapter name like '00_microscopy_images'; got {topic!r}")
    as_path = Path(topic)
    if as_path.suffix == ".ipynb":
        if not as_path.is_file():
            raise FileNotFoundError(f"notebook {as_path} does not exist")
        return as_path
    folders = [Path(notebook_dir)] if notebook_dir else _repo_solutions()
    for folder in folders:
        if not folder.is_dir():
            continue
        candidates = sorted(folder.glob(f"{topic}*.ipynb"))
        exact = [c for c in candidates if c.stem == topic]
        if exact:
            return exact[0]
        if len(candidates) == 1 and re.fullmatch(r"\d{2}", topic):
            return candidates[0]
    known = sorted(
        {p.stem for f in folders if f.is_dir() for p in f.glob("*.ipynb") if _TOPIC.match(p.stem)}
    )
    raise FileNotFoundError(
        f"no course notebook {topic!r} in {', '.join(str(f) for f in folders)}. "
        f"Known chapters: {', '.join(known) or 'none found (run from the course checkout)'}"
    )


def _save_figures(nb, folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for index, cell in enumerate(nb.cells, start=1):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" in data:
                count += 1
                png = base64.b64decode(data["image/png"])
                (folder / f"cell{index:03d}_fig{count:02d}.png").write_bytes(png)
    return count


def _failing_cell(nb) -> str:
    for index, cell in enumerate(nb.cells, start=1):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                tb = "\n".join(output.get("traceback", []))
                tb = re.sub(r"\x1b\[[0-9;]*m", "", tb)  # strip terminal colours
                return f"cell {index} failed:\n{cell.source}\n\n{tb}"
    return "a cell failed (no traceback recorded)"


def run_notebook(
    topic: str,
    mode: str | None = None,
    out_dir: str | Path = "runs",
    timeout: int = 1800,
    notebook_dir: str | Path | None = None,
) -> RunResult:
    """Execute a solution notebook headless and save it, its figures and metrics.

    Parameters
    ----------
    topic : str
        Chapter, e.g. ``"00_microscopy_images"`` (see :func:`find_notebook`).
    mode : {"quick", "full"}, optional
        Budget; default from ``CELLCOURSE_QUICK``.
    out_dir : str or Path
        Where the run folder is created.
    timeout : int
        Seconds one cell may run.

    Returns
    -------
    RunResult

    Raises
    ------
    NotebookFailed
        A cell raised; the message shows the cell and its traceback. The
        partially executed notebook is saved in the run folder all the same.
    """
    import nbformat
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    from .config import absolute_path_variables, settings
    from .execution import notebook_client_class

    if mode is None:
        mode = settings().mode
    if mode not in ("quick", "full"):
        raise ValueError(f"mode must be 'quick' or 'full'; got {mode!r}")
    if not isinstance(timeout, int) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds; got {timeout!r}")
    path = find_notebook(topic, notebook_dir)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run_dir = Path(out_dir) / f"{path.stem}-{mode}-{stamp}"
    suffix = 1
    while run_dir.exists():
        suffix += 1
        run_dir = Path(out_dir) / f"{path.stem}-{mode}-{stamp}-{suffix}"
    run_dir.mkdir(parents=True)
    metrics_file = run_dir / "metrics.partial.json"
    env = dict(os.environ)
    absolute_path_variables(env)  # the kernel runs in the notebook's folder
    env["CELLCOURSE_QUICK"] = "1" if mode == "quick" else "0"
    env["CELLCOURSE_METRICS_FILE"] = str(metrics_file.resolve())
    env["CELLCOURSE_OUTPUT_DIR"] = str(run_dir.resolve())  # tuner trials, models: in the run folder
    # figures must come back as notebook outputs, whatever backend the caller uses
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    nb = nbformat.read(path, as_version=4)
    client = notebook_client_class()(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    start = time.perf_counter()
    failure = None
    try:
        client.execute(env=env)
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
        failure = err
    seconds = time.perf_counter() - start
    nbformat.write(nb, run_dir / path.name)
    _save_figures(nb, run_dir / "figures")
    metrics = {}
    if metrics_file.exists():
        metrics = json.loads(metrics_file.read_text(encoding="utf-8"))
        metrics_file.unlink()
    try:
        keras_version = metadata.version("keras")
    except metadata.PackageNotFoundError:
        keras_version = None
    record = {
        "notebook": path.stem,
        "mode": mode,
        "backend": env.get("KERAS_BACKEND", "tensorflow"),
        "keras_version": keras_version,
        "seconds": round(seconds, 1),
        "metrics": metrics,
    }
    if failure is not None:
        record["error"] = (
            _failing_cell(nb) if isinstance(failure, CellExecutionError) else str(failure)
        )
    (run_dir / "metrics.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    if failure is not None:
        raise NotebookFailed(record["error"], run_dir)
    return RunResult(run_dir=run_dir, metrics=metrics, seconds=seconds, mode=mode)
