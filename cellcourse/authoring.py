"""Build the exercise notebooks from the solution notebooks, and lint both.

``solutions/NN_topic.ipynb`` is the only hand-edited notebook of a chapter;
``cellcourse build`` writes ``notebooks/NN_topic.ipynb`` from it (design
section 7). The conventions, which chapter authors follow:

Code cells
    Exercise code sits between a line ``### BEGIN SOLUTION`` and a line
    ``### END SOLUTION`` (each alone on its line, indentation allowed). Inside
    a region, lines ``# STUB: text`` give the learner's stub: the exercise
    shows the ``text`` of every STUB line, at the region's indentation, in
    place of the whole region (markers included). Every region needs at least
    one STUB line, usually with ``...`` where the learner writes::

        def to_unit_range(x):
            ### BEGIN SOLUTION
            # STUB: return ...  # scale x to 0-1
            return (x - x.min()) / (x.max() - x.min())
            ### END SOLUTION

Markdown cells
    Lines between ``<!-- BEGIN SOLUTION -->`` and ``<!-- END SOLUTION -->``
    are replaced by ``*Write your answer here.*`` (written answers).

Cell tags
    ``solution-only``: the cell is dropped from the exercise (e.g. a cell that
    shows a check failing on a typical mistake). ``exercise-only``: kept in
    both notebooks (meant for the exercise). Other tags are kept as they are;
    a tag that looks like a misspelling of these two is an error.

Exercises
    A markdown heading ``### Exercise N.M — title`` (or ``: title``; N is the
    chapter number without a leading zero, M runs 1, 2, 3, ...) is followed,
    before the next exercise, by a code cell calling ``ex.qM.check(...)``.

Colab
    ``build(..., colab_repo="OWNER/NAME")`` (``cellcourse build --colab-repo
    OWNER/NAME``) puts an "Open in Colab" badge at the top of every exercise
    notebook, pointing at ``notebooks/NN_topic.ipynb`` on GitHub, and writes
    ``git+https://github.com/OWNER/NAME@BRANCH`` into the line
    ``COURSE_PACKAGE = ""`` of the setup cell, from which the setup cell installs
    the course on Colab. Without it, nothing repository-specific is written.

The linter reports every deviation as a :class:`Problem` naming the notebook,
the cell (1-based) and the line (1-based within the cell); :func:`build`
writes nothing while any notebook has a problem.
"""

from __future__ import annotations

import contextlib
import copy
import os
import re
import stat
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

__all__ = [
    "BuildReport",
    "Problem",
    "build",
    "build_exercise",
    "clear_outputs",
    "exercise_ids",
    "find_leaks",
    "lint_notebook",
]

_CODE_BEGIN = "### BEGIN SOLUTION"
_CODE_END = "### END SOLUTION"
_MD_BEGIN = "<!-- BEGIN SOLUTION -->"
_MD_END = "<!-- END SOLUTION -->"
_MD_PLACEHOLDER = "*Write your answer here.*"
_SOLUTION_ONLY = "solution-only"
_EXERCISE_ONLY = "exercise-only"
_KNOWN_TAGS = (_SOLUTION_ONLY, _EXERCISE_ONLY)
_NOTE_ID = "cellcourse-exercise-note"
_BADGE_ID = "cellcourse-colab-badge"
_BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
# the line of the setup cell that names where Colab installs the course from
_COURSE_PACKAGE = re.compile(
    r"^(?P<head>\s*COURSE_PACKAGE\s*=\s*)(?P<q>[\"'])[^\"']*(?P=q)(?P<tail>.*)$"
)
# GitHub's rules: owner 1-39 letters, digits or inner single hyphens; repository name
# 1-100 letters, digits, '.', '_' or '-' (not '.' or '..')
_GITHUB_OWNER = re.compile(r"^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$")
_GITHUB_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
# a git branch name safe in a URL: no spaces, '..', '~^:?*[\\', no leading '-' or '/'
_BRANCH = re.compile(r"^(?![-/.])(?!.*(?:\.\.|//|@\{|\.lock$|/$|\.$))[A-Za-z0-9._/-]{1,200}$")

# what the spec calls a marker: "### BEGIN ..." / "### END ..." in code,
# "<!-- BEGIN ... -->" / "<!-- END ... -->" in markdown
_CODE_MARKER_LIKE = re.compile(r"^\s*###\s*(BEGIN|END)\b")
_MD_MARKER_LIKE = re.compile(r"<!--\s*(BEGIN|END)\b")
# near misses that would otherwise leave a solution in the exercise unnoticed
# ("# BEGIN SOLUTION", "### begin solution", "<!-- end_solution -->")
_CODE_MARKER_TYPO = re.compile(r"^\s*#+\s*(BEGIN|END)[\s_-]*SOLUTION", re.IGNORECASE)
_MD_MARKER_TYPO = re.compile(r"<!--\s*(BEGIN|END)[\s_-]*SOLUTION", re.IGNORECASE)
# "# STUB: text" (or a bare "# STUB:" for an empty stub line)
_STUB = re.compile(r"^\s*# STUB:(?: (?P<text>.*)|\s*)$")
_STUB_LIKE = re.compile(r"^\s*#+\s*STUB\b", re.IGNORECASE)

