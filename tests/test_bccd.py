"""BCCD blood-cell crops: counts, shapes, groups and crops checked against the raw files."""

from __future__ import annotations

import time
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from skimage.transform import resize

from cellcourse import datasets
from cellcourse.datasets import BloodCells, load_bccd_cells, prepared_path
from cellcourse.download import dataset_paths

MIRROR = Path(__file__).resolve().parents[2] / "shared" / "data" / "mirror"
needs_mirror = pytest.mark.skipif(not MIRROR.is_dir(), reason="shared data mirror not present")


@pytest.fixture(scope="module")
def cells(data_env):
    """The crops at the default size, prepared once (about 10 s)."""
    return load_bccd_cells(progress=False)


@pytest.fixture
def real_env(data_env, monkeypatch):
    monkeypatch.setenv("CELLCOURSE_DATA_DIR", str(data_env))
    monkeypatch.setenv("CELLCOURSE_DATA_MIRROR", str(MIRROR))
    return data_env


def _expected_crop(image, y0, x0, side, size):
    """Reference crop: the square window of a reflection-padded image, resized."""
    pad = side
    padded = np.pad(image, ((pad, pad), (pad, pad), (0, 0)), mode="reflect")
    window = padded[y0 + pad : y0 + pad + side, x0 + pad : x0 + pad + side]
    small = resize(window, (size, size), anti_aliasing=True, preserve_range=True)
    return np.clip(np.round(small), 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------------------
# the real dataset
# ----------------------------------------------------------------------------------------


@needs_mirror
def test_counts_match_the_data_readme(cells):
    # data README: 4,888 boxes = 4,155 RBC + 372 WBC + 361 Platelets, two zero-size RBC boxes
    assert cells.class_names == ["Platelets", "RBC", "WBC"]
    assert len(cells) == 4886
    np.testing.assert_array_equal(np.bincount(cells.y, minlength=3), [361, 4153, 372])
    assert cells.n_skipped == 2
    assert len(cells) + cells.n_skipped == 4888


@needs_mirror
def test_arrays_have_the_documented_shapes_and_dtypes(cells):
    n = len(cells)
    assert cells.x.shape == (n, 64, 64, 3) and cells.x.dtype == np.uint8
    assert cells.y.shape == (n,) and cells.y.dtype == np.int64
    assert cells.boxes.shape == (n, 4) and cells.boxes.dtype == np.int64
    assert cells.source.shape == (n,) and cells.source.dtype.kind == "U"
    assert cells.axes == "SYXC"
    assert isinstance(cells, BloodCells)
    xmin, ymin, xmax, ymax = cells.boxes.T
    assert np.all((0 <= xmin) & (xmin < xmax) & (xmax <= 640))
    assert np.all((0 <= ymin) & (ymin < ymax) & (ymax <= 480))
    assert cells.x[::50].std() > 10  # real images, not an empty array


@needs_mirror
def test_licence_citation_and_repr(cells):
    assert cells.licence == "MIT"
    assert "Shenggan" in cells.citation and "undocumented" in cells.citation
    text = repr(cells)
    assert "4886 crops" in text and "364 images" in text
    assert "Platelets 361" in text and "RBC 4153" in text and "WBC 372" in text
    assert "2 boxes skipped" in text


@needs_mirror
def test_every_source_is_an_image_and_the_skipped_boxes_are_the_documented_ones(cells, real_env):
    paths = dataset_paths("bccd_blood_cells", progress=False)
    jpgs = {Path(p).stem for p in paths if p.startswith("BCCD/JPEGImages/")}
    assert set(cells.source) == jpgs and len(jpgs) == 364
    assert all(s.startswith("BloodImage_") for s in cells.source)
    # count <object> tags by plain text, independently of the loader's XML parsing
    n_objects = {
        Path(p).stem: Path(f).read_text().count("<object>")
        for p, f in paths.items()
        if p.startswith("BCCD/Annotations/")
    }
    assert sum(n_objects.values()) == 4888
    crops_per_image = dict(zip(*np.unique(cells.source, return_counts=True), strict=True))
    short = {s for s in n_objects if n_objects[s] != crops_per_image.get(s, 0)}
    assert short == {"BloodImage_00338", "BloodImage_00343"}
    assert all(n_objects[s] - crops_per_image[s] == 1 for s in short)


@needs_mirror
def test_a_crop_is_its_box_resized(cells, real_env):
    paths = dataset_paths("bccd_blood_cells", progress=False)
    xmin, ymin, xmax, ymax = cells.boxes.T
    # a square box well inside the image: the crop is exactly the resized box
    square = np.flatnonzero((xmax - xmin == ymax - ymin) & (xmin > 0) & (ymin > 0))
    i = int(square[0])
    image = iio.imread(paths[f"BCCD/JPEGImages/{cells.source[i]}.jpg"])
    box = image[ymin[i] : ymax[i], xmin[i] : xmax[i]]
    expected = resize(box, (64, 64), anti_aliasing=True, preserve_range=True)
    np.testing.assert_array_equal(cells.x[i], np.clip(np.round(expected), 0, 255))
    # a wide box: the square window is centred on it, as tall as the box is wide
    wide = np.flatnonzero((xmax - xmin) - (ymax - ymin) >= 10)
    j = int(wide[len(wide) // 2])
    image = iio.imread(paths[f"BCCD/JPEGImages/{cells.source[j]}.jpg"])
    w, h = xmax[j] - xmin[j], ymax[j] - ymin[j]
    y0 = ymin[j] - (w - h) // 2
    np.testing.assert_array_equal(cells.x[j], _expected_crop(image, y0, xmin[j], w, 64))


@needs_mirror
def test_classes_look_like_their_stain(cells):
    # RBCs are reddish (blue below red); WBC nuclei and platelets stain purple-blue.
    # A mix-up of crops and labels would break this.
    blue_minus_red = cells.x[..., 2].astype(float).mean(axis=(1, 2)) - cells.x[..., 0].mean(
        axis=(1, 2)
    )
    mean = {name: blue_minus_red[cells.y == k].mean() for k, name in enumerate(cells.class_names)}
    assert mean["RBC"] < 0 < mean["Platelets"] < mean["WBC"]


@needs_mirror
def test_the_cache_is_fast_and_identical(cells, real_env):
    path = prepared_path("bccd_blood_cells")
    cached = path.with_name("bccd_blood_cells-v1-s64.npz")
    assert cached.exists()
    start = time.perf_counter()
    again = load_bccd_cells(progress=False)
    assert time.perf_counter() - start < 5  # preparing takes about 10 s
    for name in ("x", "y", "source", "boxes"):
        np.testing.assert_array_equal(getattr(again, name), getattr(cells, name))
    assert again.n_skipped == cells.n_skipped and again.class_names == cells.class_names


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        (15, ValueError),
        (513, ValueError),
        (0, ValueError),
        (64.0, TypeError),
        ("64", TypeError),
        (True, TypeError),
        (None, TypeError),
    ],
)
def test_bad_sizes_are_rejected_before_any_work(bad, error, tmp_path, monkeypatch):
    empty = tmp_path / "empty-mirror"
    empty.mkdir()
    monkeypatch.setenv("CELLCOURSE_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CELLCOURSE_DATA_MIRROR", str(empty))
    with pytest.raises(error, match="size"):
        load_bccd_cells(size=bad, progress=False)
    assert not (tmp_path / "cache").exists()


# ----------------------------------------------------------------------------------------
# clipping and skipping, on a tiny hand-made dataset
# ----------------------------------------------------------------------------------------

_XML = """<annotation>
  <filename>{name}.jpg</filename>
  <size><width>64</width><height>48</height><depth>3</depth></size>
  {objects}
</annotation>"""
_OBJECT = (
    "<object><name>{cls}</name><bndbox><xmin>{0}</xmin><ymin>{1}</ymin>"
    "<xmax>{2}</xmax><ymax>{3}</ymax></bndbox></object>"
)


def _fake_dataset(tmp_path, monkeypatch, images):
    """Write VOC files and JPEGs; make the loader read them instead of the registry's."""
    rng = np.random.default_rng(0)
    paths = {}
    for name, objects in images.items():
        xml = tmp_path / f"{name}.xml"
        body = "".join(_OBJECT.format(*box, cls=cls) for cls, box in objects)
        xml.write_text(_XML.format(name=name, objects=body))
        jpg = tmp_path / f"{name}.jpg"
        iio.imwrite(jpg, rng.integers(0, 256, (48, 64, 3), dtype=np.uint8), extension=".jpg")
        paths[f"BCCD/Annotations/{name}.xml"] = xml
        paths[f"BCCD/JPEGImages/{name}.jpg"] = jpg
    monkeypatch.setattr(datasets, "dataset_paths", lambda name, progress=True: paths)
    monkeypatch.setenv("CELLCOURSE_DATA_DIR", str(tmp_path / "cache"))
    return paths


def test_boxes_are_clipped_or_skipped(tmp_path, monkeypatch):
    objects = [
        (" RBC\n", (10, 10, 30, 40)),  # inside; the class name has stray white space
        ("WBC", (50, -5, 70, 15)),  # sticks out at the top and right: clipped to (50, 0, 64, 15)
        ("Platelets", (5, 5, 5, 9)),  # zero width: skipped
        ("RBC", (30, 30, 20, 40)),  # negative width: skipped
        ("RBC", (100, 100, 120, 120)),  # wholly outside the 64 x 48 image: skipped
        ("Platelets", (60, 20, 90, 30)),  # clipped to (60, 20, 64, 30)
    ]
    paths = _fake_dataset(
        tmp_path, monkeypatch, {"BloodImage_00002": objects, "BloodImage_00001": []}
    )
    cells = load_bccd_cells(size=16, progress=False)
    assert cells.n_skipped == 3
    assert cells.y.tolist() == [1, 2, 0]  # RBC, WBC, Platelets
    np.testing.assert_array_equal(
        cells.boxes, [[10, 10, 30, 40], [50, 0, 64, 15], [60, 20, 64, 30]]
    )
    assert cells.source.tolist() == ["BloodImage_00002"] * 3
    assert cells.x.shape == (3, 16, 16, 3)
    image = iio.imread(paths["BCCD/JPEGImages/BloodImage_00002.jpg"])
    # box 20 wide, 30 tall -> square of side 30 from x = 10 - 5
    np.testing.assert_array_equal(cells.x[0], _expected_crop(image, 10, 5, 30, 16))
    # clipped box 14 wide, 15 tall -> side 15 from x = 50 - 0 (integer half of 1); the
    # square runs past the right edge and is filled by reflection
    np.testing.assert_array_equal(cells.x[1], _expected_crop(image, 0, 50, 15, 16))
    # 4 wide, 10 tall -> side 10 from x = 60 - 3, y = 20
    np.testing.assert_array_equal(cells.x[2], _expected_crop(image, 20, 57, 10, 16))
    assert prepared_path("bccd_blood_cells").with_name("bccd_blood_cells-v1-s16.npz").exists()


def test_unknown_class_is_reported_with_its_file(tmp_path, monkeypatch):
    _fake_dataset(tmp_path, monkeypatch, {"BloodImage_00001": [("Neutrophil", (1, 1, 9, 9))]})
    with pytest.raises(ValueError, match=r"'Neutrophil' in .*BloodImage_00001\.xml"):
        load_bccd_cells(size=16, progress=False)
    assert not list((tmp_path / "cache").glob("prepared/*.npz"))
