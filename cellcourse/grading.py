"""Grading for instructors: run learners' notebooks and collect every check.

``cellcourse grade NOTEBOOK... [--csv FILE] [--timeout S] [--full]`` calls
:func:`grade`. Each notebook runs headless (nbclient) in its own fresh kernel,
in its own folder, in quick mode unless asked for full, never strict (an
incorrect answer is an outcome, not a failure) and with its own empty
progress file (``CELLCOURSE_PROGRESS``), from which the outcome of every
``ex.qN.check(...)`` is read afterwards. A notebook that raises or runs past
its time limit is recorded as such, and grading goes on with the next one.

Outcomes, per exercise of the notebook's chapter (the best outcome if an
exercise was checked several times):

=================  ===========================================================
``correct``        a check passed
``incorrect``      checked, never passed ("not yet")
``viewed``         a thought exercise, reached (nothing to check)
``not attempted``  checked with the stub left as it was, or never checked in
                   a notebook that ran to the end (its check cell removed)
``not reached``    never checked because the notebook crashed or timed out first
=================  ===========================================================

Notebook status: ``ok`` (ran to the end, whatever the answers), ``crashed``
(a cell raised, or the kernel died), ``timed out`` or ``unreadable`` (not a
notebook).

The chapter of a notebook is read, first found wins, from the line ``from
cellcourse.exercises import chNN`` of its code (every course notebook's setup
cell has it), from ``cellcourse.generated_from`` in its metadata (exercise
notebooks made by ``cellcourse build``), or from ``NN_`` in its file name.

The learner's name is, first found wins: the notebook metadata
``cellcourse.learner``; the file name without the chapter's notebook name
(``ada_00_microscopy_images.ipynb`` and ``00_microscopy_images-ada.ipynb``
both give ``ada``); else the name of the folder holding the notebook
(``ada/00_microscopy_images.ipynb`` gives ``ada``). So collect submissions
either as one folder per learner or with the learner's name in the file name.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .execution import notebook_client_class

__all__ = [
    "COLUMNS",
    "NotebookGrade",
    "format_summary",
    "grade",
    "grade_notebook",
    "grades_table",
    "learner_name",
    "notebook_chapter",
    "write_csv",
]

#: Columns of the table returned by :func:`grade` and :func:`grades_table`.
COLUMNS = (
    "learner",
    "notebook",
    "chapter",
    "exercise",
    "outcome",
    "attempts",
    "status",
    "error",
)
_STATUSES = ("ok", "crashed", "timed out", "unreadable")
# progress.py's outcome values -> the words of the table
_OUTCOME = {
    "correct": "correct",
    "incorrect": "incorrect",
    "viewed": "viewed",
    "not_attempted": "not attempted",
}
_IMPORT_CHAPTER = re.compile(r"^\s*from\s+cellcourse\.exercises\s+import\s+ch(\d{2})\b", re.M)
_FILE_CHAPTER = re.compile(r"(?<!\d)(\d{2})_")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class NotebookGrade:
    """The grade of one notebook, as returned by :func:`grade_notebook`.

    Attributes
    ----------
    notebook : str
        The notebook's path, as given.
    learner : str
        The learner's name (rule in the module docstring).
    chapter : str
        ``"00"`` ... ; empty when it could not be told.
    status : str
        ``"ok"``, ``"crashed"``, ``"timed out"`` or ``"unreadable"``.
    error : str
        For a notebook that did not run to the end: the cell (1-based index
        and first line) and the error's last line; else empty.
    outcomes : dict of str to str
        Exercise id (``"00.q1"``) to outcome, for every exercise of the
        chapter (and any other exercise the notebook checked), in order.
    attempts : dict of str to int
        Exercise id to the number of checks with an answer.
    gradable : tuple of str
        The exercise ids that can be ``correct`` (thought exercises excluded).
    seconds : float
        Wall time of the run.
    """

    notebook: str
    learner: str
    chapter: str
    status: str
    error: str = ""
    outcomes: dict = field(default_factory=dict)
    attempts: dict = field(default_factory=dict)
    gradable: tuple = ()
    seconds: float = 0.0

    @property
    def n_correct(self) -> int:
        """How many exercises are correct."""
        return sum(outcome == "correct" for outcome in self.outcomes.values())


def _natural_key(text: str) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _generated_from(nb) -> str:
    meta = nb.get("metadata", {}).get("cellcourse", {})
    source = meta.get("generated_from") if isinstance(meta, dict) else None
    return source if isinstance(source, str) else ""


def notebook_chapter(nb, path: str | os.PathLike = "") -> str:
    """The course chapter a notebook belongs to.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook.
    path : str or pathlib.Path
        Its file name, the last resort.

    Returns
    -------
    str
        ``"00"`` ... ``"99"``, from the ``from cellcourse.exercises import chNN``
        line of its code, else its ``cellcourse.generated_from`` metadata, else
        ``NN_`` in the file name; ``""`` if none says.

    Examples
    --------
    >>> from nbformat import v4
    >>> nb = v4.new_notebook(cells=[v4.new_code_cell("from cellcourse.exercises import ch03 as ex")])
    >>> notebook_chapter(nb, "ada.ipynb")
    '03'
    """
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise TypeError(f"expected a notebook (nbformat.NotebookNode), got {type(nb).__name__}")
    for cell in nb["cells"]:
        if cell.get("cell_type") == "code":
            source = cell.get("source", "")
            match = _IMPORT_CHAPTER.search("".join(source) if isinstance(source, list) else source)
            if match:
                return match.group(1)
    for name in (Path(_generated_from(nb)).name, Path(os.fspath(path)).name):
        match = _FILE_CHAPTER.search(name)
        if match:
            return match.group(1)
    return ""


def _known_stems(chapter: str) -> list[str]:
    """Course notebook names of a chapter, from the checkout's solutions folder."""
    from .runner import _repo_solutions

    stems = set()
    for folder in _repo_solutions():
        if folder.is_dir():
            stems.update(p.stem for p in folder.glob(f"{chapter}_*.ipynb"))
    return sorted(stems, key=len, reverse=True)