_CHAPTER_NAME = re.compile(r"^(?P<nn>\d{2})_.+\.ipynb$")
_HEADING = re.compile(r"^### Exercise (?P<n>\d+)\.(?P<m>\d+)(?:(?:\s+[—–-]\s+|:\s+)\S.*)?\s*$")
_HEADING_LIKE = re.compile(r"^\s{0,3}#{1,6}\s*Exercise\s*\d", re.IGNORECASE)
_CHECK_CALL = re.compile(r"(?<![\w.])ex\.q(?P<m>\d+)\.check\(")
_CELL_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a notebook, located as precisely as possible.

    Attributes
    ----------
    notebook : str
        The notebook's name as given to the linter (e.g. ``"solutions/07_unet.ipynb"``).
    cell : int or None
        1-based index of the cell, or None for the whole notebook.
    line : int or None
        1-based line within the cell, or None for the whole cell.
    message : str
        What is wrong and how to fix it.

    Examples
    --------
    >>> str(Problem("solutions/07_unet.ipynb", 4, 2, "unknown marker"))
    'solutions/07_unet.ipynb, cell 4, line 2: unknown marker'
    """

    notebook: str
    cell: int | None
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.notebook
        if self.cell is not None:
            where += f", cell {self.cell}"
        if self.line is not None:
            where += f", line {self.line}"
        return f"{where}: {self.message}"


@dataclass
class BuildReport:
    """What :func:`build` did, or in check mode would do.

    Attributes
    ----------
    written : list of pathlib.Path
        Exercise notebooks written (always empty in check mode or when there are problems).
    up_to_date : list of pathlib.Path
        Exercise notebooks whose bytes already equal the build.
    out_of_date : list of pathlib.Path
        Exercise notebooks that are missing or differ from the build and were not
        written (check mode, or a problem stopped the build).
    stale : list of pathlib.Path
        Notebooks in ``notebooks/`` with no solution source (never deleted).
    problems : list of Problem
        Lint problems, unreadable files and leaks.
    check : bool
        Whether this was a check (nothing written).
    """

    written: list[Path] = field(default_factory=list)
    up_to_date: list[Path] = field(default_factory=list)
    out_of_date: list[Path] = field(default_factory=list)
    stale: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    check: bool = False

    @property
    def ok(self) -> bool:
        """No problems, and in check mode nothing out of date or stale."""
        if self.problems:
            return False
        if self.check:
            return not self.out_of_date and not self.stale
        return True

    def __str__(self) -> str:
        lines = [f"problem: {p}" for p in self.problems]
        lines += [f"wrote {p}" for p in self.written]
        lines += [f"out of date: {p}" for p in self.out_of_date]
        lines += [f"no solution source for: {p}" for p in self.stale]
        lines.append(
            f"{len(self.written)} written, {len(self.up_to_date)} up to date, "
            f"{len(self.out_of_date)} out of date, {len(self.stale)} stale, "
            f"{len(self.problems)} problems"
        )
        return "\n".join(lines)


# ---------------------------------------------------------------- scanning


@dataclass
class _Region:
    begin: int  # 0-based index of the BEGIN line
    end: int  # 0-based index of the END line
    indent: str
    stubs: list[str]  # stub texts, "# STUB: " removed


@dataclass
class _Scan:
    regions: list[_Region]  # complete regions only
    inside: list[bool]  # per line: inside a region, markers included
    problems: list[tuple[int, str]]  # (1-based line, message)


def _source(cell) -> str:
    source = cell.get("source", "")
    if isinstance(source, list):
        return "".join(source)
    return source


def _lines(cell) -> list[str]:
    return _source(cell).split("\n")


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _tags(cell) -> list[str]:
    tags = cell.get("metadata", {}).get("tags", [])
    if isinstance(tags, str):
        return [tags]
    if not isinstance(tags, list):
        return []
    return [t for t in tags if isinstance(t, str)]


def _marker_problem(line: str, kind: str) -> str | None:
    """Why ``line`` is a broken marker in a cell of ``kind``, or None if it is none."""
    stripped = line.strip()
    if kind == "code":
        if stripped in (_CODE_BEGIN, _CODE_END):
            return None
        if _CODE_MARKER_LIKE.match(line) or _CODE_MARKER_TYPO.match(line):
            return (
                f"unknown marker {stripped!r}; code cells know only {_CODE_BEGIN!r} and "
                f"{_CODE_END!r}, each alone on its line"
            )
        return None
    if stripped in (_MD_BEGIN, _MD_END):
        return None
    if stripped in (_CODE_BEGIN, _CODE_END) or _CODE_MARKER_TYPO.match(line):
        return (
            f"code-cell marker {stripped!r} in a markdown cell (it would show as a heading); "
            f"markdown cells use {_MD_BEGIN!r} and {_MD_END!r}"
        )
    if _MD_MARKER_LIKE.search(line) or _MD_MARKER_TYPO.search(line):
        return (
            f"unknown marker {stripped!r}; markdown cells know only {_MD_BEGIN!r} and "
            f"{_MD_END!r}, each alone on its line"
        )
    return None


def _scan(lines: list[str], kind: str) -> _Scan:
    """Find the solution regions of one cell's lines (``kind`` "code" or "markdown")."""
    begin_marker, end_marker = (_CODE_BEGIN, _CODE_END) if kind == "code" else (_MD_BEGIN, _MD_END)
    regions: list[_Region] = []
    inside = [False] * len(lines)
    problems: list[tuple[int, str]] = []
    current: _Region | None = None
    nested = 0  # BEGINs opened inside the current region (reported once, closed by their END)
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped == begin_marker:
            inside[i] = True
            if current is not None:
                nested += 1
                problems.append(
                    (
                        i + 1,
                        f"nested {begin_marker!r}: the region opened on line {current.begin + 1} "
                        f"is not closed yet; add {end_marker!r} before opening another",
                    )
                )
            else:
                current = _Region(begin=i, end=-1, indent=_indent(line), stubs=[])
        elif stripped == end_marker:
            if current is None:
                problems.append((i + 1, f"{end_marker!r} without a {begin_marker!r} before it"))
            elif nested:
                inside[i] = True
                nested -= 1
            else:
                inside[i] = True
                current.end = i
                regions.append(current)
                current = None
        elif (message := _marker_problem(line, kind)) is not None:
            inside[i] = current is not None
            problems.append((i + 1, message))
        elif current is not None:
            inside[i] = True
            if kind == "code":
                stub = _STUB.match(line)
                if stub:
                    current.stubs.append(stub.group("text") or "")
                elif _STUB_LIKE.match(line):
                    problems.append(
                        (i + 1, f"malformed stub line {stripped!r}; write '# STUB: ' then the code")
                    )
        elif kind == "code" and _STUB_LIKE.match(line):
            problems.append(
                (
                    i + 1,
                    f"stub line {stripped!r} outside a solution region; stubs belong between "
                    f"{begin_marker!r} and {end_marker!r}",
                )
            )
    if current is not None:
        problems.append((current.begin + 1, f"{begin_marker!r} has no matching {end_marker!r}"))
    if kind == "code":
        for region in regions:
            if not any(s.strip() for s in region.stubs):
                problems.append(
                    (
                        region.begin + 1,
                        "solution region has no '# STUB: ' line; add one that tells the learner "
                        "what to write, e.g. '# STUB: n_nuclei = ...  # count the nuclei'",
                    )
                )
    return _Scan(regions=regions, inside=inside, problems=problems)


