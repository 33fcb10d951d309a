"""The learner's progress: every exercise check, recorded locally.

Each :meth:`cellcourse.exercises.Exercise.check` appends one record to a JSON
file, ``cellcourse.config.settings().progress_file`` (by default
``~/.cellcourse/progress.json``; ``CELLCOURSE_PROGRESS`` overrides it)::

    {"format": "cellcourse-progress", "version": 1,
     "records": [{"learner": "ada", "exercise": "00.q1", "outcome": "correct",
                  "time": "2024-05-01T10:22:03+02:00"}, ...]}

``cellcourse progress`` prints :func:`format_summary`.

Recording never gets in the way of a check: the file is replaced atomically
(a temporary file, then ``os.replace``), a damaged file is moved aside to
``progress.json.corrupt-<time>`` and a new one started, and a location that
cannot be written only prints a one-line note (once) and skips recording.
"""

from __future__ import annotations

import datetime as _dt
import getpass
import json
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from . import config

__all__ = ["record", "load", "summary", "format_summary"]

_FORMAT = "cellcourse-progress"
_VERSION = 1
# outcome values of cellcourse.exercises.Outcome, from worst to best
_RANK = {"not_attempted": 0, "incorrect": 1, "viewed": 2, "correct": 3}
_LABEL = {
    "correct": "correct",
    "viewed": "viewed",
    "incorrect": "not yet",
    "not_attempted": "not attempted",
}
_NOTED: set[str] = set()  # notes already printed in this session


def _note(key: str, text: str) -> None:
    """Print a one-line note, once per key and session (warnings would be errors in tests)."""
    if key in _NOTED:
        return
    _NOTED.add(key)
    print(f"cellcourse: {text}")


def _learner() -> str:
    # getpass reads LOGNAME, USER, LNAME or USERNAME, then the password database
    try:
        name = str(getpass.getuser()).strip()
    except Exception:  # no user name on this system (raises OSError or KeyError)
        return "learner"
    return name or "learner"


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).astimezone().isoformat(timespec="seconds")


def _resolve(path: str | os.PathLike | None) -> Path:
    if path is None:
        return config.settings().progress_file
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str, a Path or None; got {type(path).__name__}")
    return Path(path)


def _parse(text: str) -> list[dict]:
    """The records of a progress file; ValueError if it is damaged."""
    try:
        data = json.loads(text)
    except RecursionError as exc:
        raise ValueError("nested too deeply") from exc
    if isinstance(data, dict) and data.get("format") == _FORMAT:
        records = data.get("records")
    elif isinstance(data, list):  # a bare list of records is accepted too
        records = data
    else:
        raise ValueError("not a cellcourse progress file")
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ValueError("records must be a list of objects")
    return records


def _move_aside(target: Path) -> Path | None:
    stamp = _dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    aside = target.with_name(f"{target.name}.corrupt-{stamp}")
    number = 1
    while aside.exists():
        number += 1
        aside = target.with_name(f"{target.name}.corrupt-{stamp}-{number}")
    try:
        os.replace(target, aside)
    except OSError:
        return None
    return aside


def _read_for_update(target: Path) -> list[dict] | None:
    """Records to append to, or None when the file must be left alone."""
    try:
        data = target.read_bytes()
    except (FileNotFoundError, NotADirectoryError):  # no file there (yet)
        return []
    except OSError as exc:  # no permission, a directory...
        _note(
            f"unreadable:{target}",
            f"cannot read the progress file {target} ({exc}); checks are not recorded.",
        )
        return None
    try:
        return _parse(data.decode("utf-8"))
    except ValueError:  # not UTF-8, not JSON, not a progress file
        aside = _move_aside(target)
        if aside is None:
            _note(
                f"damaged:{target}",
                f"the progress file {target} is damaged and cannot be moved aside; "
                "checks are not recorded.",
            )
            return None
        _note(
            f"moved:{aside}",
            f"the progress file was damaged: moved it to {aside.name} and started a new one.",
        )
        return []


