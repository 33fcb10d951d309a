"""Test-session setup shared by the unit tests, the doctests and the notebooks nbval executes."""

import pytest

from cellcourse.config import absolute_path_variables


def pytest_configure(config):
    # Kernels started by nbval run in solutions/, so relative data paths must be made
    # absolute before any kernel starts (they inherit this process's environment).
    absolute_path_variables()


@pytest.fixture(autouse=True)
def _isolated_doctests(request, tmp_path, monkeypatch):
    # Docstring examples show what a learner sees (e.g. a "Not yet" check), so they run
    # outside strict mode and record progress in a temporary file. Notebook kernels keep
    # the session's environment: CI runs them strict.
    if type(request.node).__name__ == "DoctestItem":
        monkeypatch.setenv("CELLCOURSE_PROGRESS", str(tmp_path / "progress.json"))
        monkeypatch.delenv("CELLCOURSE_STRICT", raising=False)
