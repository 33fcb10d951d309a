"""Tests of cellcourse.authoring: exercise notebooks built from solution notebooks."""

from __future__ import annotations

import copy
import json

import nbformat
import pytest
from nbformat import v4

from cellcourse.authoring import (
    BuildReport,
    Problem,
    build,
    build_exercise,
    clear_outputs,
    exercise_ids,
    find_leaks,
    lint_notebook,
)

NAME = "solutions/07_unet_segmentation.ipynb"

Q1_SOLUTION = """\
### BEGIN SOLUTION
# STUB: n_nuclei = ...  # count the nuclei in `labels`
n_nuclei = int(labels.max())
### END SOLUTION"""

Q2_SOLUTION = """\
def to_unit_range(x):
    ### BEGIN SOLUTION
    # STUB: return ...  # scale x to 0-1
    return (x - x.min()) / (x.max() - x.min())
    ### END SOLUTION"""

Q3_TEXT = """\
### Exercise 7.3: why do touching nuclei merge?
<!-- BEGIN SOLUTION -->
Their boundary pixels are predicted as interior.
<!-- END SOLUTION -->"""


def code(source, tags=(), **metadata):
    cell = v4.new_code_cell(source)
    if tags:
        cell.metadata["tags"] = list(tags)
    cell.metadata.update(metadata)
    return cell


def md(source, tags=()):
    cell = v4.new_markdown_cell(source)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def notebook(*cells):
    nb = v4.new_notebook(cells=list(cells))
    for index, cell in enumerate(nb.cells, start=1):
        cell["id"] = f"cell-{index}"  # stable ids, as Jupyter stores them
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def chapter():
    """A small solution notebook that follows every convention (11 cells)."""
    return notebook(
        md("# Chapter 7: U-Net segmentation"),  # 1
        code("import numpy as np\nlabels = np.array([[0, 1], [2, 2]])"),  # 2
        md("### Exercise 7.1 — count the nuclei\nHow many nuclei are labelled?"),  # 3
        code(Q1_SOLUTION),  # 4
        code("ex.q1.check(n_nuclei)"),  # 5
        code("ex.q1.check(labels.size)  # a typical mistake fails", tags=["solution-only"]),  # 6
        md("### Exercise 7.2: scale to 0-1"),  # 7
        code(Q2_SOLUTION, tags=["keep-me"]),  # 8
        code("ex.q2.check(to_unit_range)"),  # 9
        md(Q3_TEXT),  # 10
        code("ex.q3.check()", tags=["exercise-only"]),  # 11
    )


def only_problem(nb, name=NAME):
    problems = lint_notebook(nb, name)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def write_nb(path, nb):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


# ------------------------------------------------------------- building


def test_valid_chapter_has_no_problems():
    assert lint_notebook(chapter(), NAME) == []


def test_stub_replaces_a_top_level_region():
    exercise = build_exercise(chapter(), NAME)
    sources = {cell.id: cell.source for cell in exercise.cells}
    assert sources["cell-4"] == "n_nuclei = ...  # count the nuclei in `labels`"


def test_stub_keeps_the_region_indentation():
    exercise = build_exercise(chapter(), NAME)
    sources = {cell.id: cell.source for cell in exercise.cells}
    assert sources["cell-8"] == "def to_unit_range(x):\n    return ...  # scale x to 0-1"


def test_several_regions_in_one_cell_and_multi_line_stubs():
    source = (
        "x = load()\n"
        "### BEGIN SOLUTION\n"
        "# STUB: y = ...\n"
        "y = x + 1\n"
        "### END SOLUTION\n"
        "for i in range(3):\n"
        "    ### BEGIN SOLUTION\n"
        "    # STUB: if i > ...:\n"
        "    # STUB:     z = ...\n"
        "    # STUB:\n"
        "    if i > 1:\n"
        "        z = i * y\n"
        "    ### END SOLUTION\n"
        "print(z)"
    )
    exercise = build_exercise(notebook(code(source)), NAME)
    assert exercise.cells[1].source == (
        "x = load()\ny = ...\nfor i in range(3):\n    if i > ...:\n        z = ...\n\nprint(z)"
    )