def _replace_regions(lines: list[str], regions: list[_Region], kind: str) -> list[str]:
    out: list[str] = []
    position = 0
    for region in regions:
        out.extend(lines[position : region.begin])
        if kind == "code":
            out.extend((region.indent + stub).rstrip() for stub in region.stubs)
        else:
            out.append(region.indent + _MD_PLACEHOLDER)
        position = region.end + 1
    out.extend(lines[position:])
    return out


def _edit_distance(a: str, b: str) -> int:
    # Levenshtein distance, written out because the standard library has none
    # (difflib's ratio is a different measure) and the strings are a few characters
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


def _looks_like_known_tag(tag: str) -> str | None:
    """The known tag that ``tag`` seems to misspell, or None."""
    if tag in _KNOWN_TAGS:
        return None
    lowered = tag.strip().lower()
    closest = min(_KNOWN_TAGS, key=lambda known: _edit_distance(lowered, known))
    if _edit_distance(lowered, closest) <= 2:
        return closest
    if lowered.startswith("solution"):
        return _SOLUTION_ONLY
    if lowered.startswith("exercise"):
        return _EXERCISE_ONLY
    return None


def _chapter(name: str) -> str | None:
    """``"07"`` for ``solutions/07_unet.ipynb``, or None."""
    match = _CHAPTER_NAME.match(Path(str(name)).name)
    return match.group("nn") if match else None


def _check_notebook_arg(nb, what: str) -> None:
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise TypeError(
            f"expected {what} to be a notebook (nbformat.NotebookNode with a list of cells), "
            f"got {type(nb).__name__}"
        )


def _check_name_arg(name, what: str = "name") -> str:
    if not isinstance(name, str | os.PathLike) or not str(name):
        raise TypeError(f"expected {what} to be a non-empty str or Path, got {name!r}")
    return str(name)


# ----------------------------------------------------------------- linting


def _lint_cell_ids(nb) -> list[tuple[int, str]]:
    if nb.get("nbformat") != 4 or nb.get("nbformat_minor", 0) < 5:
        return []
    problems: list[tuple[int, str]] = []
    first_use: dict[str, int] = {}
    for index, cell in enumerate(nb["cells"], start=1):
        cell_id = cell.get("id")
        if not isinstance(cell_id, str) or not _CELL_ID.match(cell_id):
            problems.append(
                (index, f"cell has no valid id (got {cell_id!r}); save the notebook in Jupyter")
            )
        elif cell_id in first_use:
            problems.append(
                (
                    index,
                    f"cell id {cell_id!r} is also used by cell {first_use[cell_id]}; ids must be unique",
                )
            )
        else:
            first_use[cell_id] = index
    return problems


def _lint_tags(cell) -> list[str]:
    metadata = cell.get("metadata", {})
    problems = []
    tags = metadata.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        problems.append(f"metadata 'tags' must be a list of strings, got {tags!r}")
    for tag in _tags(cell):
        meant = _looks_like_known_tag(tag)
        if meant is not None:
            problems.append(
                f"tag {tag!r} looks like a misspelling of {meant!r}; the known tags are "
                f"'solution-only' (dropped from the exercise) and 'exercise-only'"
            )
    if _SOLUTION_ONLY in tags and _EXERCISE_ONLY in tags:
        problems.append("cell is tagged both 'solution-only' and 'exercise-only'; choose one")
    for key, value in metadata.items():
        if key == "tags":
            continue
        values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        holds_tag = any(
            isinstance(v, str) and (v in _KNOWN_TAGS or _looks_like_known_tag(v)) for v in values
        )
        if holds_tag or _edit_distance(key.lower().strip(), "tags") <= 1:
            problems.append(
                f"metadata key {key!r} (value {value!r}) looks like a misspelling of 'tags'; "
                "tags only take effect under 'tags'"
            )
    return problems


