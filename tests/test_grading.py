"""cellcourse.grading and ``cellcourse grade``: learners' notebooks run, outcomes tabled.

The expensive part runs once per module: chapter 00 (the cheapest real chapter) graded
in quick mode as a solution (every exercise correct), as the untouched exercise notebook
(every exercise not attempted) and as a copy that raises after exercise 1.
"""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat import v4

from cellcourse.authoring import exercise_ids
from cellcourse.cli import main
from cellcourse.grading import (
    COLUMNS,
    NotebookGrade,
    format_summary,
    grade_notebook,
    grades_table,
    learner_name,
    notebook_chapter,
    write_csv,
)

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "00_microscopy_images"
IDS = [f"00.{q}" for q in exercise_ids(ROOT / "solutions" / f"{CHAPTER}.ipynb")]


@pytest.fixture(scope="module")
def graded(data_env, tmp_path_factory):
    """Grade three learners' chapter 00 through the command line; keep what it said."""
    folder = tmp_path_factory.mktemp("submissions")
    shutil.copy(ROOT / "solutions" / f"{CHAPTER}.ipynb", folder / f"ada_{CHAPTER}.ipynb")
    shutil.copy(ROOT / "notebooks" / f"{CHAPTER}.ipynb", folder / f"{CHAPTER}-bob.ipynb")
    crashing = nbformat.read(ROOT / "solutions" / f"{CHAPTER}.ipynb", as_version=4)
    after_q1 = next(i for i, c in enumerate(crashing.cells) if "ex.q1.check(" in c.source)
    crashing.cells.insert(
        after_q1 + 1, v4.new_code_cell('raise RuntimeError("my mistake")', id="oops")
    )
    (folder / "carl").mkdir()
    nbformat.write(crashing, folder / "carl" / f"{CHAPTER}.ipynb")
    notebooks = [
        folder / f"ada_{CHAPTER}.ipynb",
        folder / f"{CHAPTER}-bob.ipynb",
        folder / "carl" / f"{CHAPTER}.ipynb",
    ]
    csv = folder / "out" / "grades.csv"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["grade", *map(str, notebooks), "--csv", str(csv), "--timeout", "240"])
    return {
        "code": code,
        "out": out.getvalue(),
        "csv": csv,
        "after_q1": after_q1,
        "notebooks": notebooks,
    }


def outcomes(table, learner):
    rows = table[table["learner"] == learner]
    return dict(zip(rows["exercise"], rows["outcome"], strict=True))


def test_chapter_00_has_exercises_to_grade():
    assert len(IDS) >= 4 and IDS[0] == "00.q1"


def test_grade_tables_correct_untouched_and_crashed_notebooks(graded):
    assert graded["code"] == 1  # one notebook crashed
    table = pd.read_csv(graded["csv"], dtype=str, keep_default_na=False)
    assert list(table.columns) == list(COLUMNS)
    assert list(table["learner"]) == ["ada"] * len(IDS) + ["bob"] * len(IDS) + ["carl"] * len(IDS)
    assert set(table["chapter"]) == {"00"}
    assert outcomes(table, "ada") == dict.fromkeys(IDS, "correct")
    assert outcomes(table, "bob") == dict.fromkeys(IDS, "not attempted")
    assert outcomes(table, "carl") == {
        "00.q1": "correct",
        **dict.fromkeys(IDS[1:], "not reached"),
    }
    status = table.groupby("learner")["status"].agg(set).to_dict()
    assert status == {"ada": {"ok"}, "bob": {"ok"}, "carl": {"crashed"}}
    carl_error = set(table.loc[table["learner"] == "carl", "error"])
    cell = graded["after_q1"] + 2  # 1-based, after the inserted cell's predecessor
    assert carl_error == {
        f'cell {cell} (`raise RuntimeError("my mistake")`): RuntimeError: my mistake'
    }
    assert set(table.loc[table["learner"] != "carl", "error"]) == {""}
    attempts = table.groupby("learner")["attempts"].agg(lambda a: sorted(set(a))).to_dict()
    assert attempts == {"ada": ["1"], "bob": ["0"], "carl": ["0", "1"]}


def test_grade_prints_a_summary_per_learner(graded):
    out = graded["out"]
    n = len(IDS)
    lines = {}
    for line in out.splitlines():
        if line.strip():
            lines.setdefault(line.split()[0], line.split())  # the table's line comes first
    assert lines["ada"][1:6] == ["00", str(n), "of", str(n), "ok"]
    assert lines["bob"][1:6] == ["00", "0", "of", str(n), "ok"]
    assert lines["carl"][1:6] == ["00", "1", "of", str(n), "crashed"]
    assert "RuntimeError: my mistake" in out
    assert "3 notebooks: 2 ok, 1 crashed" in out
    assert f"table written to {graded['csv']}" in out


def test_graded_notebooks_are_left_unchanged(graded):
    for path in graded["notebooks"]:
        nb = nbformat.read(path, as_version=4)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert not list(graded["csv"].parent.glob(".*tmp"))  # no temporary file left behind


def sleepy_notebook(path):
    nb = v4.new_notebook(
        cells=[
            v4.new_code_cell("import time\n\ntime.sleep(120)", id="a"),
            v4.new_code_cell(
                "from cellcourse.exercises import ch00 as ex\nex.q1.check(12)", id="b"
            ),
        ]
    )
    nbformat.write(nb, path)
    return path


