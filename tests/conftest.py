"""Shared by all tests: never write to the home directory, never run strict by accident."""

import pytest


@pytest.fixture(autouse=True)
def _isolated_course_settings(tmp_path, monkeypatch):
    # exercise checks record progress: keep it in this test's temporary directory
    monkeypatch.setenv("CELLCOURSE_PROGRESS", str(tmp_path / "progress.json"))
    # strict mode only where a test asks for it with monkeypatch.setenv
    monkeypatch.delenv("CELLCOURSE_STRICT", raising=False)