def _lint_cells(nb, name: str) -> list[Problem]:
    """Problems that make the exercise wrong or unsafe to build: ids, tags, markers."""
    problems = [Problem(name, index, None, message) for index, message in _lint_cell_ids(nb)]
    for index, cell in enumerate(nb["cells"], start=1):
        problems += [Problem(name, index, None, message) for message in _lint_tags(cell)]
        kind = cell.get("cell_type")
        lines = _lines(cell)
        if kind in ("code", "markdown"):
            scan = _scan(lines, kind)
            problems += [Problem(name, index, line, message) for line, message in scan.problems]
        else:
            for line_no, line in enumerate(lines, start=1):
                stripped = line.strip()
                if (
                    stripped in (_CODE_BEGIN, _CODE_END, _MD_BEGIN, _MD_END)
                    or _marker_problem(line, "code")
                    or _marker_problem(line, "markdown")
                ):
                    problems.append(
                        Problem(
                            name,
                            index,
                            line_no,
                            f"solution marker {stripped!r} in a {kind} cell, where it does "
                            "nothing; use a code or markdown cell",
                        )
                    )
    return problems


def _lint_outputs(nb, name: str) -> list[Problem]:
    problems = []
    for index, cell in enumerate(nb["cells"], start=1):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            what = "outputs"
        elif cell.get("execution_count") is not None:
            what = "an execution count"
        else:
            continue
        problems.append(
            Problem(
                name,
                index,
                None,
                f"{name} has {what} in cell {index}; clear them (cellcourse build clears "
                "notebooks/ but solutions are the source)",
            )
        )
    return problems


def _lint_structure(nb, name: str, chapter: str | None) -> list[Problem]:
    problems: list[Problem] = []
    cells = nb["cells"]
    headings: list[tuple[int, int, str, str]] = []  # (cell, line, N, M)
    checks: dict[int, list[int]] = {}  # M -> cells (shown in the exercise) that call ex.qM.check(
    all_checks: list[tuple[int, int, int]] = []  # (cell, line, M) anywhere outside regions
    for index, cell in enumerate(cells, start=1):
        kind = cell.get("cell_type")
        shown = _SOLUTION_ONLY not in _tags(cell)
        lines = _lines(cell)
        if kind == "markdown" and shown:
            inside = _scan(lines, "markdown").inside
            in_fence = False
            for line_no, line in enumerate(lines, start=1):
                if line.lstrip().startswith(("```", "~~~")):
                    in_fence = not in_fence
                    continue
                if in_fence or inside[line_no - 1]:
                    continue
                heading = _HEADING.match(line)
                if heading:
                    headings.append((index, line_no, heading.group("n"), heading.group("m")))
                elif _HEADING_LIKE.match(line):
                    problems.append(
                        Problem(
                            name,
                            index,
                            line_no,
                            f"malformed exercise heading {line.strip()!r}; write "
                            "'### Exercise N.M — title' (or 'N.M: title')",
                        )
                    )
        elif kind == "code":
            inside = _scan(lines, "code").inside
            for line_no, line in enumerate(lines, start=1):
                if inside[line_no - 1]:
                    continue
                for call in _CHECK_CALL.finditer(line):
                    number = int(call.group("m"))
                    all_checks.append((index, line_no, number))
                    if shown:
                        checks.setdefault(number, []).append(index)

    expected = 1
    seen: dict[int, int] = {}
    for cell_no, line_no, n, m in headings:
        number = int(m)
        label = f"Exercise {n}.{m}"
        if chapter is not None and n != str(int(chapter)):
            problems.append(
                Problem(
                    name,
                    cell_no,
                    line_no,
                    f"{label} is in chapter {chapter}; number it {int(chapter)}.{m} "
                    "(chapter number without a leading zero)",
                )
            )
        if m != str(number):
            problems.append(
                Problem(name, cell_no, line_no, f"{label}: write {number} without a leading zero")
            )
        if number in seen:
            problems.append(
                Problem(
                    name,
                    cell_no,
                    line_no,
                    f"{label} appears twice (first in cell {seen[number]}); "
                    "exercise numbers run 1, 2, 3, ... without duplicates",
                )
            )
        else:
            if number != expected:
                problems.append(
                    Problem(
                        name,
                        cell_no,
                        line_no,
                        f"expected exercise number {expected} here, got {label}; "
                        "exercise numbers run 1, 2, 3, ... without gaps",
                    )
                )
            seen[number] = cell_no
        expected = number + 1

    for k, (cell_no, line_no, n, m) in enumerate(headings):
        number = int(m)
        next_cell = headings[k + 1][0] if k + 1 < len(headings) else len(cells) + 1
        if not any(cell_no < c < next_cell for c in checks.get(number, [])):
            problems.append(
                Problem(
                    name,
                    cell_no,
                    line_no,
                    f"Exercise {n}.{m} has no check: add a code cell with `ex.q{number}.check(...)` "
                    "after it, before the next exercise",
                )
            )
    numbers = {int(m) for _c, _l, _n, m in headings}
    for cell_no, line_no, number in all_checks:
        if number not in numbers:
            problems.append(
                Problem(
                    name,
                    cell_no,
                    line_no,
                    f"`ex.q{number}.check(` but no heading '### Exercise N.{number}' in this notebook",
                )
            )
    return problems


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(
        problems,
        key=lambda p: (p.notebook, p.cell or 0, p.line or 0, p.message),
    )