def _write_atomic(target: Path, records: list[dict]) -> bool:
    payload = json.dumps(
        {"format": _FORMAT, "version": _VERSION, "records": records},
        indent=1,
        ensure_ascii=False,
    )
    temporary = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
        with open(handle, "w", encoding="utf-8") as file:
            file.write(payload)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
        temporary = None
        return True
    except OSError as exc:
        _note(
            f"unwritable:{target}",
            f"cannot write the progress file {target} ({exc}); checks still work "
            "but are not recorded.",
        )
        return False
    finally:
        if temporary is not None:  # leave no partial file behind
            try:
                os.unlink(temporary)
            except OSError:
                pass


def record(result: Any, path: str | os.PathLike | None = None) -> bool:
    """Append the outcome of one check to the progress file.

    Parameters
    ----------
    result : cellcourse.exercises.CheckResult
        The result of a check (its ``exercise`` id and ``outcome`` are recorded,
        with the learner's user name and the local time).
    path : str or pathlib.Path or None
        The progress file; None: ``settings().progress_file``.

    Returns
    -------
    bool
        True if the record was written. False (with a one-line note) when the
        file cannot be read or written; recording never raises for that.

    Raises
    ------
    TypeError
        If ``result`` is not a check result.

    Examples
    --------
    >>> result = ex.q1.check(n_nuclei)  # doctest: +SKIP
    >>> record(result)  # doctest: +SKIP
    True
    """
    exercise = getattr(result, "exercise", None)
    outcome = getattr(getattr(result, "outcome", None), "value", None)
    if not isinstance(exercise, str) or outcome not in _RANK:
        raise TypeError(
            "expected a CheckResult with an exercise id and an outcome; "
            f"got {type(result).__name__}"
        )
    try:
        target = _resolve(path)
    except ValueError as exc:  # a malformed environment variable
        _note("settings", f"cannot find the progress file ({exc}); checks are not recorded.")
        return False
    entry = {"learner": _learner(), "exercise": exercise, "outcome": outcome, "time": _now()}
    records = _read_for_update(target)
    if records is None:
        return False
    records.append(entry)
    return _write_atomic(target, records)


def load(path: str | os.PathLike | None = None) -> list[dict]:
    """Read all records of the progress file.

    Parameters
    ----------
    path : str or pathlib.Path or None
        The progress file; None: ``settings().progress_file``.

    Returns
    -------
    list of dict
        One dict per check, oldest first, with keys ``learner``, ``exercise``,
        ``outcome`` (``"correct"``, ``"incorrect"``, ``"not_attempted"`` or
        ``"viewed"``) and ``time`` (ISO 8601). Empty when there is no file; a
        damaged or unreadable file prints a one-line note and reads as empty
        (the next check moves a damaged file aside).

    Examples
    --------
    >>> [r["outcome"] for r in load()]  # doctest: +SKIP
    ['incorrect', 'correct']
    """
    target = _resolve(path)
    try:
        data = target.read_bytes()
    except (FileNotFoundError, NotADirectoryError):  # no file there (yet)
        return []
    except OSError as exc:
        _note(f"unreadable:{target}", f"cannot read the progress file {target} ({exc}).")
        return []
    try:
        return _parse(data.decode("utf-8"))
    except ValueError:
        _note(
            f"damaged-read:{target}",
            f"the progress file {target} is damaged; it is ignored (the next check moves it aside).",
        )
        return []