def test_markdown_region_becomes_an_answer_placeholder():
    exercise = build_exercise(chapter(), NAME)
    sources = {cell.id: cell.source for cell in exercise.cells}
    assert sources["cell-10"] == (
        "### Exercise 7.3: why do touching nuclei merge?\n*Write your answer here.*"
    )


def test_solution_only_cells_are_dropped_other_cells_kept_with_their_tags():
    solution = chapter()
    exercise = build_exercise(solution, NAME)
    ids = [cell.id for cell in exercise.cells[1:]]
    assert ids == [f"cell-{i}" for i in range(1, 12) if i != 6]
    by_id = {cell.id: cell for cell in exercise.cells}
    assert by_id["cell-11"].metadata.tags == ["exercise-only"]
    assert by_id["cell-8"].metadata.tags == ["keep-me"]


def test_outputs_execution_counts_and_run_metadata_are_cleared():
    solution = chapter()
    cell = solution.cells[1]
    cell.outputs = [v4.new_output("stream", name="stdout", text="hello\n")]
    cell.execution_count = 3
    cell.metadata["execution"] = {"iopub.execute_input": "2024-01-01T00:00:00Z"}
    solution.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    exercise = build_exercise(solution, NAME)
    for c in exercise.cells:
        if c.cell_type == "code":
            assert c.outputs == [] and c.execution_count is None
        assert "execution" not in c.metadata
    assert "widgets" not in exercise.metadata
    # the solution itself is not modified
    assert solution.cells[1].execution_count == 3


def test_exercise_metadata_and_first_note_cell():
    solution = chapter()
    before = copy.deepcopy(solution)
    exercise = build_exercise(solution, NAME)
    assert solution == before
    assert exercise.metadata.cellcourse == {"generated_from": NAME}
    assert exercise.metadata.kernelspec == solution.metadata.kernelspec
    note = exercise.cells[0]
    assert note.cell_type == "markdown"
    assert "exercise version of chapter 07" in note.source
    assert "`...`" in note.source
    assert "ex.q1.hint()" in note.source and "ex.q1.solution()" in note.source
    assert note.id not in {c.id for c in solution.cells}
    nbformat.validate(exercise)


def test_build_exercise_refuses_broken_markers():
    broken = notebook(code("### BEGIN SOLUTION\nx = 1"))
    with pytest.raises(ValueError, match=r"cell 1, line 1: .*has no matching"):
        build_exercise(broken, NAME)


def test_build_exercise_validates_its_arguments():
    with pytest.raises(TypeError, match="expected solution_nb to be a notebook"):
        build_exercise({"no": "cells"}, NAME)
    with pytest.raises(TypeError, match="expected source_name"):
        build_exercise(chapter(), 7)


def test_building_twice_gives_identical_bytes(tmp_path):
    write_nb(tmp_path / "solutions" / "07_unet_segmentation.ipynb", chapter())
    first = build(tmp_path / "solutions", tmp_path / "notebooks")
    target = tmp_path / "notebooks" / "07_unet_segmentation.ipynb"
    assert first.ok and first.written == [target]
    data = target.read_bytes()
    assert data.endswith(b"}\n")
    second = build(tmp_path / "solutions", tmp_path / "notebooks")
    assert second.written == [] and second.up_to_date == [target]
    assert target.read_bytes() == data
    # and it is the same bytes as serialising the in-memory build
    generated = json.loads(data)
    assert generated["metadata"]["cellcourse"]["generated_from"] == NAME
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]  # no temp files left


# ---------------------------------------------------------------- lint


def with_cell(index, new_cell):
    """The valid chapter with cell ``index`` (1-based) replaced."""
    nb = chapter()
    new_cell["id"] = nb.cells[index - 1]["id"]
    nb.cells[index - 1] = new_cell
    return nb