def lint_notebook(nb: NotebookNode, name) -> list[Problem]:
    """Check a solution notebook against the authoring conventions.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        A solution notebook (nbformat 4).
    name : str or pathlib.Path
        Its file name, ``NN_topic.ipynb`` with any folder before it; the
        chapter number ``NN`` is read from it.

    Returns
    -------
    list of Problem
        Empty when the notebook is fine. Detects: a file name without a chapter
        number, unknown, unbalanced or nested markers, regions without a STUB
        line, misplaced or malformed STUB lines, misspelt tags (edit distance
        2 or less of ``solution-only``/``exercise-only``, or starting with
        ``solution``/``exercise``) and misspelt ``tags`` metadata keys, missing
        or duplicate cell ids, stored outputs, malformed exercise headings,
        exercise numbers that skip, repeat or name another chapter, an exercise
        without an ``ex.qM.check(`` cell, and checks of exercises with no heading.

    Raises
    ------
    TypeError
        If ``nb`` is not a notebook or ``name`` is not a str or Path.

    Examples
    --------
    >>> from nbformat import v4
    >>> nb = v4.new_notebook(cells=[v4.new_code_cell("### BEGIN SOLUTIN", id="a")])
    >>> problems = lint_notebook(nb, "solutions/07_unet.ipynb")
    >>> [(p.cell, p.line, p.message.split(";")[0]) for p in problems]
    [(1, 1, "unknown marker '### BEGIN SOLUTIN'")]
    """
    _check_notebook_arg(nb, "nb")
    name = _check_name_arg(name)
    problems: list[Problem] = []
    if nb.get("nbformat") != 4:
        problems.append(
            Problem(name, None, None, f"expected nbformat 4, got {nb.get('nbformat')!r}")
        )
    chapter = _chapter(name)
    if chapter is None:
        problems.append(
            Problem(
                name,
                None,
                None,
                f"cannot read the chapter number from {Path(name).name!r}; "
                "name notebooks NN_topic.ipynb, e.g. 07_unet_segmentation.ipynb",
            )
        )
    problems += _lint_cells(nb, name)
    problems += _lint_outputs(nb, name)
    problems += _lint_structure(nb, name, chapter)
    return _sorted(problems)


# ---------------------------------------------------------------- building


def _note_cell(nb, chapter: str | None, first_id: str, has_written: bool, source_name: str):
    where = f"chapter {chapter}" if chapter is not None else "this chapter"
    q = first_id
    text = (
        f"**This is the exercise version of {where}.** Write your code wherever you see `...`, "
        f"then run the check cell after each exercise (`ex.{q}.check(...)`) to get feedback. "
    )
    if has_written:
        text += f"Written answers go where you see {_MD_PLACEHOLDER} "
    text += (
        "Getting something wrong first is part of learning, so try freely. "
        f"Stuck? `ex.{q}.hint()` gives a hint and `ex.{q}.solution()` shows a solution "
        f"(use `q2`, `q3`, ... for the other exercises).\n\n"
        f"<!-- Generated from {source_name} by `cellcourse build`: edit that file, not this one. -->"
    )
    cell = nbformat.v4.new_markdown_cell(text)
    if nb.get("nbformat_minor", 0) >= 5:
        cell["id"] = _unique_id(nb, _NOTE_ID)
    else:
        cell.pop("id", None)
    return cell


def _check_colab(colab_repo, branch) -> tuple[str, str] | None:
    """Validate ``OWNER/NAME`` and the branch; None when there is no repository."""
    if colab_repo is None:
        return None
    if not isinstance(colab_repo, str):
        raise TypeError(
            f"expected colab_repo to be a str 'OWNER/NAME' or None, got {type(colab_repo).__name__}"
        )
    if not isinstance(branch, str):
        raise TypeError(f"expected branch to be a str, got {type(branch).__name__}")
    owner, slash, name = colab_repo.strip().partition("/")
    if (
        not slash
        or len(owner) > 39
        or not _GITHUB_OWNER.match(owner)
        or not _GITHUB_NAME.match(name)
        or name in (".", "..")
        or name.endswith(".git")
    ):
        raise ValueError(
            "expected colab_repo to be a GitHub repository 'OWNER/NAME' (e.g. 'ada/cellcourse'; "
            f"owner: letters, digits, single hyphens; name: letters, digits, '.', '_', '-'), "
            f"got {colab_repo!r}"
        )
    if not _BRANCH.match(branch):
        raise ValueError(
            "expected branch to be a git branch name (letters, digits, '.', '_', '-', '/'; "
            f"e.g. 'main'), got {branch!r}"
        )
    return f"{owner}/{name}", branch


def _unique_id(nb, base: str) -> str:
    used = {c.get("id") for c in nb["cells"]}
    cell_id = base
    suffix = 1
    while cell_id in used:
        cell_id = f"{base}-{suffix}"
        suffix += 1
    return cell_id


def _badge_cell(nb, repo: str, branch: str, file_name: str):
    url = f"https://colab.research.google.com/github/{repo}/blob/{branch}/notebooks/{file_name}"
    cell = nbformat.v4.new_markdown_cell(f"[![Open In Colab]({_BADGE_IMAGE})]({url})")
    if nb.get("nbformat_minor", 0) >= 5:
        cell["id"] = _unique_id(nb, _BADGE_ID)
    else:
        cell.pop("id", None)
    return cell


def _course_package_lines(nb) -> list[tuple[int, int]]:
    """(cell, line) indices (0-based) of the ``COURSE_PACKAGE = "..."`` lines of code cells."""
    found = []
    for index, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") == "code":
            for line_no, line in enumerate(_lines(cell)):
                if _COURSE_PACKAGE.match(line):
                    found.append((index, line_no))
    return found