def _natural_key(text: str) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def summary(
    records: Iterable[dict] | None = None,
    *,
    learner: str | None = None,
    path: str | os.PathLike | None = None,
) -> dict[str, dict]:
    """The best outcome and the number of attempts per exercise.

    Parameters
    ----------
    records : iterable of dict or None
        Records as returned by :func:`load`; None: load them from ``path``.
    learner : str or None
        Only this learner's records; None: all of them.
    path : str or pathlib.Path or None
        The progress file read when ``records`` is None.

    Returns
    -------
    dict of str to dict
        Per exercise id (in natural order: ``00.q2`` before ``00.q10``):
        ``best`` (the best outcome ever reached: correct > viewed > incorrect >
        not_attempted), ``attempts`` (checks with an answer, i.e. not "not
        attempted"), ``checks`` (all checks) and ``last`` (time of the last
        check). Records that are not well formed are skipped.

    Examples
    --------
    >>> summary([{"exercise": "00.q1", "outcome": "incorrect", "time": "t1"},
    ...          {"exercise": "00.q1", "outcome": "correct", "time": "t2"}])
    {'00.q1': {'best': 'correct', 'attempts': 2, 'checks': 2, 'last': 't2'}}
    """
    if records is None:
        records = load(path)
    if isinstance(records, dict | str | bytes):
        raise TypeError(f"records must be a list of dicts; got {type(records).__name__}")
    if learner is not None and not isinstance(learner, str):
        raise TypeError(f"learner must be a str or None; got {type(learner).__name__}")
    table: dict[str, dict] = {}
    for entry in records:
        if not isinstance(entry, dict):
            continue
        exercise, outcome = entry.get("exercise"), entry.get("outcome")
        if not isinstance(exercise, str) or outcome not in _RANK:
            continue
        if learner is not None and entry.get("learner") != learner:
            continue
        row = table.setdefault(
            exercise, {"best": outcome, "attempts": 0, "checks": 0, "last": None}
        )
        row["checks"] += 1
        if outcome != "not_attempted":
            row["attempts"] += 1
        if _RANK[outcome] > _RANK[row["best"]]:
            row["best"] = outcome
        time = entry.get("time")
        if isinstance(time, str):
            row["last"] = time
    return {key: table[key] for key in sorted(table, key=_natural_key)}


def format_summary(
    records: Iterable[dict] | None = None,
    *,
    learner: str | None = None,
    exercises: Iterable[str] | None = None,
    path: str | os.PathLike | None = None,
) -> str:
    """A text table of :func:`summary`, as printed by ``cellcourse progress``.

    Parameters
    ----------
    records : iterable of dict or None
        Records as returned by :func:`load`; None: load them from ``path``.
    learner : str or None
        Only this learner's records; None: all of them.
    exercises : iterable of str or None
        Exercise ids to list even if never checked (e.g. the ids of
        ``cellcourse.exercises.registered()``); None: only checked ones.
    path : str or pathlib.Path or None
        The progress file read when ``records`` is None.

    Returns
    -------
    str
        One line per exercise (id, best outcome, attempts, last check) and a
        last line counting the exercises done (correct, or viewed for a
        thought exercise).

    Examples
    --------
    >>> print(format_summary([{"exercise": "00.q1", "outcome": "correct",
    ...                        "time": "2024-05-01T10:22:03+02:00"}]))
    exercise  best     attempts  last check
    --------  -------  --------  -------------------------
    00.q1     correct         1  2024-05-01 10:22:03+02:00
    <BLANKLINE>
    1 of 1 exercise done.
    """
    table = summary(records, learner=learner, path=path)
    if exercises is not None:
        if isinstance(exercises, str):
            raise TypeError("exercises must be a list of ids such as ['00.q1'], not one str")
        ids = list(exercises)
        if not all(isinstance(i, str) for i in ids):
            raise TypeError(f"exercises must be ids (str); got {ids!r}")
        for exercise_id in ids:
            table.setdefault(exercise_id, {"best": None, "attempts": 0, "checks": 0, "last": None})
        table = {key: table[key] for key in sorted(table, key=_natural_key)}
    if not table:
        return "No exercise checked yet."
    header = ("exercise", "best", "attempts", "last check")
    rows = [
        (
            exercise,
            _LABEL.get(row["best"], "-"),
            str(row["attempts"]),
            row["last"].replace("T", " ") if row["last"] else "-",
        )
        for exercise, row in table.items()
    ]
    widths = [max(len(line[i]) for line in (header, *rows)) for i in range(4)]

    def line(cells) -> str:
        return "  ".join(
            cell.rjust(width) if i == 2 and cell != header[2] else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    done = sum(row["best"] in ("correct", "viewed") for row in table.values())
    total = len(table)
    lines = [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows), ""]
    lines.append(f"{done} of {total} exercise{'s' if total != 1 else ''} done.")
    return "\n".join(lines)