@pytest.mark.parametrize(
    ("marker", "expected"),
    [
        ("### BEGIN SOLUTIN", "unknown marker '### BEGIN SOLUTIN'"),
        ("### BEGIN HIDDEN TESTS", "unknown marker '### BEGIN HIDDEN TESTS'"),
        ("###END SOLUTION", "unknown marker '###END SOLUTION'"),
        ("### END SOLUTION  # done", "unknown marker"),
        ("# BEGIN SOLUTION", "unknown marker '# BEGIN SOLUTION'"),
    ],
)
def test_unknown_code_marker(marker, expected):
    problem = only_problem(with_cell(2, code(f"import numpy as np\n{marker}\nx = 1")))
    assert (problem.cell, problem.line) == (2, 2)
    assert expected in problem.message
    assert str(problem).startswith(f"{NAME}, cell 2, line 2: ")


@pytest.mark.parametrize("marker", ["<!-- BEGIN ANSWER -->", "<!-- END solution -->"])
def test_unknown_markdown_marker(marker):
    problem = only_problem(with_cell(1, md(f"# Chapter 7\n\n{marker}")))
    assert (problem.cell, problem.line) == (1, 3)
    assert "unknown marker" in problem.message


def test_code_marker_in_markdown_is_reported():
    problem = only_problem(with_cell(1, md("# Chapter 7\n### BEGIN SOLUTION\nsecret")))
    assert (problem.cell, problem.line) == (1, 2)
    assert "markdown cells use '<!-- BEGIN SOLUTION -->'" in problem.message


def test_end_without_begin():
    problem = only_problem(with_cell(4, code("n_nuclei = 3\n### END SOLUTION")))
    assert (problem.cell, problem.line) == (4, 2)
    assert "without a '### BEGIN SOLUTION'" in problem.message


def test_begin_without_end():
    problem = only_problem(with_cell(4, code("### BEGIN SOLUTION\n# STUB: n = ...\nn = 3")))
    assert (problem.cell, problem.line) == (4, 1)
    assert "has no matching '### END SOLUTION'" in problem.message


def test_unbalanced_markdown_region():
    problem = only_problem(with_cell(10, md("### Exercise 7.3: why\n<!-- BEGIN SOLUTION -->\nx")))
    assert (problem.cell, problem.line) == (10, 2)
    assert "no matching '<!-- END SOLUTION -->'" in problem.message


def test_nested_begin():
    source = "### BEGIN SOLUTION\n# STUB: n = ...\n### BEGIN SOLUTION\nn = 3\n### END SOLUTION"
    problems = lint_notebook(with_cell(4, code(source)), NAME)
    assert [(p.cell, p.line) for p in problems] == [(4, 1), (4, 3)]
    assert "has no matching '### END SOLUTION'" in problems[0].message
    assert "nested" in problems[1].message and "line 1" in problems[1].message


def test_nested_regions_are_reported_once():
    source = (
        "### BEGIN SOLUTION\n# STUB: n = ...\n### BEGIN SOLUTION\nn = 3\n"
        "### END SOLUTION\n### END SOLUTION"
    )
    problem = only_problem(with_cell(4, code(source)))
    assert (problem.cell, problem.line) == (4, 3) and "nested" in problem.message


def test_region_without_stub():
    problem = only_problem(with_cell(4, code("### BEGIN SOLUTION\nn = 3\n### END SOLUTION")))
    assert (problem.cell, problem.line) == (4, 1)
    assert "no '# STUB: ' line" in problem.message


@pytest.mark.parametrize(
    ("stub", "expected"),
    [("#STUB: n = ...", "malformed stub line"), ("# stub: n = ...", "malformed stub line")],
)
def test_malformed_stub_line(stub, expected):
    source = f"### BEGIN SOLUTION\n# STUB: m = ...\n{stub}\nn = 3\n### END SOLUTION"
    problem = only_problem(with_cell(4, code(source)))
    assert (problem.cell, problem.line, expected in problem.message) == (4, 3, True)


def test_stub_outside_a_region():
    problem = only_problem(with_cell(2, code("import numpy as np\n# STUB: x = ...")))
    assert (problem.cell, problem.line) == (2, 2)
    assert "outside a solution region" in problem.message


@pytest.mark.parametrize(
    "tag",
    ["solution_only", "solutions-only", "Solution-Only", "solution", "exercise", "exersice-only"],
)
def test_tag_typo(tag):
    problem = only_problem(with_cell(2, code("import numpy as np", tags=[tag])))
    assert problem.cell == 2
    assert f"tag {tag!r} looks like a misspelling" in problem.message
    assert "cell 2" in str(problem)