def learner_name(nb, path: str | os.PathLike) -> str:
    """The learner who owns a notebook (rule in the module docstring).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook.
    path : str or pathlib.Path
        Its path.

    Returns
    -------
    str
        The metadata ``cellcourse.learner``, else the file name without the
        chapter's notebook name and the separators around it (`` _-.``), else
        the name of the folder holding the notebook.

    Examples
    --------
    >>> from nbformat import v4
    >>> learner_name(v4.new_notebook(), "submissions/ada_00_microscopy_images.ipynb")
    'ada'
    >>> learner_name(v4.new_notebook(), "submissions/bob/00_microscopy_images.ipynb")
    'bob'
    """
    if not isinstance(path, str | os.PathLike) or not os.fspath(path):
        raise TypeError(f"expected path to be a non-empty str or Path, got {path!r}")
    path = Path(path)
    meta = nb.get("metadata", {}).get("cellcourse", {}) if isinstance(nb, dict) else {}
    name = meta.get("learner") if isinstance(meta, dict) else None
    if isinstance(name, str) and name.strip():
        return name.strip()
    stem = path.stem
    if isinstance(nb, dict) and isinstance(nb.get("cells"), list):
        chapter = notebook_chapter(nb, path)
    else:  # not a notebook: only the file name can tell
        match = _FILE_CHAPTER.search(path.name)
        chapter = match.group(1) if match else ""
    course = [Path(_generated_from(nb)).stem] if isinstance(nb, dict) else []
    course += _known_stems(chapter) if chapter else []
    for known in filter(None, course):
        if known in stem:
            parts = (part.strip(" _-.") for part in stem.split(known, 1))
            stem = " ".join(part for part in parts if part)
            break
    rest = stem.strip(" _-.")
    if rest:
        return rest
    return path.resolve().parent.name or "learner"


def _chapter_exercises(chapter: str) -> tuple[list[str], set[str]]:
    """(every exercise id of a chapter, the thought exercises among them)."""
    if not chapter:
        return [], set()
    from .exercises import registered
    from .exercises._core import ThoughtExercise

    exercises = registered(chapter)
    return [e.id for e in exercises], {e.id for e in exercises if isinstance(e, ThoughtExercise)}


