"""Settings, the budget helper and the seed helper."""

from __future__ import annotations

import numpy as np
import pytest

from cellcourse import budget, set_seed, settings


def test_budget_follows_quick_flag(monkeypatch):
    monkeypatch.setenv("CELLCOURSE_QUICK", "1")
    assert budget(full=40, quick=2) == 2
    assert settings().mode == "quick"
    monkeypatch.setenv("CELLCOURSE_QUICK", "0")
    assert budget(full=40, quick=2) == 40
    monkeypatch.delenv("CELLCOURSE_QUICK")
    assert settings().mode == "full"


@pytest.mark.parametrize("value", ["2", "maybe", "quick"])
def test_bad_flag_is_explained(monkeypatch, value):
    monkeypatch.setenv("CELLCOURSE_STRICT", value)
    with pytest.raises(ValueError, match=f"CELLCOURSE_STRICT must be 1 or 0.*{value}"):
        settings()


def test_paths_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CELLCOURSE_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("CELLCOURSE_DATA_MIRROR", str(tmp_path / "m"))
    s = settings()
    assert s.data_dir == tmp_path / "d" and s.mirror == tmp_path / "m"
    monkeypatch.delenv("CELLCOURSE_DATA_MIRROR")
    assert settings().mirror is None


def test_set_seed_is_reproducible():
    a = set_seed(3).normal(size=4)
    first = np.random.rand(3)  # noqa: NPY002 - the legacy global state is seeded too
    b = set_seed(3).normal(size=4)
    np.testing.assert_array_equal(a, b)
    set_seed(3)
    np.testing.assert_array_equal(np.random.rand(3), first)  # noqa: NPY002


@pytest.mark.parametrize("bad", [-1, 1.5, "0", None, True])
def test_set_seed_rejects_non_integers(bad):
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        set_seed(bad)


def test_relative_path_variables_become_absolute(tmp_path, monkeypatch):
    from cellcourse.config import absolute_path_variables

    monkeypatch.chdir(tmp_path)
    env = {"CELLCOURSE_DATA_MIRROR": "../mirror", "CELLCOURSE_DATA_DIR": "/abs/cache", "OTHER": "x"}
    changed = absolute_path_variables(env)
    assert changed == {"CELLCOURSE_DATA_MIRROR": str((tmp_path / "../mirror").resolve())}
    assert env["CELLCOURSE_DATA_DIR"] == "/abs/cache" and env["OTHER"] == "x"