def test_unrelated_tags_are_fine():
    nb = with_cell(2, code("import numpy as np", tags=["remove-input", "hide-output"]))
    assert lint_notebook(nb, NAME) == []


def test_misspelt_tags_key_is_reported():
    # the dlmbl accident: the tag sat under a misspelt key, and the cell shipped
    problem = only_problem(with_cell(6, code("ex.q1.check(labels.size)", tas=["solution-only"])))
    assert problem.cell == 6
    assert "metadata key 'tas'" in problem.message


def test_both_tags_at_once_is_reported():
    nb = with_cell(2, code("import numpy as np", tags=["solution-only", "exercise-only"]))
    assert "choose one" in only_problem(nb).message


def test_missing_check():
    problem = only_problem(with_cell(9, code("to_unit_range(np.arange(3))")))
    assert (problem.cell, problem.line) == (7, 1)
    assert "Exercise 7.2 has no check" in problem.message
    assert "ex.q2.check(" in problem.message


def test_check_only_in_a_solution_only_cell_is_missing_in_the_exercise():
    nb = with_cell(5, code("print(n_nuclei)"))  # cell 6 (solution-only) still checks q1
    problem = only_problem(nb)
    assert (problem.cell, problem.line) == (3, 1)
    assert "Exercise 7.1 has no check" in problem.message


def test_check_inside_a_solution_region_does_not_count():
    source = "### BEGIN SOLUTION\n# STUB: ...\nex.q1.check(n_nuclei)\n### END SOLUTION"
    problem = only_problem(with_cell(5, code(source)))
    assert "Exercise 7.1 has no check" in problem.message


def test_gap_in_exercise_numbers():
    nb = with_cell(7, md("### Exercise 7.4: scale to 0-1"))
    messages = [(p.cell, p.line, p.message) for p in lint_notebook(nb, NAME)]
    assert any(
        (c, line) == (7, 1) and "expected exercise number 2 here, got Exercise 7.4" in m
        for c, line, m in messages
    )
    # the q2 check now has no heading, and exercise 3 follows 4
    assert any("ex.q2.check(" in m and c == 9 for c, _l, m in messages)
    assert any("expected exercise number 5" in m and c == 10 for c, _l, m in messages)


def test_duplicate_exercise_number():
    nb = with_cell(7, md("### Exercise 7.1: scale to 0-1"))
    messages = [(p.cell, p.line, p.message) for p in lint_notebook(nb, NAME)]
    assert any(c == 7 and "appears twice (first in cell 3)" in m for c, _l, m in messages)


def test_numbers_must_start_at_one():
    nb = chapter()
    nb.cells = nb.cells[6:]  # starts at Exercise 7.2
    problems = lint_notebook(nb, NAME)
    assert any(p.cell == 1 and "expected exercise number 1" in p.message for p in problems)


def test_chapter_number_mismatch():
    problem = only_problem(with_cell(3, md("### Exercise 8.1 — count the nuclei")))
    assert (problem.cell, problem.line) == (3, 1)
    assert "Exercise 8.1 is in chapter 07; number it 7.1" in problem.message


def test_chapter_number_with_leading_zero():
    problem = only_problem(with_cell(3, md("### Exercise 07.1 — count the nuclei")))
    assert "number it 7.1" in problem.message


def test_malformed_exercise_heading():
    nb = with_cell(3, md("Intro\n## Exercise 7.1 count the nuclei"))
    problems = lint_notebook(nb, NAME)
    assert any(p.cell == 3 and p.line == 2 and "malformed" in p.message for p in problems)


def test_chapter_number_must_come_from_the_file_name():
    problems = lint_notebook(chapter(), "solutions/unet.ipynb")
    assert [p.cell for p in problems] == [None]
    assert "NN_topic.ipynb" in problems[0].message


def test_outputs_in_a_solution_are_reported():
    nb = chapter()
    nb.cells[1].outputs = [v4.new_output("stream", name="stdout", text="hi\n")]
    problem = only_problem(nb)
    assert problem.cell == 2
    assert problem.message.startswith(f"{NAME} has outputs in cell 2; clear them")


