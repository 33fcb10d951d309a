"""Shared by all tests: never write to the home directory, never run strict by accident."""

from pathlib import Path

import pytest

# The course data mirror beside the checkout (as in CI); tests that need real data skip without it.
MIRROR = Path(__file__).resolve().parents[2] / "shared" / "data" / "mirror"


@pytest.fixture(autouse=True)
def _isolated_course_settings(tmp_path, monkeypatch):
    # exercise checks record progress: keep it in this test's temporary directory
    monkeypatch.setenv("CELLCOURSE_PROGRESS", str(tmp_path / "progress.json"))
    # strict mode only where a test asks for it with monkeypatch.setenv
    monkeypatch.delenv("CELLCOURSE_STRICT", raising=False)


@pytest.fixture(scope="module")
def data_env(tmp_path_factory):
    """A fresh data cache for one test module, filled from the mirror on first use."""
    if not MIRROR.is_dir():
        pytest.skip("shared data mirror not present")
    cache = tmp_path_factory.mktemp("cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("CELLCOURSE_DATA_DIR", str(cache))
    mp.setenv("CELLCOURSE_DATA_MIRROR", str(MIRROR))
    yield cache
    mp.undo()
