"""Batch inference: predict_folder and ``cellcourse predict``; the Dockerfile that runs it."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import imageio.v3 as iio
import keras
import numpy as np
import pytest
import tifffile

from cellcourse.cli import build_parser, main
from cellcourse.inference import predict_folder, read_image
from cellcourse.packaging import model_card, save_model

ROOT = Path(__file__).resolve().parents[1]


def threshold_model():
    """A 1 x 1 convolution whose softmax says 'interior' where x > 0.5, else 'background'."""
    inputs = keras.Input((None, None, 1))
    conv = keras.layers.Conv2D(3, 1, activation="softmax", name="classes")
    model = keras.Model(inputs, conv(inputs))
    kernel = np.zeros((1, 1, 1, 3), np.float32)
    kernel[..., 1] = 40.0
    conv.set_weights([kernel, np.array([0.0, -20.0, -100.0], np.float32)])
    return model


def squares(n, shape=(60, 80), side=6):
    """``n`` bright squares of side ``side`` on a dark background, uint16: n objects of side**2."""
    image = np.full(shape, 100, np.uint16)
    for k in range(n):
        r, c = divmod(k, 5)
        image[4 + 11 * r : 4 + 11 * r + side, 4 + 15 * c : 4 + 15 * c + side] = 1000
    return image


@pytest.fixture
def model_dir(tmp_path):
    card = model_card(
        "squares",
        "Bright squares.",
        "bbbc039_nuclei",
        normalization=(0.0, 100.0),
        tile_shape=32,
        overlap=4,
        postprocessing_params={"min_size": 4},
    )
    return save_model(threshold_model(), tmp_path / "model", card)


@pytest.fixture
def ten_good_one_corrupt(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(10):
        tifffile.imwrite(folder / f"img{i:02d}.tif", squares(i + 1))
    good = (folder / "img00.tif").read_bytes()
    (folder / "broken.tif").write_bytes(good[: len(good) // 3])  # a truncated transfer
    (folder / "notes.txt").write_text("not an image: ignored")
    return folder


def read_csv(path):
    with open(path, newline="") as f:
        return {row["file"]: row for row in csv.DictReader(f)}


def test_ten_good_images_and_one_corrupt_file_through_the_command(
    model_dir, ten_good_one_corrupt, tmp_path, capsys
):
    out = tmp_path / "out"
    code = main(["predict", str(model_dir), str(ten_good_one_corrupt), str(out), "--quiet"])
    assert code == 1  # some files failed
    captured = capsys.readouterr()
    assert "broken.tif: FAILED, skipped" in captured.err
    assert "10 of 11 images segmented" in captured.out
    written = sorted(p.name for p in out.iterdir())
    assert written == [f"img{i:02d}_labels.tif" for i in range(10)] + ["predictions.csv"]
    rows = read_csv(out / "predictions.csv")
    assert set(rows) == {f"img{i:02d}.tif" for i in range(10)} | {"broken.tif"}
    assert rows["broken.tif"]["status"] == "failed" and rows["broken.tif"]["error"]
    assert rows["broken.tif"]["objects"] == ""
    for i in range(10):
        row = rows[f"img{i:02d}.tif"]
        assert (row["status"], int(row["objects"]), float(row["mean_area"])) == ("ok", i + 1, 36.0)
        assert float(row["seconds"]) > 0
        labels = tifffile.imread(out / row["output"])
        assert labels.dtype == np.uint16 and labels.shape == (60, 80)
        np.testing.assert_array_equal(labels > 0, squares(i + 1) > 500)


def test_all_good_images_exit_zero(model_dir, ten_good_one_corrupt, tmp_path, capsys):
    (ten_good_one_corrupt / "broken.tif").unlink()
    out = tmp_path / "out"
    assert main(["predict", str(model_dir), str(ten_good_one_corrupt), str(out)]) == 0
    assert "img09.tif: 10 objects" in capsys.readouterr().out


def test_existing_outputs_are_not_overwritten_without_the_flag(
    model_dir, ten_good_one_corrupt, tmp_path, capsys
):
    out = tmp_path / "out"
    args = ["predict", str(model_dir), str(ten_good_one_corrupt), str(out), "--quiet"]
    assert main(args) == 1
    target = out / "img03_labels.tif"
    target.write_bytes(b"my own results")
    assert main(args) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert target.read_bytes() == b"my own results"
    assert main([*args, "--overwrite"]) == 1
    assert tifffile.imread(target).max() == 4


def test_model_with_code_is_refused_unless_trusted(ten_good_one_corrupt, tmp_path, capsys):
    inputs = keras.Input((None, None, 1))
    x = keras.layers.Lambda(lambda t: t * 1.0)(inputs)  # Python code stored in the file
    conv = keras.layers.Conv2D(3, 1, activation="softmax")
    model = keras.Model(inputs, conv(x))
    kernel = np.zeros((1, 1, 1, 3), np.float32)
    kernel[..., 1] = 40.0
    conv.set_weights([kernel, np.array([0.0, -20.0, -100.0], np.float32)])
    card = model_card(
        "lambda", "A model from the internet.", "bbbc039_nuclei", tile_shape=32, overlap=4
    )
    folder = save_model(model, tmp_path / "downloaded", card)
    args = ["predict", str(folder), str(ten_good_one_corrupt), str(tmp_path / "out"), "--quiet"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "safe mode refused it" in err and "--trusted" in err
    assert not (tmp_path / "out").exists()
    assert main([*args, "--trusted"]) == 1  # runs; only the corrupt file fails


def test_predict_folder_with_a_model_object_and_png_labels(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    grey = (squares(3) // 4).astype(np.uint8)
    iio.imwrite(folder / "rgb.png", np.stack([grey] * 3, axis=-1))  # grey saved as RGB
    tifffile.imwrite(folder / "stack.tif", np.stack([squares(2)] * 3), photometric="minisblack")
    card = model_card("squares", "Bright squares.", "bbbc039_nuclei", tile_shape=32, overlap=4)
    summary = predict_folder(
        threshold_model(), folder, tmp_path / "out", card=card, label_format="png", progress=False
    )
    assert not summary.ok and summary.n_ok == 1
    assert [r.file for r in summary.failed] == ["stack.tif"]
    assert "(3, 60, 80)" in summary.failed[0].error
    labels = iio.imread(tmp_path / "out" / "rgb_labels.png")
    assert labels.dtype == np.uint16 and labels.max() == 3
    assert "1 of 2 images segmented" in str(summary)


def test_predict_folder_argument_errors(model_dir, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="no .tif/.tiff/.png images"):
        predict_folder(model_dir, empty, tmp_path / "out", progress=False)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        predict_folder(model_dir, tmp_path / "nowhere", tmp_path / "out", progress=False)
    with pytest.raises(TypeError, match="ModelCard"):
        predict_folder(threshold_model(), empty, tmp_path / "out")
    with pytest.raises(ValueError, match="label_format"):
        predict_folder(model_dir, empty, tmp_path / "out", label_format="jpg")
    assert main(["predict", str(model_dir), str(empty), str(tmp_path / "out")]) == 2


def test_read_image_rejects_other_suffixes(tmp_path):
    with pytest.raises(ValueError, match="ending in"):
        read_image(tmp_path / "image.jpg")


def test_dockerfile_runs_the_predict_command():
    text = (ROOT / "Dockerfile").read_text()
    entrypoint = re.search(r"^ENTRYPOINT\s+(\[.*\])\s*$", text, flags=re.MULTILINE)
    assert entrypoint is not None, "the Dockerfile needs an ENTRYPOINT in JSON form"
    command = json.loads(entrypoint.group(1))
    assert command[:2] == ["cellcourse", "predict"]
    subcommands = build_parser()._subparsers._group_actions[0].choices
    assert command[1] in subcommands
    for line in re.findall(r"^COPY\s+(.+)$", text, flags=re.MULTILINE):
        for source in line.split()[:-1]:
            assert (ROOT / source).exists(), f"COPY source {source} is not in the repository"