def test_duplicate_cell_ids_are_reported():
    nb = chapter()
    nb.cells[4]["id"] = "cell-2"
    problem = only_problem(nb)
    assert problem.cell == 5 and "also used by cell 2" in problem.message


def test_lint_validates_its_arguments():
    with pytest.raises(TypeError, match="expected nb to be a notebook"):
        lint_notebook("not a notebook", NAME)
    with pytest.raises(TypeError, match="expected name"):
        lint_notebook(chapter(), None)


def test_problem_is_frozen_and_readable():
    problem = Problem("solutions/07_x.ipynb", 3, 2, "bad")
    assert str(problem) == "solutions/07_x.ipynb, cell 3, line 2: bad"
    assert str(Problem("a.ipynb", None, None, "bad")) == "a.ipynb: bad"
    with pytest.raises(AttributeError):
        problem.cell = 4


# --------------------------------------------------------------- leaks


def test_built_exercise_has_no_leaks():
    solution = chapter()
    exercise = build_exercise(solution, NAME)
    assert find_leaks(solution, exercise, "notebooks/07_unet_segmentation.ipynb") == []


def test_hand_edited_solution_line_is_a_leak():
    solution = chapter()
    exercise = build_exercise(solution, NAME)
    exercise.cells[4].source = "n_nuclei = int(labels.max())  "  # cell-4, hand edited
    problems = find_leaks(solution, exercise, "notebooks/07_unet_segmentation.ipynb")
    assert len(problems) == 1
    assert (problems[0].cell, problems[0].line) == (5, 1)  # the note cell comes first
    assert "'n_nuclei = int(labels.max())'" in problems[0].message
    assert "solution cell 4, line 3" in problems[0].message


def test_markdown_answer_leak():
    solution = chapter()
    exercise = build_exercise(solution, NAME)
    exercise.cells[-2].source += "\nTheir boundary pixels are predicted as interior."
    problems = find_leaks(solution, exercise, "notebooks/x.ipynb")
    assert [p.cell for p in problems] == [len(exercise.cells) - 1]


def test_line_shared_outside_regions_is_not_a_leak():
    solution = chapter()
    # the same line also appears in plain code, so learners may see it
    solution.cells.append(code("n_nuclei = int(labels.max())"))
    exercise = build_exercise(solution, NAME)
    exercise.cells[4].source = "n_nuclei = int(labels.max())"
    assert find_leaks(solution, exercise, "notebooks/x.ipynb") == []


def test_line_shared_only_with_a_solution_only_cell_is_still_a_leak():
    solution = chapter()
    solution.cells.append(code("n_nuclei = int(labels.max())", tags=["solution-only"]))
    exercise = build_exercise(solution, NAME)
    exercise.cells[4].source = "n_nuclei = int(labels.max())"
    assert len(find_leaks(solution, exercise, "notebooks/x.ipynb")) == 1


def test_short_lines_and_comments_are_not_leaks():
    source = "### BEGIN SOLUTION\n# STUB: y = ...\n# add one\ny=1\n### END SOLUTION"
    solution = notebook(code(source))
    exercise = notebook(code("# add one\ny=1\ny = ..."))
    assert find_leaks(solution, exercise, "notebooks/x.ipynb") == []


def test_stub_identical_to_a_solution_line_is_reported():
    source = (
        "### BEGIN SOLUTION\n# STUB: model = build_model()\nmodel = build_model()\n### END SOLUTION"
    )
    solution = notebook(code(source))
    problems = find_leaks(solution, build_exercise(solution, NAME), "notebooks/x.ipynb")
    assert len(problems) == 1 and "move it outside the solution region" in problems[0].message


def test_marker_left_in_an_exercise_is_reported():
    solution = chapter()
    exercise = build_exercise(solution, NAME)
    exercise.cells[4].source = "### BEGIN SOLUTION\nn_nuclei = ..."
    problems = find_leaks(solution, exercise, "notebooks/x.ipynb")
    assert [(p.cell, p.line) for p in problems] == [(5, 1)]