def _first_line(text: str, width: int = 60) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    line = lines[0] if lines else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def _where(nb, index: int | None) -> str:
    if index is None or not 0 <= index < len(nb.cells):
        return "a cell"
    return f"cell {index + 1} (`{_first_line(nb.cells[index].source)}`)"


def _error_line(nb, index: int | None) -> str:
    """The error's last line as a traceback shows it: ``Type: message``."""
    cells = [nb.cells[index]] if index is not None and 0 <= index < len(nb.cells) else nb.cells
    for cell in cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                message = _ANSI.sub("", f"{output.get('ename', '')}: {output.get('evalue', '')}")
                return _first_line(message, 200)
    return "an error (no message recorded)"


def _check_mode_timeout(mode, timeout) -> None:
    if mode not in ("quick", "full"):
        raise ValueError(f"expected mode 'quick' or 'full', got {mode!r}")
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not 0 < timeout < math.inf
    ):
        raise ValueError(f"expected timeout to be a positive number of seconds, got {timeout!r}")


def _check_path(path) -> Path:
    if not isinstance(path, str | os.PathLike) or not os.fspath(path):
        raise TypeError(f"expected a notebook path (str or Path), got {path!r}")
    path = Path(path)
    if path.suffix != ".ipynb":
        raise ValueError(f"expected a Jupyter notebook file (.ipynb), got {str(path)!r}")
    if not path.is_file():
        raise FileNotFoundError(
            f"expected a notebook file, got {str(path)!r}, which does not exist"
        )
    return path


def grade_notebook(
    path: str | os.PathLike, *, mode: str = "quick", timeout: float = 600
) -> NotebookGrade:
    """Run one learner's notebook in a fresh kernel and collect its checks.

    Parameters
    ----------
    path : str or pathlib.Path
        The notebook (``.ipynb``). It runs in its own folder; the file is not
        changed.
    mode : {"quick", "full"}
        Budget the notebook runs with (``CELLCOURSE_QUICK``); default quick,
        since grading usually runs on the instructor's laptop.
    timeout : float
        Seconds all the notebook's cells together may take (the kernel's start
        is not counted; it has a minute of its own).

    Returns
    -------
    NotebookGrade
        Status, error and the outcome of every exercise of its chapter. A
        notebook that raises, times out or cannot be read is graded too: it
        never makes this function raise.

    Raises
    ------
    TypeError, ValueError, FileNotFoundError
        If the arguments are wrong (not an existing ``.ipynb``, bad mode or
        timeout).

    Examples
    --------
    >>> result = grade_notebook("ada/00_microscopy_images.ipynb")  # doctest: +SKIP
    >>> result.status, result.outcomes["00.q1"]  # doctest: +SKIP
    ('ok', 'correct')
    """
    import nbformat
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    from . import progress
    from .config import absolute_path_variables

    path = _check_path(path)
    _check_mode_timeout(mode, timeout)
    start = time.monotonic()
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as err:  # not JSON, not a notebook: whatever went wrong, grade the rest
        return NotebookGrade(
            notebook=str(path),
            learner=learner_name({}, path),
            chapter="",
            status="unreadable",
            error=f"cannot read the notebook: {_first_line(err, 200)}",
        )
    chapter = notebook_chapter(nb, path)
    learner = learner_name(nb, path)
    status, error = "ok", ""
    with tempfile.TemporaryDirectory(prefix="cellcourse-grade-") as scratch:
        progress_file = Path(scratch) / "progress.json"
        env = dict(os.environ)
        absolute_path_variables(env)  # the kernel runs in the notebook's folder
        env["CELLCOURSE_QUICK"] = "1" if mode == "quick" else "0"
        env["CELLCOURSE_STRICT"] = "0"  # an incorrect answer is an outcome, not a crash
        env["CELLCOURSE_PROGRESS"] = str(progress_file)
        env["CELLCOURSE_OUTPUT_DIR"] = str(Path(scratch) / "outputs")  # no shared tuner trials
        env.pop("CELLCOURSE_METRICS_FILE", None)
        env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's chatter off the terminal
        current: dict[str, float] = {}

        def on_cell_start(cell, cell_index, **_):
            current["index"] = cell_index
            current.setdefault("deadline", time.monotonic() + timeout)  # once the kernel is up

        client = notebook_client_class()(
            nb,
            kernel_name="python3",
            # each cell may use what is left of the notebook's time: a budget for the whole
            timeout_func=lambda cell: max(1, math.ceil(current["deadline"] - time.monotonic())),
            shutdown_kernel="immediate",
            record_timing=False,  # the executed notebook is not kept
            resources={"metadata": {"path": str(path.parent.resolve())}},
            on_cell_start=on_cell_start,
        )
        try:
            client.execute(env=env)
        except CellTimeoutError:
            status = "timed out"
            error = f"{_where(nb, current.get('index'))} was still running after {timeout:g} s"
        except CellExecutionError:
            status = "crashed"
            index = current.get("index")
            error = f"{_where(nb, index)}: {_error_line(nb, index)}"
        except DeadKernelError:
            status = "crashed"
            error = f"the kernel died in {_where(nb, current.get('index'))} (out of memory?)"
        except Exception as err:  # a kernel that cannot start, ...: record it, grade the rest
            status = "crashed"
            error = f"{type(err).__name__}: {_first_line(err, 200)}"
        records = progress.load(progress_file)
    best = progress.summary(records)
    ids, thought = _chapter_exercises(chapter)
    if not chapter and best:  # no chapter found: the checks tell it
        chapter = next(iter(best)).split(".")[0]
        ids, thought = _chapter_exercises(chapter)
    ids = sorted(set(ids) | set(best), key=_natural_key)
    missing = "not attempted" if status == "ok" else "not reached"
    outcomes = {i: _OUTCOME[best[i]["best"]] if i in best else missing for i in ids}
    attempts = {i: best[i]["attempts"] if i in best else 0 for i in ids}
    return NotebookGrade(
        notebook=str(path),
        learner=learner,
        chapter=chapter,
        status=status,
        error=error,
        outcomes=outcomes,
        attempts=attempts,
        gradable=tuple(i for i in ids if i not in thought),
        seconds=round(time.monotonic() - start, 1),
    )


