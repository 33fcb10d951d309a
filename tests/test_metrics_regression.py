"""Pearson r, SSIM and PSNR of predicted images: values worked out by hand, validation."""

from __future__ import annotations

import numpy as np
import pytest

from cellcourse.metrics import pearson_r, psnr, ssim


def test_pearson_r_by_hand():
    t = np.array([[0.0, 1.0], [2.0, 3.0]])
    # centred: t = (-1.5, -0.5, 0.5, 1.5), p = (-1.5, -0.5, 1.5, 0.5); cov 4, var 5 and 5
    assert pearson_r(t, np.array([[0.0, 1.0], [3.0, 2.0]])) == pytest.approx(4 / 5)
    assert pearson_r(t, 3 * t - 7) == pytest.approx(1.0)  # offset and scale do not matter
    assert pearson_r(t, -t) == pytest.approx(-1.0)
    assert np.isnan(pearson_r(t, np.full_like(t, 0.3)))  # a constant has no correlation


def test_pearson_r_with_a_mask_scores_only_those_pixels():
    t = np.array([0.0, 1.0, 2.0, 100.0])
    p = np.array([0.0, 1.0, 2.0, -100.0])
    mask = np.array([True, True, True, False])
    assert pearson_r(t, p, mask=mask) == pytest.approx(1.0)
    assert pearson_r(t, p) < 0
    with pytest.raises(ValueError, match="mask as a bool array of shape"):
        pearson_r(t, p, mask=mask.astype(int))


def test_psnr_by_hand():
    t = np.zeros((4, 4))
    assert psnr(t, t + 0.1, data_range=1.0) == pytest.approx(20.0)  # MSE 0.01
    assert psnr(t, t + 0.1, data_range=2.0) == pytest.approx(20.0 + 20 * np.log10(2))
    assert psnr(t, t, data_range=1.0) == np.inf


def test_ssim_identical_and_degraded():
    t = np.random.default_rng(0).random((32, 32))
    assert ssim(t, t, data_range=1.0) == pytest.approx(1.0)
    noisy = t + np.random.default_rng(1).normal(0, 0.3, t.shape)
    assert ssim(t, noisy, data_range=1.0) < ssim(t, 0.5 * (t + noisy), data_range=1.0) < 1.0
    # a larger data range makes the same errors look smaller
    assert ssim(t, noisy, data_range=10.0) > ssim(t, noisy, data_range=1.0)


def test_inputs_are_validated_with_clear_messages():
    t = np.zeros((8, 8))
    with pytest.raises(ValueError, match=r"same shape; got \(8, 8\) and \(8, 7\)"):
        pearson_r(t, np.zeros((8, 7)))
    with pytest.raises(ValueError, match="finite"):
        psnr(t, np.full((8, 8), np.nan), data_range=1.0)
    with pytest.raises(TypeError, match="numeric"):
        pearson_r(t.astype(str), t)
    with pytest.raises(TypeError, match="data_range as a positive number"):
        ssim(t, t, data_range=None)
    with pytest.raises(ValueError, match="data_range > 0"):
        psnr(t, t + 1, data_range=0)
    with pytest.raises(ValueError, match="at least 7 x 7"):
        ssim(np.zeros((5, 5)), np.zeros((5, 5)), data_range=1.0)
    with pytest.raises(ValueError, match="2-D"):
        ssim(np.zeros((2, 8, 8)), np.zeros((2, 8, 8)), data_range=1.0)