# ------------------------------------------------------------ exercise ids


def test_exercise_ids_from_notebook_and_path(tmp_path):
    assert exercise_ids(chapter()) == ["q1", "q2", "q3"]
    path = tmp_path / "07_x.ipynb"
    write_nb(path, chapter())
    assert exercise_ids(path) == ["q1", "q2", "q3"]
    assert exercise_ids(notebook(code("myex.q1.check(x)\nex.q10.check(y)"))) == ["q10"]


# ---------------------------------------------------------------- build()


def make_course(tmp_path):
    solutions = tmp_path / "solutions"
    write_nb(solutions / "07_unet_segmentation.ipynb", chapter())
    other = chapter()
    for cell in other.cells:
        cell.source = cell.source.replace("Exercise 7.", "Exercise 8.")
    write_nb(solutions / "08_instances.ipynb", other)
    return solutions, tmp_path / "notebooks"


def test_check_reports_out_of_date_missing_and_stale_and_writes_nothing(tmp_path):
    solutions, notebooks = make_course(tmp_path)
    notebooks.mkdir()
    outdated = notebooks / "07_unet_segmentation.ipynb"
    outdated.write_text("{}", encoding="utf-8")
    stale = notebooks / "05_class_imbalance.ipynb"
    stale.write_text("{}", encoding="utf-8")
    report = build(solutions, notebooks, check=True)
    assert isinstance(report, BuildReport)
    assert report.out_of_date == [outdated, notebooks / "08_instances.ipynb"]
    assert report.stale == [stale]
    assert report.written == [] and report.problems == []
    assert not report.ok
    assert outdated.read_text(encoding="utf-8") == "{}"
    assert not (notebooks / "08_instances.ipynb").exists()


def test_build_then_check_is_ok(tmp_path):
    solutions, notebooks = make_course(tmp_path)
    written = build(str(solutions), str(notebooks))
    assert written.ok and len(written.written) == 2
    report = build(solutions, notebooks, check=True)
    assert report.ok
    assert report.up_to_date == sorted(notebooks.glob("*.ipynb"))
    assert report.out_of_date == [] and report.stale == []


def test_stale_files_are_listed_but_kept_when_building(tmp_path):
    solutions, notebooks = make_course(tmp_path)
    notebooks.mkdir()
    stale = notebooks / "05_class_imbalance.ipynb"
    stale.write_text("{}", encoding="utf-8")
    report = build(solutions, notebooks)
    assert report.ok and report.stale == [stale] and stale.exists()


def test_check_finds_a_hand_edited_leak(tmp_path):
    solutions, notebooks = make_course(tmp_path)
    build(solutions, notebooks)
    target = notebooks / "07_unet_segmentation.ipynb"
    exercise = nbformat.read(str(target), as_version=4)
    exercise.cells[4].source = "n_nuclei = int(labels.max())"
    nbformat.write(exercise, str(target))
    report = build(solutions, notebooks, check=True)
    assert report.out_of_date == [target]
    assert len(report.problems) == 1
    assert str(report.problems[0]).startswith(
        "notebooks/07_unet_segmentation.ipynb, cell 5, line 1"
    )


def test_a_lint_error_writes_nothing(tmp_path):
    solutions, notebooks = make_course(tmp_path)
    broken = chapter()
    broken.cells[3].source = Q1_SOLUTION.replace("### END SOLUTION", "### END SOLUTON")
    write_nb(solutions / "09_tracking.ipynb", broken)
    report = build(solutions, notebooks)
    assert not report.ok and report.written == []
    assert any(p.notebook == "solutions/09_tracking.ipynb" and p.cell == 4 for p in report.problems)
    assert len(report.out_of_date) == 2  # the good ones were not written either
    assert not notebooks.exists() or list(notebooks.iterdir()) == []


def test_unreadable_solution_is_a_problem(tmp_path):
    solutions, notebooks = make_course(tmp_path)
    (solutions / "10_broken.ipynb").write_text("{not json", encoding="utf-8")
    report = build(solutions, notebooks)
    assert report.written == []
    assert [p.notebook for p in report.problems] == ["solutions/10_broken.ipynb"]