def grades_table(grades) -> pd.DataFrame:
    """One row per learner, notebook and exercise.

    Parameters
    ----------
    grades : iterable of NotebookGrade
        As returned by :func:`grade_notebook`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`: ``learner``, ``notebook``, ``chapter``,
        ``exercise`` (``"00.q1"``), ``outcome``, ``attempts``, and the
        notebook's ``status`` and ``error`` repeated on each of its rows. A
        notebook with no exercise (unreadable, unknown chapter) has one row
        with an empty ``exercise`` and ``outcome``.
    """
    rows = []
    for g in grades:
        if not isinstance(g, NotebookGrade):
            raise TypeError(f"expected NotebookGrade items, got {type(g).__name__}")
        base = {"learner": g.learner, "notebook": g.notebook, "chapter": g.chapter}
        tail = {"status": g.status, "error": g.error}
        if not g.outcomes:
            rows.append({**base, "exercise": "", "outcome": "", "attempts": 0, **tail})
        for exercise, outcome in g.outcomes.items():
            attempts = g.attempts.get(exercise, 0)
            rows.append(
                {**base, "exercise": exercise, "outcome": outcome, "attempts": attempts, **tail}
            )
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    table["attempts"] = table["attempts"].astype(int)
    # which exercises count as gradable (thought exercises do not) travels with the table
    table.attrs["gradable"] = {
        g.notebook: list(g.gradable) for g in grades if isinstance(g, NotebookGrade)
    }
    return table


