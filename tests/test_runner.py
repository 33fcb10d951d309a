"""cellcourse run: headless execution, saved notebook, figures and metrics.json."""

from __future__ import annotations

import json

import nbformat
import pytest

from cellcourse.runner import NotebookFailed, find_notebook, run_notebook


def _notebook(path, cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, path)
    return path


@pytest.fixture
def chapter_dir(tmp_path):
    folder = tmp_path / "solutions"
    folder.mkdir()
    _notebook(
        folder / "98_demo.ipynb",
        [
            "import cellcourse as cc\nimport matplotlib.pyplot as plt\n"
            "n = cc.budget(full=10, quick=2)",
            "fig, ax = plt.subplots(figsize=(2, 2)); ax.plot([0, n]); plt.show()",
            "cc.report_metrics({'n_items': n, 'quality': 0.75}, floors={'quality': 0.5})",
        ],
    )
    _notebook(
        folder / "99_broken.ipynb", ["x = 1", "raise RuntimeError('planted failure')", "y = 2"]
    )
    return folder


@pytest.mark.slow
def test_run_saves_notebook_figures_and_metrics(chapter_dir, tmp_path):
    result = run_notebook(
        "98_demo", mode="quick", out_dir=tmp_path / "runs", notebook_dir=chapter_dir
    )
    record = json.loads((result.run_dir / "metrics.json").read_text())
    assert record["notebook"] == "98_demo" and record["mode"] == "quick"
    assert record["metrics"] == {"n_items": 2.0, "quality": 0.75}
    assert record["backend"] and record["keras_version"].startswith("3.")
    assert record["seconds"] > 0
    assert len(list((result.run_dir / "figures").glob("*.png"))) == 1
    executed = nbformat.read(result.run_dir / "98_demo.ipynb", as_version=4)
    assert all(c.execution_count for c in executed.cells)


@pytest.mark.slow
def test_full_mode_changes_the_budget(chapter_dir, tmp_path):
    result = run_notebook("98", mode="full", out_dir=tmp_path / "runs", notebook_dir=chapter_dir)
    assert result.metrics["n_items"] == 10.0


@pytest.mark.slow
def test_failing_cell_is_reported_with_its_traceback(chapter_dir, tmp_path):
    with pytest.raises(NotebookFailed) as err:
        run_notebook("99_broken", mode="quick", out_dir=tmp_path / "runs", notebook_dir=chapter_dir)
    message = str(err.value)
    assert "cell 2 failed" in message and "planted failure" in message
    assert "RuntimeError" in message
    record = json.loads((err.value.run_dir / "metrics.json").read_text())
    assert "planted failure" in record["error"]


def test_unknown_chapter_lists_known_ones(chapter_dir):
    with pytest.raises(FileNotFoundError, match="Known chapters: 98_demo, 99_broken"):
        find_notebook("07_unet", notebook_dir=chapter_dir)


def test_bad_mode_is_rejected(chapter_dir):
    with pytest.raises(ValueError, match="mode must be 'quick' or 'full'"):
        run_notebook("98_demo", mode="fast", notebook_dir=chapter_dir)