def test_old_notebook_format_is_a_problem(tmp_path):
    solutions, notebooks = make_course(tmp_path)
    (solutions / "10_old.ipynb").write_text('{"nbformat": 3, "worksheets": []}', encoding="utf-8")
    report = build(solutions, notebooks)
    assert report.written == []
    assert [p.notebook for p in report.problems] == ["solutions/10_old.ipynb"]
    assert "expected an nbformat 4 notebook, got nbformat 3" in report.problems[0].message


def test_outputs_block_the_build_until_cleared(tmp_path):
    solutions, notebooks = make_course(tmp_path)
    path = solutions / "07_unet_segmentation.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    nb.cells[1].outputs = [v4.new_output("stream", name="stdout", text="hi\n")]
    nb.cells[1].execution_count = 1
    nbformat.write(nb, str(path))
    report = build(solutions, notebooks)
    assert report.written == []
    assert "has outputs in cell 2" in report.problems[0].message
    assert clear_outputs(path) == 1
    assert clear_outputs(path) == 0
    assert build(solutions, notebooks).ok


def test_build_validates_its_arguments(tmp_path):
    with pytest.raises(FileNotFoundError, match="expected solutions_dir to be a folder"):
        build(tmp_path / "missing", tmp_path / "notebooks")
    with pytest.raises(TypeError, match="expected check to be True or False"):
        build(tmp_path, tmp_path, check="yes")
    with pytest.raises(TypeError, match="expected solutions_dir"):
        build(7, tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        clear_outputs(tmp_path / "nothing.ipynb")


# ------------------------------------------------------- Colab badges and the setup cell

REPO_ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
SETUP = """\
import sys

COURSE_PACKAGE = ""  # where Colab installs the course from; set by `cellcourse build --colab-repo`
if "google.colab" in sys.modules:
    pass"""
BADGE = (
    "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
    "(https://colab.research.google.com/github/ada-lab/cell.course/blob/workshop-2025/"
    "notebooks/07_unet_segmentation.ipynb)"
)


def chapter_with_setup():
    nb = chapter()
    nb.cells.insert(1, code(SETUP))
    nb.cells[1]["id"] = "setup"
    return nb


def test_colab_repo_adds_a_badge_and_the_install_source():
    nb = build_exercise(
        chapter_with_setup(), NAME, colab_repo="ada-lab/cell.course", branch="workshop-2025"
    )
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source == BADGE
    assert nb.cells[0]["id"] == "cellcourse-colab-badge"
    assert nb.cells[1]["id"] == "cellcourse-exercise-note"
    setup = nb.cells[3].source.splitlines()
    assert setup[2] == (
        'COURSE_PACKAGE = "git+https://github.com/ada-lab/cell.course@workshop-2025"'
        "  # where Colab installs the course from; set by `cellcourse build --colab-repo`"
    )
    nbformat.validate(nb)


def test_without_colab_repo_nothing_repository_specific_is_written():
    nb = build_exercise(chapter_with_setup(), NAME)
    text = json.dumps(nb)
    assert "colab.research.google.com" not in text and "github.com" not in text
    assert 'COURSE_PACKAGE = \\"\\"' in text


def test_build_and_check_with_a_colab_repo(tmp_path):
    solutions = tmp_path / "solutions"
    write_nb(solutions / "07_unet_segmentation.ipynb", chapter_with_setup())
    notebooks = tmp_path / "notebooks"
    assert build(solutions, notebooks, colab_repo="ada/course").ok
    built = nbformat.read(str(notebooks / "07_unet_segmentation.ipynb"), as_version=4)
    assert (
        "github/ada/course/blob/main/notebooks/07_unet_segmentation.ipynb" in built.cells[0].source
    )
    assert build(solutions, notebooks, check=True, colab_repo="ada/course").ok
    plain = build(solutions, notebooks, check=True)  # built for another repository
    assert not plain.ok and plain.out_of_date == [notebooks / "07_unet_segmentation.ipynb"]
    assert plain.problems == []  # the badge is not a leak


def test_colab_repo_needs_the_setup_line(tmp_path):
    solutions, notebooks = make_course(tmp_path)  # chapter() has no setup cell
    report = build(solutions, notebooks, colab_repo="ada/course")
    assert report.written == [] and len(report.problems) == 2
    assert "has no line 'COURSE_PACKAGE = \"\"'" in report.problems[0].message
    with pytest.raises(ValueError, match="COURSE_PACKAGE"):
        build_exercise(chapter(), NAME, colab_repo="ada/course")
    assert build(solutions, notebooks).ok  # without a repository it builds as before


@pytest.mark.parametrize(
    "repo", ["ada", "ada/course/extra", "-ada/course", "ada/..", "ada/course.git", "a b/c", ""]
)
def test_colab_repo_is_validated(tmp_path, repo):
    with pytest.raises(
        ValueError, match=f"expected colab_repo to be a GitHub repository.*got {repo!r}"
    ):
        build(tmp_path, tmp_path / "notebooks", colab_repo=repo)


@pytest.mark.parametrize("branch", ["", "a..b", "-x", "x/", "a b", "x.lock"])
def test_branch_is_validated(tmp_path, branch):
    with pytest.raises(ValueError, match="expected branch to be a git branch name"):
        build_exercise(chapter_with_setup(), NAME, colab_repo="ada/course", branch=branch)


def test_cli_build_with_a_bad_colab_repo_exits_2(tmp_path, capsys):
    from cellcourse.cli import main

    solutions, notebooks = make_course(tmp_path)
    args = ["build", "--solutions", str(solutions), "--notebooks", str(notebooks)]
    assert main([*args, "--colab-repo", "not a repo"]) == 2
    assert "expected colab_repo to be a GitHub repository" in capsys.readouterr().err
    assert not notebooks.exists()


def colab_block(source):
    """The lines of a setup cell from COURSE_PACKAGE to the end of the Colab block."""
    lines = source.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("COURSE_PACKAGE = ")]
    assert starts, "the setup cell has no COURSE_PACKAGE line: copy chapter 00's Colab block"
    start = starts[0]
    end = next(i for i in range(start + 2, len(lines)) if lines[i] and not lines[i].startswith(" "))
    return "\n".join(["import sys", *lines[start:end]])