def _no_course_package(name: str) -> str:
    return (
        f"{name} has no line 'COURSE_PACKAGE = \"\"' in its setup cell, so Colab could not "
        "install the course from the repository; copy the Colab block of another chapter's "
        "setup cell"
    )


def build_exercise(
    solution_nb: NotebookNode,
    source_name: str,
    *,
    colab_repo: str | None = None,
    branch: str = "main",
) -> NotebookNode:
    """Make the exercise version of a solution notebook.

    Parameters
    ----------
    solution_nb : nbformat.NotebookNode
        The solution notebook (not modified).
    source_name : str
        Where it lives, e.g. ``"solutions/07_unet.ipynb"``; recorded in the
        exercise's metadata ``cellcourse.generated_from``; the chapter number is
        read from its file name.
    colab_repo : str or None
        GitHub repository ``"OWNER/NAME"`` that holds the course. If given, the
        exercise starts with an "Open in Colab" badge for
        ``notebooks/<file name>`` on ``branch``, and its ``COURSE_PACKAGE = ""``
        line becomes ``COURSE_PACKAGE = "git+https://github.com/OWNER/NAME@BRANCH"``.
        None: nothing repository-specific is written.
    branch : str
        Branch of ``colab_repo`` (default ``"main"``).

    Returns
    -------
    nbformat.NotebookNode
        The exercise notebook: solution regions replaced by their stubs (code)
        or ``*Write your answer here.*`` (markdown), ``solution-only`` cells
        dropped, outputs and execution counts cleared, cell ids kept, and a
        first markdown cell telling the learner how to work (after the Colab
        badge, if any).

    Raises
    ------
    TypeError
        If the arguments have the wrong types.
    ValueError
        If the markers, tags or cell ids are broken (see :func:`lint_notebook`),
        since the exercise could then contain solutions; if ``colab_repo`` or
        ``branch`` is malformed, or ``colab_repo`` is given and the notebook has
        no ``COURSE_PACKAGE = ""`` line.

    Examples
    --------
    >>> from nbformat import v4
    >>> source = "### BEGIN SOLUTION\\n# STUB: n = ...\\nn = 3\\n### END SOLUTION"
    >>> nb = v4.new_notebook(cells=[v4.new_code_cell(source, id="a")])
    >>> build_exercise(nb, "solutions/07_unet.ipynb").cells[1].source
    'n = ...'
    """
    _check_notebook_arg(solution_nb, "solution_nb")
    if not isinstance(source_name, str) or not source_name:
        raise TypeError(f"expected source_name to be a non-empty str, got {source_name!r}")
    colab = _check_colab(colab_repo, branch)
    problems = _sorted(_lint_cells(solution_nb, source_name))
    if problems:
        listed = "\n".join(f"  {p}" for p in problems)
        raise ValueError(f"cannot build the exercise from {source_name}:\n{listed}")
    if colab is not None and not _course_package_lines(solution_nb):
        raise ValueError(_no_course_package(source_name))

    nb = copy.deepcopy(solution_nb)
    cells = []
    has_written = False
    for cell in nb["cells"]:
        if _SOLUTION_ONLY in _tags(cell):
            continue
        kind = cell.get("cell_type")
        if kind in ("code", "markdown"):
            lines = _lines(cell)
            scan = _scan(lines, kind)
            cell["source"] = "\n".join(_replace_regions(lines, scan.regions, kind))
            has_written = has_written or (kind == "markdown" and bool(scan.regions))
        if kind == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        cell.get("metadata", {}).pop("execution", None)  # run timestamps
        cells.append(cell)
    ids = exercise_ids(solution_nb)
    nb["cells"] = [
        _note_cell(nb, _chapter(source_name), ids[0] if ids else "q1", has_written, source_name),
        *cells,
    ]
    if colab is not None:
        repo, branch = colab
        for index, line_no in _course_package_lines(nb):
            lines = _lines(nb["cells"][index])
            match = _COURSE_PACKAGE.match(lines[line_no])
            spec = f"git+https://github.com/{repo}@{branch}"
            lines[line_no] = f'{match.group("head")}"{spec}"{match.group("tail")}'
            nb["cells"][index]["source"] = "\n".join(lines)
        nb["cells"].insert(0, _badge_cell(nb, repo, branch, Path(source_name).name))
    metadata = nb.setdefault("metadata", NotebookNode())
    metadata.pop("widgets", None)  # saved widget state is output, too
    cellcourse = dict(metadata.get("cellcourse", {}))
    cellcourse["generated_from"] = source_name
    metadata["cellcourse"] = NotebookNode(cellcourse)
    return nb


def exercise_ids(nb) -> list[str]:
    """The exercises a notebook checks, from its ``ex.qM.check(`` calls.

    Parameters
    ----------
    nb : nbformat.NotebookNode or str or pathlib.Path
        A solution or exercise notebook, or the path of one.

    Returns
    -------
    list of str
        ``["q1", "q2", ...]``: each checked exercise once, in numeric order.

    Examples
    --------
    >>> from nbformat import v4
    >>> nb = v4.new_notebook(cells=[v4.new_code_cell("ex.q2.check(x)\\nex.q1.check(y)", id="a")])
    >>> exercise_ids(nb)
    ['q1', 'q2']
    """
    if isinstance(nb, str | os.PathLike):
        nb = _read_notebook(Path(nb))
    _check_notebook_arg(nb, "nb")
    numbers = set()
    for cell in nb["cells"]:
        if cell.get("cell_type") == "code":
            numbers.update(int(m.group("m")) for m in _CHECK_CALL.finditer(_source(cell)))
    return [f"q{n}" for n in sorted(numbers)]


# ------------------------------------------------------------------- leaks


