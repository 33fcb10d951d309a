"""Model packaging: the model card, atomic saving, safe loading, SavedModel export."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

import cellcourse as cc
from cellcourse import packaging
from cellcourse.packaging import (
    ModelCard,
    UnsafeModelError,
    export_model,
    load_card,
    load_exported,
    load_model,
    max_abs_difference,
    model_card,
    save_model,
)


def threshold_model(n_outputs=3):
    """A 1 x 1 convolution whose softmax says 'interior' where x > 0.5, else 'background'."""
    inputs = keras.Input((None, None, 1))
    conv = keras.layers.Conv2D(n_outputs, 1, activation="softmax", name="classes")
    model = keras.Model(inputs, conv(inputs))
    kernel = np.zeros((1, 1, 1, n_outputs), np.float32)
    bias = np.zeros(n_outputs, np.float32)
    kernel[..., 1], bias[1] = 40.0, -20.0  # interior logit > 0 = background logit iff x > 0.5
    if n_outputs > 2:
        bias[2] = -100.0  # boundary never
    conv.set_weights([kernel, bias])
    return model


def card_for(**changes):
    kwargs = dict(tile_shape=32, overlap=4, metrics={"test_dice": 0.5})
    kwargs.update(changes)
    return model_card("squares", "Bright squares on a dark background.", "bbbc039_nuclei", **kwargs)


# --- the card ----------------------------------------------------------------------------
def test_card_takes_licence_citation_and_doi_from_the_registry():
    card = card_for()
    assert card.licence == "CC0-1.0"
    assert "Caicedo" in card.citation
    assert card.doi == ("10.1002/cyto.a.23863", "10.1038/nmeth.2083")
    assert card.tile_shape == (32, 32) and card.overlap == 4
    assert card.versions["keras"] == keras.__version__
    assert card.versions["cellcourse"] == cc.__version__
    assert card.versions["backend"].startswith(keras.backend.backend())


def test_card_for_own_data_needs_licence_and_citation():
    with pytest.raises(ValueError, match="pass its licence and citation"):
        model_card("m", "my nuclei", "lab_images_2024")
    card = model_card("m", "my nuclei", "lab_images_2024", licence="CC-BY-4.0", citation="Us 2024")
    assert card.licence == "CC-BY-4.0" and card.doi == ()
    with pytest.raises(ValueError, match="come from the registry"):
        model_card("m", "nuclei", "bbbc039_nuclei", licence="MIT", citation="x")


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"overlap": 16}, "2 \\* overlap < tile size"),
        ({"postprocessing": "otsu"}, "expected postprocessing as one of"),
        ({"postprocessing_params": {"threshold": 0.4}}, "unknown \\['threshold'\\]"),
        ({"normalization": (99.8, 1.0)}, "0 <= low < high <= 100"),
        ({"metrics": {"dice": float("nan")}}, "finite numbers"),
    ],
)
def test_invalid_cards_are_refused_with_what_was_received(changes, message):
    with pytest.raises(ValueError, match=message):
        card_for(**changes)


def test_card_round_trips_through_json_and_renders_markdown():
    card = card_for(postprocessing_params={"interior_threshold": 0.6, "min_size": 5})
    data = json.loads(json.dumps(card.to_dict()))
    assert data["format"] == "cellcourse-model-card"
    assert ModelCard.from_dict(data) == card
    text = card.to_markdown()
    assert "# Model card: squares" in text
    assert "CC0-1.0" in text and "https://doi.org/10.1002/cyto.a.23863" in text
    assert "| test_dice | 0.5 |" in text
    assert "labels_from_classes(interior_threshold=0.6, min_size=5)" in text
    with pytest.raises(ValueError, match="version 1"):
        ModelCard.from_dict({**data, "version": 2})


# --- saving and loading ------------------------------------------------------------------
def test_save_and_load_model_with_card(tmp_path):
    model, card = threshold_model(), card_for()
    folder = save_model(model, tmp_path / "m", card)
    assert sorted(p.name for p in folder.iterdir()) == ["MODEL_CARD.md", "card.json", "model.keras"]
    assert load_card(folder) == card
    assert load_card(folder / "model.keras") == card
    x = np.linspace(0, 1, 16, dtype=np.float32).reshape(1, 4, 4, 1)
    reloaded = load_model(folder)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(reloaded(x)), keras.ops.convert_to_numpy(model(x))
    )
    # exactly the pixels above 0.5 are 'interior'
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(reloaded(x)).argmax(-1)[0], (x[0, ..., 0] > 0.5) * 1
    )


def test_save_refuses_to_overwrite_unless_asked(tmp_path):
    card = card_for()
    save_model(threshold_model(), tmp_path / "m", card)
    before = (tmp_path / "m" / "card.json").read_text()
    with pytest.raises(FileExistsError, match="overwrite=True"):
        save_model(threshold_model(), tmp_path / "m", card_for(metrics={"test_dice": 0.9}))
    assert (tmp_path / "m" / "card.json").read_text() == before
    save_model(
        threshold_model(), tmp_path / "m", card_for(metrics={"test_dice": 0.9}), overwrite=True
    )
    assert load_card(tmp_path / "m").metrics == {"test_dice": 0.9}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no staging or old folders left


def test_a_failed_save_leaves_nothing_behind(tmp_path, monkeypatch):
    model = threshold_model()

    def broken_save(path, *args, **kwargs):
        path.write_bytes(b"half a model")
        raise OSError("disk full")

    monkeypatch.setattr(model, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_model(model, tmp_path / "m", card_for())
    assert list(tmp_path.iterdir()) == []


def test_save_checks_that_model_and_card_fit(tmp_path):
    with pytest.raises(ValueError, match=r"needs a model output \(S, Y, X, 3\)"):
        save_model(threshold_model(n_outputs=2), tmp_path / "m", card_for())
    with pytest.raises(TypeError, match="ModelCard"):
        save_model(threshold_model(), tmp_path / "m", {"name": "m"})
    assert not (tmp_path / "m").exists()


def lambda_model():
    inputs = keras.Input((None, None, 1))
    x = keras.layers.Lambda(lambda t: t * 2.0, name="double")(inputs)  # Python code in the file
    outputs = keras.layers.Conv2D(3, 1, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def test_safe_mode_refuses_a_model_that_holds_code(tmp_path):
    folder = save_model(lambda_model(), tmp_path / "m", card_for())
    with pytest.raises(UnsafeModelError, match="trusted=True"):
        load_model(folder)
    with pytest.raises(UnsafeModelError):
        load_model(folder / "model.keras")
    model = load_model(folder, trusted=True)
    assert model.get_layer("double") is not None


def test_load_model_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model file"):
        load_model(tmp_path)
    with pytest.raises(ValueError, match="a model folder or a .keras file"):
        load_model(tmp_path / "model.h5")
    with pytest.raises(FileNotFoundError, match="no model card"):
        load_card(tmp_path)
    with pytest.raises(TypeError, match="trusted as True or False"):
        load_model(tmp_path, trusted="yes")


# --- export ------------------------------------------------------------------------------
def test_exported_unet_agrees_with_the_original(tmp_path):
    # on JAX and PyTorch the export runs in a TensorFlow process (see the test below)
    cc.set_seed(0)
    model = cc.models.unet(depth=2, base_filters=4, batch_norm=False)
    images = np.random.default_rng(0).random((2, 48, 64, 1)).astype(np.float32)
    path = export_model(model, tmp_path / "export")
    assert (path / "saved_model.pb").is_file()
    served = load_exported(path)
    assert served(images).shape == (2, 48, 64, 3)
    assert max_abs_difference(model, served, images) <= 1e-4
    # the comparison can fail: another network's outputs differ
    other = cc.models.unet(depth=2, base_filters=4, batch_norm=False)
    assert max_abs_difference(other, served, images) > 1e-3
    with pytest.raises(FileExistsError, match="overwrite=True"):
        export_model(model, path)


def test_export_from_another_backend_goes_through_a_tensorflow_process(tmp_path, monkeypatch):
    # the path JAX and PyTorch take: a .keras file, exported by a fresh Python on TensorFlow
    calls = []
    original = packaging._export_through_tensorflow

    def spy(*args):
        calls.append(args[1:])
        return original(*args)

    monkeypatch.setattr(keras.backend, "backend", lambda: "torch")
    monkeypatch.setattr(packaging, "_export_through_tensorflow", spy)
    cc.set_seed(0)
    model = cc.models.unet(depth=2, base_filters=4, batch_norm=False)
    path = export_model(model, tmp_path / "export")
    assert len(calls) == 1 and calls[0][1] == "tf_saved_model"
    images = np.random.default_rng(0).random((1, 32, 48, 1)).astype(np.float32)
    assert max_abs_difference(model, load_exported(path), images) <= 1e-4
    assert [p.name for p in tmp_path.iterdir()] == ["export"]  # no staging folder left


def test_export_needs_tensorflow_installed(tmp_path, monkeypatch):
    monkeypatch.setattr(packaging, "_tensorflow_installed", lambda: False)
    with pytest.raises(RuntimeError, match="tensorflow package, which is not installed"):
        export_model(threshold_model(), tmp_path / "export")
    assert not (tmp_path / "export").exists()


def test_a_failed_export_in_the_tensorflow_process_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    monkeypatch.setattr(packaging, "_EXPORT_IN_TENSORFLOW", "raise SystemExit('disk full')")
    with pytest.raises(RuntimeError, match="exporting through TensorFlow failed.*disk full"):
        export_model(threshold_model(), tmp_path / "export")
    assert list(tmp_path.iterdir()) == []


def test_load_exported_and_compare_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no SavedModel"):
        load_exported(tmp_path)
    with pytest.raises(ValueError, match=r"\(S, Y, X, C\)"):
        max_abs_difference(threshold_model(), threshold_model(), np.zeros((4, 4, 1)))
    assert packaging.POSTPROCESSING["labels_from_classes"] == 3


def test_onnx_export_agrees_with_the_original(tmp_path):
    for name in ("onnx", "tf2onnx", "onnxruntime"):
        pytest.importorskip(name)
    cc.set_seed(0)
    model = cc.models.unet(depth=2, base_filters=4, batch_norm=False)
    images = np.random.default_rng(0).random((2, 48, 64, 1)).astype(np.float32)
    path = export_model(model, tmp_path / "unet.onnx", format="onnx")
    served = load_exported(path)
    assert served(images).shape == (2, 48, 64, 3)
    assert max_abs_difference(model, served, images) <= 1e-4
    bigger = np.random.default_rng(1).random((1, 96, 32, 1)).astype(np.float32)
    assert max_abs_difference(model, served, bigger) <= 1e-4  # Y and X stay free


def test_export_arguments_are_checked(tmp_path):
    with pytest.raises(ValueError, match="one of \\('tf_saved_model', 'onnx'\\); got 'tflite'"):
        export_model(threshold_model(), tmp_path / "m", format="tflite")
    with pytest.raises(ValueError, match="ending in .onnx; got m.pb"):
        export_model(threshold_model(), tmp_path / "m.pb", format="onnx")
    with pytest.raises(FileNotFoundError, match="no ONNX file"):
        load_exported(tmp_path / "missing.onnx")
