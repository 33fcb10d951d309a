"""The In silico labeling loader (chapter 10): arrays, selection, cache, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from cellcourse.datasets import load_insilico_labeling


def test_loads_the_stack_and_the_targets(data_env):
    data = load_insilico_labeling(progress=False)
    assert data.phase.shape == (13, 1024, 1024) and data.phase.dtype == np.float32
    assert data.z_planes == tuple(range(13)) and data.axes == "ZYX"
    assert data.channels == ("DAPI", "MAP2", "NFH") == tuple(data.targets)
    for image in data.targets.values():
        assert image.shape == (1024, 1024) and image.dtype == np.float32
        assert 0.0 <= image.min() and image.max() <= 1.0
    # values are uint16 / 65535: the targets reach saturation, the phase spans the range
    assert data.targets["DAPI"].max() == 1.0 and data.phase.min() == 0.0
    assert data.licence == "CC-BY-4.0" and "10.1016/j.cell.2018.03.040" in data.doi
    assert "phase (13, 1024, 1024)" in repr(data)
    assert (data_env / "prepared" / "insilico_labeling_sample-v1.npz").exists()


def test_selects_planes_and_channels_in_the_order_asked(data_env):
    full = load_insilico_labeling(progress=False)
    some = load_insilico_labeling(z_planes=[8, 2], channels=["MAP2"], progress=False)
    assert some.z_planes == (8, 2) and some.channels == ("MAP2",)
    np.testing.assert_array_equal(some.phase, full.phase[[8, 2]])
    np.testing.assert_array_equal(some.targets["MAP2"], full.targets["MAP2"])
    assert some.available_channels == ("DAPI", "MAP2", "NFH")
    one = load_insilico_labeling(z_planes=6, channels="DAPI", progress=False)
    assert one.phase.shape == (1, 1024, 1024) and one.channels == ("DAPI",)


def test_bad_requests_list_what_exists(data_env):
    with pytest.raises(ValueError, match=r"z planes \[13\] do not exist.*\[0, 1, 2"):
        load_insilico_labeling(z_planes=[4, 13], progress=False)
    with pytest.raises(ValueError, match=r"channels \['GFP'\] do not exist.*'DAPI', 'MAP2', 'NFH'"):
        load_insilico_labeling(channels=["DAPI", "GFP"], progress=False)
    with pytest.raises(ValueError, match="once"):
        load_insilico_labeling(z_planes=[3, 3], progress=False)
    with pytest.raises(ValueError, match="at least one"):
        load_insilico_labeling(channels=[], progress=False)
    with pytest.raises(TypeError, match="integers"):
        load_insilico_labeling(z_planes=[2.0], progress=False)
