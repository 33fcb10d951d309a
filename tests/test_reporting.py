"""report_metrics: the one call notebooks use to report results and floors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cellcourse.reporting import MetricFloorError, report_metrics


def test_metrics_are_written_and_merged(monkeypatch, tmp_path, capsys):
    target = tmp_path / "m.json"
    monkeypatch.setenv("CELLCOURSE_METRICS_FILE", str(target))
    report_metrics({"test_dice": np.float32(0.5)})
    report_metrics({"test_jaccard": 0.25, "test_dice": 0.75})
    assert json.loads(target.read_text()) == {"test_dice": 0.75, "test_jaccard": 0.25}
    assert "test_jaccard" in capsys.readouterr().out


def test_floor_miss_raises_in_strict_mode(monkeypatch):
    monkeypatch.setenv("CELLCOURSE_STRICT", "1")
    with pytest.raises(MetricFloorError, match=r"test_dice = 0.4000 is below its floor 0.5000"):
        report_metrics({"test_dice": 0.4}, floors={"test_dice": 0.5})
    report_metrics({"test_dice": 0.6}, floors={"test_dice": 0.5})


def test_floor_miss_warns_outside_strict_mode(capsys):
    report_metrics({"test_dice": 0.4}, floors={"test_dice": 0.5})
    assert "below its floor" in capsys.readouterr().out


@pytest.mark.parametrize(
    "metrics, match",
    [
        ({}, "non-empty dict"),
        ([("a", 1)], "non-empty dict"),
        ({"Test Dice": 0.5}, "lower_snake_case"),
        ({"dice": float("nan")}, "finite"),
        ({"dice": "0.5"}, "real number"),
        ({"dice": np.array([0.1, 0.2])}, "real number"),
        ({"dice": True}, "real number"),
    ],
)
def test_bad_metrics_are_rejected(metrics, match):
    with pytest.raises((TypeError, ValueError), match=match):
        report_metrics(metrics)


def test_floor_for_unknown_metric_is_rejected():
    with pytest.raises(ValueError, match="not reported"):
        report_metrics({"a": 1.0}, floors={"b": 0.5})