def test_a_notebook_past_its_time_limit_is_recorded_as_timed_out(tmp_path):
    path = sleepy_notebook(tmp_path / "dora_sleepy.ipynb")
    result = grade_notebook(path, timeout=2)
    assert result.status == "timed out"
    assert result.error == "cell 1 (`import time`) was still running after 2 s"
    assert result.learner == "dora_sleepy" and result.chapter == "00"
    assert result.outcomes == dict.fromkeys(IDS, "not reached")
    assert result.seconds < 60


def test_grade_validates_its_arguments(tmp_path, capsys):
    assert main(["grade", str(tmp_path / "missing.ipynb")]) == 2
    assert "not a notebook file" in capsys.readouterr().err
    path = sleepy_notebook(tmp_path / "x.ipynb")
    assert main(["grade", str(path), "--timeout", "0"]) == 2
    assert "--timeout must be a positive number" in capsys.readouterr().err
    assert main(["grade", str(path), "--csv", str(tmp_path)]) == 2
    with pytest.raises(ValueError, match="expected mode 'quick' or 'full', got 'fast'"):
        grade_notebook(path, mode="fast")
    with pytest.raises(ValueError, match="positive number of seconds, got inf"):
        grade_notebook(path, timeout=float("inf"))
    with pytest.raises(ValueError, match="expected a Jupyter notebook file"):
        grade_notebook(tmp_path / "x.txt")


def test_an_unreadable_notebook_is_graded_not_raised(tmp_path):
    path = tmp_path / "eve_00_microscopy_images.ipynb"
    path.write_text("{not json", encoding="utf-8")
    result = grade_notebook(path)
    assert (result.status, result.learner, result.outcomes) == ("unreadable", "eve", {})
    assert result.error.startswith("cannot read the notebook")
    table = grades_table([result])
    assert table.shape == (1, len(COLUMNS)) and table["exercise"].tolist() == [""]


def test_chapter_and_learner_rules():
    setup = v4.new_code_cell("import cellcourse as cc\nfrom cellcourse.exercises import ch03 as ex")
    nb = v4.new_notebook(cells=[setup])
    assert notebook_chapter(nb, "whatever.ipynb") == "03"
    blank = v4.new_notebook()
    assert notebook_chapter(blank, "x/ada_07_unet.ipynb") == "07"
    assert notebook_chapter(blank, "ada.ipynb") == ""
    blank.metadata["cellcourse"] = {"generated_from": "solutions/05_class_imbalance.ipynb"}
    assert notebook_chapter(blank, "ada.ipynb") == "05"
    assert learner_name(blank, "in/ada_05_class_imbalance.ipynb") == "ada"
    assert learner_name(blank, "in/05_class_imbalance (ada lovelace).ipynb") == "(ada lovelace)"
    assert learner_name(blank, "in/bob/05_class_imbalance.ipynb") == "bob"
    assert learner_name(v4.new_notebook(), f"in/{CHAPTER}_carl.ipynb") == "carl"  # checkout name
    blank.metadata["cellcourse"]["learner"] = "Dora M."
    assert learner_name(blank, "in/bob/05_class_imbalance.ipynb") == "Dora M."
    with pytest.raises(TypeError, match="expected a notebook"):
        notebook_chapter("not a notebook")


def test_summary_counts_only_gradable_exercises_and_csv_is_atomic(tmp_path, monkeypatch):
    grades = [
        NotebookGrade(
            notebook="in/ada.ipynb",
            learner="ada",
            chapter="04",
            status="ok",
            outcomes={"04.q1": "correct", "04.q2": "incorrect", "04.q3": "viewed"},
            attempts={"04.q1": 2, "04.q2": 1, "04.q3": 1},
            gradable=("04.q1", "04.q2"),
        ),
        NotebookGrade(
            notebook="in/bob.ipynb",
            learner="bob",
            chapter="04",
            status="timed out",
            error="cell 9 (`model.fit(x)`) was still running after 60 s",
            outcomes={"04.q1": "correct", "04.q2": "not reached", "04.q3": "not reached"},
            attempts={"04.q1": 1},
            gradable=("04.q1", "04.q2"),
        ),
    ]
    table = grades_table(grades)
    assert table["attempts"].tolist() == [2, 1, 1, 1, 0, 0]
    text = format_summary(table)
    assert "ada      04       1 of 2   ok" in text
    assert "bob      04       1 of 2   timed out" in text
    assert "bob (bob.ipynb): cell 9 (`model.fit(x)`) was still running after 60 s" in text
    assert text.endswith("2 notebooks: 1 ok, 1 timed out")

    target = tmp_path / "grades.csv"
    target.write_text("old\n", encoding="utf-8")

    def broken(self, *args, **kwargs):
        raise OSError("disk full")

    with monkeypatch.context() as m:
        m.setattr(pd.DataFrame, "to_csv", broken)
        with pytest.raises(OSError, match="disk full"):
            write_csv(table, target)
    assert target.read_text(encoding="utf-8") == "old\n"  # the old file is intact
    assert [p.name for p in tmp_path.iterdir()] == ["grades.csv"]  # no temporary left
    assert write_csv(table, target) == target
    assert pd.read_csv(target).shape == (6, len(COLUMNS))
