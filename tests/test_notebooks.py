"""The course notebooks: exercise versions in sync, no leaked solutions, every exercise checked.

The solution notebooks themselves are executed by nbval (quick and strict mode) as part
of the test run: see ``testpaths`` and ``addopts`` in pyproject.toml.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import nbformat
import pytest

from cellcourse.authoring import build, exercise_ids, find_leaks, lint_notebook
from cellcourse.exercises import registered

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def test_there_are_chapters():
    assert [p.stem for p in SOLUTIONS][:1] == ["00_microscopy_images"]


def test_exercise_notebooks_are_up_to_date():
    report = build(ROOT / "solutions", ROOT / "notebooks", check=True)
    assert report.ok, str(report)
    assert sorted(p.name for p in report.up_to_date) == [p.name for p in SOLUTIONS]


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_solution_lints_clean_and_nothing_leaks(path):
    solution = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    assert lint_notebook(solution, f"solutions/{path.name}") == []
    exercise = nbformat.reads(
        (ROOT / "notebooks" / path.name).read_text(encoding="utf-8"), as_version=4
    )
    assert find_leaks(solution, exercise, f"notebooks/{path.name}") == []


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_every_exercise_has_a_check_with_hint_and_solution(path):
    chapter = path.stem[:2]
    ids = exercise_ids(path)
    assert len(ids) >= 4, f"chapter {chapter} needs at least 4 exercises; has {ids}"
    module = importlib.import_module(f"cellcourse.exercises.ch{chapter}")
    for name in ids:
        exercise = getattr(module, name)
        assert exercise.hints and exercise.solution_code, f"{chapter}.{name}"
    in_module = {e.name for e in registered() if e.chapter == chapter}
    assert in_module == set(ids), "the notebook and its exercise module list different exercises"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_skeleton(path):
    nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    first = nb.cells[0].source
    assert first.startswith(f"# Chapter {path.stem[:2]}")
    for required in (
        "**You will learn",
        "**Time**",
        "## Setup",
        "## Summary",
        "## References",
        "doi",
    ):
        assert required in text, f"{path.name} lacks {required!r}"
    assert "google.colab" in text and "show_setup" in text
    assert "cc.report_metrics(" in text


@pytest.mark.slow
@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_untouched_exercise_notebook_runs_and_reports_not_attempted(path, monkeypatch):
    """A learner who runs the exercise notebook before writing anything sees no crash,
    and every check answers "not attempted" (thought exercises: "thought exercise")."""
    from cellcourse.config import absolute_path_variables
    from cellcourse.execution import notebook_client_class

    monkeypatch.setenv("CELLCOURSE_QUICK", "1")
    monkeypatch.delenv("CELLCOURSE_STRICT", raising=False)
    env = dict(__import__("os").environ)
    absolute_path_variables(env)
    exercise = nbformat.reads(
        (ROOT / "notebooks" / path.name).read_text(encoding="utf-8"), as_version=4
    )
    client = notebook_client_class()(
        exercise,
        timeout=300,  # fail fast if a kernel ever stalls, rather than hang the suite
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / "notebooks")}},
    )
    client.execute(env=env)  # raises CellExecutionError on the first crashing cell
    outcomes = []
    for cell in exercise.cells:
        if cell.cell_type == "code" and ".check(" in cell.source:
            text = "".join(
                str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                for o in cell.outputs
            )
            # a thought exercise has nothing to check: it always points to the discussion
            outcomes.append("Not attempted yet" in text or "Thought exercise:" in text)
    assert outcomes and all(outcomes), outcomes