def setup_cell(nb):
    heading = next(i for i, c in enumerate(nb.cells) if c.source.startswith("## Setup"))
    return next(c for c in nb.cells[heading:] if c.cell_type == "code").source


@pytest.fixture
def pip_calls(monkeypatch):
    """Record subprocess.run calls instead of running them; pretend cellcourse is missing."""
    import importlib.util
    import subprocess

    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a[0]))
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "cellcourse" else real(name, *a),
    )
    return calls


@pytest.mark.parametrize(
    "path", sorted((REPO_ROOT / "solutions").glob("*.ipynb")), ids=lambda p: p.stem
)
def test_setup_cell_installs_nothing_locally(path, pip_calls, monkeypatch):
    monkeypatch.delitem(__import__("sys").modules, "google.colab", raising=False)
    exec(colab_block(setup_cell(nbformat.read(str(path), as_version=4))), {})
    assert pip_calls == []


def test_setup_cell_on_colab_without_a_repository_explains_how_to_install(pip_calls, monkeypatch):
    import types

    monkeypatch.setitem(__import__("sys").modules, "google.colab", types.ModuleType("google.colab"))
    nb = nbformat.read(str(REPO_ROOT / "solutions" / "00_microscopy_images.ipynb"), as_version=4)
    with pytest.raises(RuntimeError, match=r"pip install git\+https://github.com/<owner>/<repo>"):
        exec(colab_block(setup_cell(nb)), {})
    assert pip_calls == []


def test_setup_cell_on_colab_installs_from_the_built_repository(pip_calls, monkeypatch):
    import sys
    import types

    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    path = REPO_ROOT / "solutions" / "00_microscopy_images.ipynb"
    solution = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    exercise = build_exercise(
        solution, "solutions/00_microscopy_images.ipynb", colab_repo="ada/course"
    )
    exec(colab_block(setup_cell(exercise)), {})
    assert pip_calls == [
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "git+https://github.com/ada/course@main",
        ]
    ]
