"""Loaders: documented shapes, dtypes, groups and licences, from the verified registry."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cellcourse import datasets
from cellcourse.datasets import load_bbbc039, prepared_path

MIRROR = Path(__file__).resolve().parents[2] / "shared" / "data" / "mirror"
pytestmark = pytest.mark.skipif(not MIRROR.is_dir(), reason="shared data mirror not present")


@pytest.fixture
def bbbc039(data_env, monkeypatch):
    monkeypatch.setenv("CELLCOURSE_DATA_DIR", str(data_env))
    monkeypatch.setenv("CELLCOURSE_DATA_MIRROR", str(MIRROR))
    return load_bbbc039(progress=False)


def test_bbbc039_arrays_match_the_documentation(bbbc039):
    d = bbbc039
    assert d.images.shape == (100, 520, 696) and d.images.dtype == np.uint16
    assert d.labels.shape == (100, 520, 696) and d.labels.dtype == np.int32
    assert d.images.max() <= 4095  # 12-bit camera
    assert d.labels.min() == 0
    # 12,000 nuclei in the first 100 masks (data README), one empty field
    counts = [len(np.unique(lab)) - 1 for lab in d.labels]
    assert sum(counts) == 12000
    assert counts.count(0) == 1
    assert d.names[counts.index(0)].startswith("IXMtest_F13_s7_")
    assert d.licence == "CC0-1.0" and "10.1002/cyto.a.23863" in d.doi
    assert len(d.names) == len(d.wells) == len(d.sites) == 100
    assert d.wells[0] == "A02" and d.sites[0] == 1
    assert "100 images" in repr(d)


def test_bbbc039_subset_and_cache(bbbc039, data_env, monkeypatch):
    monkeypatch.setenv("CELLCOURSE_DATA_DIR", str(data_env))
    assert prepared_path("bbbc039_nuclei").exists()
    small = load_bbbc039(n_images=3, progress=False)
    assert small.images.shape == (3, 520, 696)
    np.testing.assert_array_equal(small.labels, bbbc039.labels[:3])


def test_damaged_prepared_cache_is_rebuilt(bbbc039, data_env, monkeypatch):
    monkeypatch.setenv("CELLCOURSE_DATA_DIR", str(data_env))
    path = prepared_path("bbbc039_nuclei")
    path.write_bytes(path.read_bytes()[:1000])  # an interrupted write from an old version
    again = load_bbbc039(n_images=2, progress=False)
    np.testing.assert_array_equal(again.images, bbbc039.images[:2])
    assert path.stat().st_size > 10_000_000


@pytest.mark.parametrize("bad", [0, 101, -1, 2.5, "3", True])
def test_bbbc039_rejects_bad_counts(bad, data_env, monkeypatch):
    monkeypatch.setenv("CELLCOURSE_DATA_DIR", str(data_env))
    with pytest.raises((TypeError, ValueError), match="n_images"):
        load_bbbc039(n_images=bad)


def test_missing_mirror_file_leaves_no_prepared_cache(tmp_path, monkeypatch):
    empty_mirror = tmp_path / "mirror"
    empty_mirror.mkdir()
    monkeypatch.setenv("CELLCOURSE_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CELLCOURSE_DATA_MIRROR", str(empty_mirror))
    with pytest.raises(datasets.DownloadError, match="missing from the mirror"):
        load_bbbc039(progress=False)
    assert not prepared_path("bbbc039_nuclei").exists()


def test_dsb2018_image_matches_the_documentation(data_env, monkeypatch):
    monkeypatch.setenv("CELLCOURSE_DATA_DIR", str(data_env))
    data = datasets.load_dsb2018_image(progress=False)
    assert data.images.shape == (1, 512, 512) and data.images.dtype == np.uint16
    assert data.images.max() == 235  # an 8-bit range in a 16-bit file
    assert data.labels.shape == (1, 512, 512) and data.labels.dtype == np.int32
    # 125 nuclei, renumbered 1..125 from ids that ran to 183
    assert np.array_equal(np.unique(data.labels), np.arange(126))
    assert data.names == ["img2d"] and data.axes == "SYX"
    assert "CC0" in data.licence or "BSD" in data.licence
