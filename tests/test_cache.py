"""The prepared-arrays cache: round trip, all-or-nothing writes, damaged files rebuilt."""

import numpy as np
import pytest

from cellcourse import cache


@pytest.fixture
def data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("CELLCOURSE_DATA_DIR", str(tmp_path))
    return tmp_path


def test_prepared_path_names_version_and_variant(data_folder):
    path = cache.prepared_path("bccd_blood_cells", 2, "s64")
    assert path == data_folder / "prepared" / "bccd_blood_cells-v2-s64.npz"


@pytest.mark.parametrize(
    "name, version, variant",
    [
        ("", 1, ""),
        ("../x", 1, ""),
        ("a b", 1, ""),
        ("ok", 0, ""),
        ("ok", True, ""),
        ("ok", 1, "s/1"),
    ],
)
def test_prepared_path_rejects_bad_parts(data_folder, name, version, variant):
    with pytest.raises(ValueError, match="name|version|variant"):
        cache.prepared_path(name, version, variant)


def test_prepare_once_then_read_back(data_folder):
    calls = []

    def prepare():
        calls.append(1)
        return {
            "images": np.arange(6, dtype=np.uint16).reshape(2, 3),
            "names": np.array(["a", "b"]),
        }

    path = cache.prepared_path("demo", 1)
    first = cache.cached_arrays(path, prepare)
    second = cache.cached_arrays(path, prepare)
    assert len(calls) == 1
    np.testing.assert_array_equal(first["images"], second["images"])
    assert second["images"].dtype == np.uint16 and list(second["names"]) == ["a", "b"]


def test_failed_preparation_writes_nothing(data_folder):
    path = cache.prepared_path("demo", 1)

    def prepare():
        raise RuntimeError("raw file damaged")

    with pytest.raises(RuntimeError, match="raw file damaged"):
        cache.cached_arrays(path, prepare)
    assert not path.exists()


def test_object_arrays_are_refused_before_writing(data_folder):
    path = cache.prepared_path("demo", 1)
    with pytest.raises(TypeError, match="'names' has dtype object"):
        cache.save_arrays(path, x=np.ones(3), names=np.array(["a", None], dtype=object))
    assert not path.exists()


def test_interrupted_write_leaves_no_partial_file(data_folder, monkeypatch):
    path = cache.prepared_path("demo", 1)

    def savez_then_fail(file, **arrays):
        file.write(b"PK\x03\x04 half an archive")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", savez_then_fail)
    with pytest.raises(KeyboardInterrupt):
        cache.save_arrays(path, x=np.ones(3))
    assert not path.exists() and list(path.parent.iterdir()) == []


def test_damaged_cache_is_deleted_and_rebuilt(data_folder):
    path = cache.prepared_path("demo", 1)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"PK\x03\x04 cut short")
    assert cache.load_arrays(path) is None and not path.exists()
    arrays = cache.cached_arrays(path, lambda: {"x": np.ones(3)})
    np.testing.assert_array_equal(arrays["x"], np.ones(3))
    assert path.exists()


def test_prepare_must_be_a_function_returning_a_dict(data_folder):
    path = cache.prepared_path("demo", 1)
    with pytest.raises(TypeError, match="function"):
        cache.cached_arrays(path, {"x": np.ones(3)})
    with pytest.raises(TypeError, match="dict"):
        cache.cached_arrays(path, lambda: np.ones(3))
    assert not path.exists()
    with pytest.raises(ValueError, match="at least one array"):
        cache.save_arrays(path)