def _is_candidate(stripped: str, kind: str) -> bool:
    if len(stripped) < 4:
        return False
    if kind == "code":
        return not stripped.startswith("#")
    return not (stripped.startswith("<!--") and stripped.endswith("-->"))


def find_leaks(solution_nb: NotebookNode, exercise_nb: NotebookNode, name) -> list[Problem]:
    """Find solution lines that appear in an exercise notebook.

    Parameters
    ----------
    solution_nb : nbformat.NotebookNode
        The solution notebook.
    exercise_nb : nbformat.NotebookNode
        An exercise notebook (built, or as found in ``notebooks/``).
    name : str or pathlib.Path
        The exercise notebook's name, used in the problems.

    Returns
    -------
    list of Problem
        One per leaked line, located in the exercise notebook: a line of a
        solution region (not blank, not a STUB line, not a pure comment, at least
        4 characters once stripped) found, stripped, in a code cell of the
        exercise (markdown regions: in a markdown cell), unless the same line
        also occurs outside solution regions in the solution notebook (shared
        code). Solution markers and STUB lines left in the exercise are
        reported too.

    Examples
    --------
    >>> from nbformat import v4
    >>> source = "### BEGIN SOLUTION\\n# STUB: n = ...\\nn = 3\\n### END SOLUTION"
    >>> solution = v4.new_notebook(cells=[v4.new_code_cell(source, id="a")])
    >>> exercise = v4.new_notebook(cells=[v4.new_code_cell("n = 3", id="a")])
    >>> len(find_leaks(solution, exercise, "notebooks/07_unet.ipynb"))
    1
    """
    _check_notebook_arg(solution_nb, "solution_nb")
    _check_notebook_arg(exercise_nb, "exercise_nb")
    name = _check_name_arg(name)
    secret: dict[str, dict[str, tuple[int, int]]] = {"code": {}, "markdown": {}}
    shared: dict[str, set[str]] = {"code": set(), "markdown": set()}
    for index, cell in enumerate(solution_nb["cells"], start=1):
        kind = cell.get("cell_type")
        if kind not in ("code", "markdown"):
            continue
        lines = _lines(cell)
        inside = _scan(lines, kind).inside
        dropped = _SOLUTION_ONLY in _tags(cell)
        for line_no, line in enumerate(lines, start=1):
            stripped = line.strip()
            if inside[line_no - 1]:
                if _is_candidate(stripped, kind) and not _STUB.match(line):
                    secret[kind].setdefault(stripped, (index, line_no))
            elif not dropped:
                shared[kind].add(stripped)

    problems = []
    for index, cell in enumerate(exercise_nb["cells"], start=1):
        kind = cell.get("cell_type")
        if kind not in ("code", "markdown"):
            continue
        markers = (_CODE_BEGIN, _CODE_END) if kind == "code" else (_MD_BEGIN, _MD_END)
        for line_no, line in enumerate(_lines(cell), start=1):
            stripped = line.strip()
            if stripped in markers or (kind == "code" and _STUB.match(line)):
                problems.append(
                    Problem(
                        name, index, line_no, f"solution marker {stripped!r} left in the exercise"
                    )
                )
            elif stripped in secret[kind] and stripped not in shared[kind]:
                cell_no, source_line = secret[kind][stripped]
                problems.append(
                    Problem(
                        name,
                        index,
                        line_no,
                        f"solution line leaked into the exercise: {stripped!r} (solution cell "
                        f"{cell_no}, line {source_line}); rebuild with `cellcourse build`, or, if "
                        "learners should see this line, move it outside the solution region",
                    )
                )
    return _sorted(problems)


# ----------------------------------------------------------------- files


def _read_notebook(path: Path) -> NotebookNode:
    # nbformat.reader.reads parses without validating: nbformat.read would
    # silently "repair" duplicate cell ids with random ones (and warn), which
    # would make the build non-deterministic; the linter reports them instead
    return nbformat.reader.reads(path.read_text(encoding="utf-8"))


def _validation_error(nb) -> str | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            nbformat.validate(copy.deepcopy(nb))  # validate may repair ids in place
        except nbformat.ValidationError as err:
            return str(err).splitlines()[0]
    return None


def _serialise(nb) -> bytes:
    text = nbformat.writes(nb, version=nbformat.NO_CONVERT)
    if not text.endswith("\n"):
        text += "\n"
    return text.encode("utf-8")


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def clear_outputs(path) -> int:
    """Clear the outputs and execution counts of a notebook file, in place.

    Parameters
    ----------
    path : str or pathlib.Path
        A notebook file (nbformat 4), typically ``solutions/NN_topic.ipynb``.

    Returns
    -------
    int
        How many code cells were cleared; the file is rewritten (atomically)
        only when this is more than 0.

    Raises
    ------
    TypeError
        If ``path`` is not a str or Path.
    FileNotFoundError
        If there is no such file.
    ValueError
        If the file is not an nbformat 4 notebook.

    Examples
    --------
    >>> clear_outputs("solutions/07_unet_segmentation.ipynb")  # doctest: +SKIP
    3
    """
    path = Path(_check_name_arg(path, "path"))
    if not path.is_file():
        raise FileNotFoundError(
            f"expected a notebook file, got {str(path)!r}, which does not exist"
        )
    try:
        nb = _read_notebook(path)
    except Exception as err:
        raise ValueError(
            f"expected a Jupyter notebook in {path}, could not read it: {err}"
        ) from err
    if nb.get("nbformat") != 4:
        raise ValueError(
            f"expected an nbformat 4 notebook in {path}, got nbformat {nb.get('nbformat')!r}"
        )
    cleared = 0
    for cell in nb["cells"]:
        if cell.get("cell_type") == "code" and (
            cell.get("outputs") or cell.get("execution_count") is not None
        ):
            cell["outputs"] = []
            cell["execution_count"] = None
            cleared += 1
    if cleared:
        _write_atomic(path, _serialise(nb))
    return cleared