def grade(notebooks, *, mode: str = "quick", timeout: float = 600, on_result=None) -> pd.DataFrame:
    """Run every notebook, each in its own kernel, and tabulate the outcomes.

    Parameters
    ----------
    notebooks : iterable of str or pathlib.Path
        Learners' notebooks (``.ipynb``), all checked to exist before any runs.
    mode : {"quick", "full"}
        Budget (default quick).
    timeout : float
        Seconds each notebook may take.
    on_result : callable, optional
        Called with each :class:`NotebookGrade` as soon as it is known (e.g.
        to print progress).

    Returns
    -------
    pandas.DataFrame
        See :func:`grades_table`.

    Raises
    ------
    TypeError, ValueError, FileNotFoundError
        If a path is not an existing ``.ipynb`` file, or mode or timeout is
        wrong; nothing has run then.

    Examples
    --------
    >>> table = grade(["ada_00_microscopy_images.ipynb"], timeout=300)  # doctest: +SKIP
    >>> table[["learner", "exercise", "outcome", "status"]].head(2)  # doctest: +SKIP
      learner exercise  outcome status
    0     ada    00.q1  correct     ok
    1     ada    00.q2  correct     ok
    """
    if isinstance(notebooks, str | os.PathLike):
        notebooks = [notebooks]
    paths = [_check_path(p) for p in notebooks]
    if not paths:
        raise ValueError("expected at least one notebook to grade, got none")
    _check_mode_timeout(mode, timeout)
    if on_result is not None and not callable(on_result):
        raise TypeError(f"expected on_result to be callable or None, got {on_result!r}")
    grades = []
    for path in paths:
        result = grade_notebook(path, mode=mode, timeout=timeout)
        grades.append(result)
        if on_result is not None:
            on_result(result)
    return grades_table(grades)


def format_summary(table: pd.DataFrame) -> str:
    """The terminal summary of a grades table: one line per notebook.

    Parameters
    ----------
    table : pandas.DataFrame
        As returned by :func:`grade`.

    Returns
    -------
    str
        Per notebook: learner, chapter, ``n of N correct`` (N: exercises that
        can be correct; thought exercises are not counted), status, and the
        error of a notebook that did not run to the end; then a count of
        notebooks per status.

    Examples
    --------
    >>> print(format_summary(table))  # doctest: +SKIP
    learner  chapter  correct  status   notebook
    -------  -------  -------  -------  -----------------------------------
    ada      00       7 of 7   ok       ada_00_microscopy_images.ipynb
    <BLANKLINE>
    1 notebook: 1 ok
    """
    if not isinstance(table, pd.DataFrame) or not set(COLUMNS) <= set(table.columns):
        raise TypeError(f"expected a grades table (DataFrame with columns {list(COLUMNS)})")
    gradable = table.attrs.get("gradable", {})
    rows, errors, counts = [], [], dict.fromkeys(_STATUSES, 0)
    for notebook, group in table.groupby("notebook", sort=False):
        first = group.iloc[0]
        exercises = [e for e in group["exercise"] if e]
        counted = gradable.get(notebook, exercises)
        correct = int(((group["outcome"] == "correct") & group["exercise"].isin(counted)).sum())
        rows.append(
            (
                str(first["learner"]),
                str(first["chapter"]) or "?",
                f"{correct} of {len(counted)}",
                str(first["status"]),
                Path(str(notebook)).name,
            )
        )
        counts[first["status"]] = counts.get(first["status"], 0) + 1
        if first["error"]:
            errors.append(f"  {first['learner']} ({Path(str(notebook)).name}): {first['error']}")
    if not rows:
        return "No notebook graded."
    header = ("learner", "chapter", "correct", "status", "notebook")
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]

    def line(cells) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    lines = [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]
    if errors:
        lines += ["", "Did not run to the end:", *errors]
    n = len(rows)
    tally = ", ".join(f"{k} {s}" for s, k in counts.items() if k)
    lines += ["", f"{n} notebook{'s' if n != 1 else ''}: {tally}"]
    return "\n".join(lines)


def write_csv(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a grades table to a CSV file, atomically.

    Parameters
    ----------
    table : pandas.DataFrame
        As returned by :func:`grade`.
    path : str or pathlib.Path
        The CSV file; its folder is created. The file appears complete or not
        at all (a temporary file in the same folder, then a rename).

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> write_csv(table, "grades/workshop.csv")  # doctest: +SKIP
    PosixPath('grades/workshop.csv')
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"expected a grades table (DataFrame), got {type(table).__name__}")
    if not isinstance(path, str | os.PathLike) or not os.fspath(path):
        raise TypeError(f"expected a CSV path (str or Path), got {path!r}")
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"expected a CSV file path, got {str(path)!r}, which is a folder")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            table.to_csv(f, index=False)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
