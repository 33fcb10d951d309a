"""How long instance matching takes on a BBBC039-sized image: a benchmark, not a test.

Times the functions of :mod:`cellcourse.metrics.instances` on two 520 x 696
label images with about 200 objects each (the ground truth and a perturbed copy
standing in for a prediction), and prints the median time per call over
repeated runs. For comparison it also times the obvious loop over true objects
that the joint-histogram ``iou_matrix`` replaces.

The ground truth is built from real BBBC039 annotations when a data mirror is
configured (``CELLCOURSE_DATA_MIRROR``, read through ``cellcourse.settings()``),
else from :func:`cellcourse.synthetic.nuclei_image`; ``--synthetic`` forces the latter.

Run from the repository root::

    python benchmarks/bench_instance_matching.py [--repeats 30] [--synthetic]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
from skimage.segmentation import expand_labels

import cellcourse as cc
from cellcourse.metrics import instances

SHAPE = (520, 696)  # BBBC039 image size (Y, X)
TARGET_OBJECTS = 200


def _real_truth() -> np.ndarray:
    """BBBC039 image 0 plus whole nuclei of image 1 (and of flipped copies) that fit beside them.

    One BBBC039 image holds 70 to 160 nuclei; pasting more annotated nuclei
    into the background brings a field to about 200 real nucleus shapes.
    """
    labels = cc.datasets.load_bbbc039(n_images=2, progress=False).labels
    truth = labels[0].astype(np.int32)
    flips = (labels[1], labels[1][::-1, ::-1], labels[0][::-1, :], labels[1][:, ::-1])
    for extra in flips:
        for value in np.unique(extra)[1:]:
            if truth.max() >= TARGET_OBJECTS:
                return truth
            obj = extra == value
            if not truth[obj].any():  # only whole nuclei that overlap nothing
                truth[obj] = truth.max() + 1
    return truth


def _synthetic_truth() -> np.ndarray:
    _, truth = cc.synthetic.nuclei_image(
        SHAPE, n_nuclei=TARGET_OBJECTS, radius=(8.0, 15.0), touching=True, rng=0
    )
    return truth


def _prediction(truth: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A plausible prediction: shifted, a pixel fatter, some nuclei split, missed or invented."""
    pred = expand_labels(np.roll(truth, (1, 2), axis=(0, 1)), distance=1)
    ids = np.unique(pred)[1:]
    next_id = int(ids.max()) + 1
    yy, xx = np.indices(pred.shape)
    for value in rng.choice(ids, size=len(ids) // 10, replace=False):  # 10 % split in two
        obj = pred == value
        pred[obj & (xx > xx[obj].mean())] = next_id
        next_id += 1
    pred[np.isin(pred, rng.choice(ids, size=len(ids) // 20, replace=False))] = 0  # 5 % missed
    for _ in range(len(ids) // 20):  # 5 % false positives: small squares on background
        y, x = rng.integers(0, pred.shape[0] - 6), rng.integers(0, pred.shape[1] - 6)
        if not pred[y : y + 6, x : x + 6].any():
            pred[y : y + 6, x : x + 6] = next_id
            next_id += 1
    # shuffle the label values: a prediction's ids have nothing to do with the truth's
    values = np.unique(pred)[1:]
    lut = np.zeros(next_id, dtype=np.int32)
    lut[values] = rng.permutation(len(values)) + 1
    return lut[pred]


def _loop_iou(true_labels: np.ndarray, pred_labels: np.ndarray) -> np.ndarray:
    """The same IoU matrix with a Python loop over true objects (for comparison only)."""
    true_ids = np.unique(true_labels)[1:]
    pred_ids, pred_area = np.unique(pred_labels, return_counts=True)
    column = {int(v): j for j, v in enumerate(pred_ids[1:] if pred_ids[0] == 0 else pred_ids)}
    pred_area = pred_area[1:] if pred_ids[0] == 0 else pred_area
    iou = np.zeros((len(true_ids), len(column)))
    for i, value in enumerate(true_ids):
        obj = true_labels == value
        under, counts = np.unique(pred_labels[obj], return_counts=True)
        for p, c in zip(under, counts, strict=True):
            if p:
                j = column[int(p)]
                iou[i, j] = c / (obj.sum() + pred_area[j] - c)
    return iou


def _median_ms(function, repeats: int) -> tuple[float, float]:
    function()  # warm-up: imports, caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times)), 1000 * float(np.min(times))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="timed calls per function")
    parser.add_argument("--synthetic", action="store_true", help="do not use BBBC039")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1; got {args.repeats}")

    use_real = not args.synthetic and cc.settings().mirror is not None
    truth = _real_truth() if use_real else _synthetic_truth()
    pred = _prediction(truth, np.random.default_rng(0))
    source = (
        "BBBC039 (images 0 and 1, with flipped copies)"
        if use_real
        else "synthetic (cellcourse.synthetic)"
    )

    reference = _loop_iou(truth, pred)
    if not np.allclose(reference, instances.iou_matrix(truth, pred)):
        raise RuntimeError("iou_matrix disagrees with the loop: the timings would mean nothing")

    m = instances.match_instances(truth, pred)
    print(f"label images  {truth.shape[0]} x {truth.shape[1]}, source: {source}")
    print(f"objects       {m.n_true} true, {m.n_pred} predicted; at IoU 0.5: {m.tp} TP, ", end="")
    print(f"{m.fp} FP, {m.fn} FN, F1 {m.f1:.3f}")
    print(
        f"machine       {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, NumPy {np.__version__}"
    )
    print(f"timing        median (and fastest) of {args.repeats} calls, after one warm-up call\n")

    cases = [
        ("iou_matrix", lambda: instances.iou_matrix(truth, pred)),
        ("match_instances, threshold 0.5", lambda: instances.match_instances(truth, pred, 0.5)),
        ("match_instances, threshold 0.3", lambda: instances.match_instances(truth, pred, 0.3)),
        ("average_precision_dsb (10 thr.)", lambda: instances.average_precision_dsb(truth, pred)),
        ("panoptic_quality", lambda: instances.panoptic_quality(truth, pred)),
        ("split_merge_counts", lambda: instances.split_merge_counts(truth, pred)),
        ("IoU by a loop over true objects", lambda: _loop_iou(truth, pred)),
    ]
    width = max(len(name) for name, _ in cases)
    print(f"{'function':<{width}}  {'median ms':>10}  {'min ms':>8}")
    print(f"{'-' * width}  {'-' * 10}  {'-' * 8}")
    for name, function in cases:
        median, fastest = _median_ms(function, args.repeats)
        print(f"{name:<{width}}  {median:>10.2f}  {fastest:>8.2f}")


if __name__ == "__main__":
    main()
