"""The cellcourse command: data, doctor, run and progress verbs."""

from __future__ import annotations

from pathlib import Path

import pytest

from cellcourse.cli import main
from cellcourse.doctor import diagnose

MIRROR = Path(__file__).resolve().parents[2] / "shared" / "data" / "mirror"
needs_mirror = pytest.mark.skipif(not MIRROR.is_dir(), reason="shared data mirror not present")


def test_data_list_prints_names_sizes_and_licences(capsys):
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    assert "bbbc039_nuclei" in out and "CC0-1.0" in out and "74.0 MB" in out
    assert "bccd_blood_cells" in out and "MIT" in out
    assert "13 datasets" in out


def test_data_info_shows_licence_and_citation(capsys):
    assert main(["data", "info", "insilico_labeling_sample", "--files", "2"]) == 0
    out = capsys.readouterr().out
    assert "CC-BY-4.0" in out and "10.1016/j.cell.2018.03.040" in out
    assert "and 16 more" in out


def test_data_info_unknown_name(capsys):
    assert main(["data", "info", "bccd"]) == 2
    assert "Did you mean 'bccd_blood_cells'" in capsys.readouterr().err


def test_data_download_without_name_is_explained(capsys):
    assert main(["data", "download"]) == 2
    assert "--all" in capsys.readouterr().err


@needs_mirror
def test_data_download_and_verify_from_mirror(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CELLCOURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CELLCOURSE_DATA_MIRROR", str(MIRROR))
    assert main(["data", "download", "c2c12_laptrack", "--quiet"]) == 0
    assert main(["data", "verify", "c2c12_laptrack", "--dir", str(tmp_path), "--quiet"]) == 0
    assert "4 of 4 files verified" in capsys.readouterr().out


@needs_mirror
def test_data_verify_whole_mirror(monkeypatch, capsys):
    monkeypatch.setenv("CELLCOURSE_DATA_MIRROR", str(MIRROR))
    assert main(["data", "verify", "--quiet"]) == 0
    assert "1098 of 1098 files verified in the mirror" in capsys.readouterr().out


def test_data_verify_fails_on_empty_folder(tmp_path, capsys):
    assert main(["data", "verify", "dsb2018_stardist", "--dir", str(tmp_path), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "missing" in out and "0 of 3 files verified" in out


def test_doctor_reports_and_passes(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CELLCOURSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CELLCOURSE_DATA_MIRROR", raising=False)
    assert main(["doctor", "--no-gpu"]) == 0
    out = capsys.readouterr().out
    for word in ("Python", "Keras", "backend", "NumPy", "data cache", "data mirror", "mode"):
        assert word in out


def test_doctor_fails_with_a_fix_for_a_missing_mirror(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CELLCOURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CELLCOURSE_DATA_MIRROR", str(tmp_path / "nowhere"))
    assert main(["doctor", "--no-gpu"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "CELLCOURSE_DATA_MIRROR" in out and "->" in out


def test_doctor_fails_for_an_unknown_backend(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "theano")
    failed = [f for f in diagnose(check_gpu=False) if f.status == "fail"]
    assert [f.name for f in failed] == ["backend"]
    assert "tensorflow, jax or torch" in failed[0].fix


def test_doctor_fails_for_a_bad_flag(monkeypatch):
    monkeypatch.setenv("CELLCOURSE_QUICK", "yes please")
    failed = [f for f in diagnose(check_gpu=False) if f.status == "fail"]
    assert failed and "CELLCOURSE_QUICK" in failed[0].value


def test_run_unknown_chapter_exit_code(capsys):
    assert main(["run", "42_nothing"]) == 2
    assert "no course notebook" in capsys.readouterr().err


def test_bad_environment_gives_a_message_not_a_traceback(monkeypatch, capsys):
    monkeypatch.setenv("CELLCOURSE_QUICK", "sometimes")
    assert main(["run", "00_microscopy_images"]) == 2
    assert "CELLCOURSE_QUICK must be 1 or 0" in capsys.readouterr().err


def test_missing_dependency_is_explained(monkeypatch, capsys):
    import builtins

    real_import = builtins.__import__

    def no_nbformat(name, *args, **kwargs):
        if name == "nbformat" or name.startswith("nbformat."):
            raise ModuleNotFoundError("No module named 'nbformat'", name="nbformat")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(__import__("sys").modules, "cellcourse.authoring", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_nbformat)
    assert main(["build", "--check"]) == 2
    assert "'nbformat' is not installed" in capsys.readouterr().err