def _as_dir(value, what: str) -> Path:
    if not isinstance(value, str | os.PathLike):
        raise TypeError(f"expected {what} to be a str or Path, got {type(value).__name__}")
    return Path(value)


def build(
    solutions_dir="solutions",
    notebooks_dir="notebooks",
    check: bool = False,
    *,
    colab_repo: str | None = None,
    branch: str = "main",
) -> BuildReport:
    """Regenerate ``notebooks/`` from ``solutions/``, or check that it is current.

    Every solution notebook is read and linted first; if any has a problem,
    nothing is written at all. Files are compared byte for byte and written
    atomically (a temporary file in the same folder, then a rename), so building
    twice leaves identical files.

    Parameters
    ----------
    solutions_dir : str or pathlib.Path
        Folder of the hand-edited ``NN_topic.ipynb`` solution notebooks.
    notebooks_dir : str or pathlib.Path
        Folder of the generated exercise notebooks (created if missing).
    check : bool
        If True, write nothing: list missing or differing exercise notebooks in
        ``out_of_date``, and look for solution lines in the existing ones
        (hand edits).
    colab_repo : str or None
        GitHub repository ``"OWNER/NAME"`` of the course: every exercise notebook
        gets an "Open in Colab" badge and installs the course from there on
        Colab (see :func:`build_exercise`); a solution without the setup cell's
        ``COURSE_PACKAGE = ""`` line is then a problem. None (default): nothing
        repository-specific is written. Check with the same value you built with.
    branch : str
        Branch of ``colab_repo`` that the badges and the install point at.

    Returns
    -------
    BuildReport
        What was written, up to date, out of date and stale (exercise notebooks
        without a solution, listed but never deleted), and every problem.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``colab_repo`` or ``branch`` is malformed.
    FileNotFoundError
        If ``solutions_dir`` is not a folder.
    NotADirectoryError
        If ``notebooks_dir`` exists but is not a folder.

    Examples
    --------
    >>> report = build("solutions", "notebooks", check=True)  # doctest: +SKIP
    >>> report.ok  # doctest: +SKIP
    True
    """
    solutions = _as_dir(solutions_dir, "solutions_dir")
    notebooks = _as_dir(notebooks_dir, "notebooks_dir")
    if not isinstance(check, bool):
        raise TypeError(f"expected check to be True or False, got {check!r}")
    colab = _check_colab(colab_repo, branch)
    if not solutions.is_dir():
        raise FileNotFoundError(
            f"expected solutions_dir to be a folder of solution notebooks, got {str(solutions)!r}, "
            "which is not a folder (run from the repository root?)"
        )
    if notebooks.exists() and not notebooks.is_dir():
        raise NotADirectoryError(
            f"expected notebooks_dir to be a folder, got {str(notebooks)!r}, which is a file"
        )

    report = BuildReport(check=check)
    solutions_label = solutions.resolve().name
    notebooks_label = notebooks.resolve().name
    planned: list[tuple[Path, bytes]] = []
    for source in sorted(p for p in solutions.glob("*.ipynb") if p.is_file()):
        name = f"{solutions_label}/{source.name}"
        target = notebooks / source.name
        target_name = f"{notebooks_label}/{source.name}"
        try:
            solution = _read_notebook(source)
        except Exception as err:  # any parse failure becomes a problem, not a crash
            report.problems.append(Problem(name, None, None, f"cannot read the notebook: {err}"))
            continue
        if solution.get("nbformat") != 4 or not isinstance(solution.get("cells"), list):
            report.problems.append(
                Problem(
                    name,
                    None,
                    None,
                    f"expected an nbformat 4 notebook, got nbformat {solution.get('nbformat')!r}; "
                    "open and save it in a current Jupyter",
                )
            )
            continue
        problems = lint_notebook(solution, name)
        if problems:
            report.problems += problems
            continue
        if colab is not None and not _course_package_lines(solution):
            report.problems.append(Problem(name, None, None, _no_course_package(name)))
            continue
        exercise = build_exercise(solution, name, colab_repo=colab_repo, branch=branch)
        report.problems += find_leaks(solution, exercise, target_name)
        invalid = _validation_error(exercise)
        if invalid is not None:
            report.problems.append(
                Problem(target_name, None, None, f"the built notebook is not valid: {invalid}")
            )
            continue
        if check and target.is_file():
            try:
                existing = _read_notebook(target)
            except Exception:  # unreadable: it differs, which out_of_date reports
                existing = None
            if isinstance(existing, dict) and isinstance(existing.get("cells"), list):
                report.problems += find_leaks(solution, existing, target_name)
        planned.append((target, _serialise(exercise)))

    if notebooks.is_dir():
        report.stale = sorted(
            p
            for p in notebooks.glob("*.ipynb")
            if p.is_file() and not (solutions / p.name).is_file()
        )
    changed = []
    for target, data in planned:
        if target.is_file() and target.read_bytes() == data:
            report.up_to_date.append(target)
        else:
            changed.append((target, data))
    if check or report.problems:
        report.out_of_date = [target for target, _ in changed]
    else:
        for target, data in changed:
            _write_atomic(target, data)
            report.written.append(target)
    return report
