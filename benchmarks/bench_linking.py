"""How fast and how well cellcourse.tracking.link tracks real nuclei: a benchmark, not a test.

Links all 27,630 detections of the LapTrack "cell migration" dataset
(Sparse1: 86 frames of 1024 x 1024 pixels, 226-457 nuclei per frame; see
:func:`cellcourse.tracking_data.load_cellmigration`) with
:func:`cellcourse.tracking.link`, scores the result against the 571
ground-truth tracks with :mod:`cellcourse.metrics.tracking`, and does the
same with laptrack (Fukai & Kawaguchi 2023, the reference LAP tracker in
Python) for comparison: run time, scores and how many links the two share.

Three settings, each adding a step of Jaqaman et al. (2008): frame-to-frame
linking only; plus gap closing over one missing frame; plus divisions. The
same distance gate (15 px) and squared-distance costs are used for both
linkers. laptrack's ``gap_closing_max_frame_count=2`` (frames between the two
ends) is cellcourse's ``max_gap=1`` (missing frames). laptrack sets its own
"no link" costs from the data; cellcourse uses ``max_distance ** 2``.

Scores are computed against the ground truth with detections matched by
position (the detections are the same, so matching is exact). Link precision
counts every predicted link, including the links between the 1,543 detections
that belong to no ground-truth track; "P annot." counts only links between
annotated cells. TRA is the CTC measure with the point matching; ``--ctc``
also computes it the CTC way, on the ground-truth marker images, with discs of
9 pixels drawn for the result (and with py-ctcmetrics, if installed).

Targets (the course's issue tracker): link F1 >= 0.97, TRA >= 0.95, and
linking in <= 10 s.

The data come from the course registry (``CELLCOURSE_DATA_MIRROR`` or the
network). Run from the repository root::

    python benchmarks/bench_linking.py [--repeats 5] [--no-laptrack] [--ctc]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from cellcourse import tracking, tracking_data
from cellcourse.download import dataset_paths
from cellcourse.metrics import tracking as metrics

MAX_DISTANCE = 15.0  # px; nuclei move a few px per frame and sit about 20-30 px apart
SETTINGS = [
    ("frame to frame", {}, {"gap_closing_cutoff": False, "splitting_cutoff": False}),
    ("+ gap closing", {"max_gap": 1}, {"splitting_cutoff": False}),
    ("+ divisions", {"max_gap": 1, "divisions": True}, {}),
]
TARGETS = {"link_f1": 0.97, "tra": 0.95, "seconds": 10.0}


def _laptrack(detections: pd.DataFrame, options: dict) -> pd.DataFrame:
    """Link with laptrack and convert its result to a CTC track table."""
    import laptrack

    settings = {
        "cutoff": MAX_DISTANCE**2,
        "gap_closing_cutoff": MAX_DISTANCE**2,
        "gap_closing_max_frame_count": 2,
        "splitting_cutoff": MAX_DISTANCE**2,
        **options,
    }
    tracker = laptrack.LapTrack(**settings)
    track_df, split_df, _ = tracker.predict_dataframe(
        detections, coordinate_cols=["y", "x"], frame_col="frame", only_coordinate_cols=False
    )
    return _laptrack_to_ctc(detections, track_df, split_df)


def _laptrack_to_ctc(detections, track_df, split_df) -> pd.DataFrame:
    """laptrack keeps one id through a gap; the CTC starts a new track with a parent."""
    if not (
        track_df[["frame", "label"]].to_numpy() == detections[["frame", "label"]].to_numpy()
    ).all():
        raise RuntimeError("laptrack returned the detections in another order")
    table = detections.copy()
    table["lap"] = track_df["track_id"].to_numpy()
    table = table.sort_values(["lap", "frame"], kind="stable")
    new_piece = (table["lap"].diff() != 0) | (table["frame"].diff() != 1)
    table["track_id"] = np.cumsum(new_piece.to_numpy())
    pieces = table.groupby("track_id").agg(lap=("lap", "first"), start=("frame", "min"))
    first_piece = pieces.groupby("lap")["start"].idxmin()  # the first piece of each laptrack id
    last_piece = pieces.reset_index().groupby("lap")["track_id"].max()
    parent = pd.Series(0, index=pieces.index)
    # a piece after a gap continues the piece before it
    later = pieces.index[~pieces.index.isin(first_piece.to_numpy())]
    parent.loc[later] = later - 1
    # a daughter's first piece has the last piece of its mother as parent
    mothers = {}
    if len(split_df):  # without divisions laptrack returns a table without columns
        mothers = dict(zip(split_df["child_track_id"], split_df["parent_track_id"], strict=True))
    for lap_id, piece in first_piece.items():
        if lap_id in mothers:
            parent.loc[piece] = last_piece[mothers[lap_id]]
    table["parent_id"] = table["track_id"].map(parent).astype(np.int64)
    return table.drop(columns="lap").sort_index()


def _scores(truth: pd.DataFrame, tracks: pd.DataFrame) -> dict[str, float]:
    scores = metrics.tracking_scores(truth, tracks, max_distance=1.0)
    annotated = metrics.link_scores(truth, tracks, max_distance=1.0, annotated_only=True)
    return {
        "link P": scores.link.precision,
        "link R": scores.link.recall,
        "link F1": scores.link.f1,
        "P annot.": annotated.precision,
        "div F1": scores.division.f1,
        "TRA": scores.tra.tra,
        "complete": scores.complete.fraction,
    }


def _timed(function, repeats: int):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return result, float(np.median(times))


def _ctc_tra(data, tracks: pd.DataFrame, radius: float = 9.0) -> None:
    """TRA on the ground-truth marker images, our implementation and py-ctcmetrics."""
    markers = data.markers
    masks, lineage = tracking.to_ctc(tracks, shape=markers.shape, radius=radius)
    truth = tracking.detect(markers)
    truth["track_id"] = truth["label"]
    truth["parent_id"] = truth["track_id"].map(
        dict(zip(data.lineage["track_id"], data.lineage["parent_id"], strict=True))
    )
    result = tracking.detect(masks)
    result["track_id"] = result["label"]
    result["parent_id"] = result["track_id"].map(
        dict(zip(lineage["track_id"], lineage["parent_id"], strict=True))
    )
    tra = metrics.tra_score(truth, result, true_labels=markers, pred_labels=masks)
    print(f"CTC TRA on the marker images (result drawn as discs of {radius:g} px): {tra.tra:.4f}")
    print(f"  NS {tra.ns}, FN {tra.fn}, FP {tra.fp}, ED {tra.ed}, EA {tra.ea}, EC {tra.ec}")
    try:
        from ctc_metrics.scripts.evaluate import evaluate_sequence
    except ImportError:
        print("  (py-ctcmetrics not installed: no second opinion)")
        return
    paths = dataset_paths("cellmigration_gt", progress=False)
    ground_truth = paths["data/CellMigration/organized_data/Sparse1/02_GT/TRA/man_track.txt"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = tracking.write_ctc_result(Path(tmp) / "RES", tracks, shape=markers.shape,
                                           radius=radius)  # fmt: skip
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            theirs = evaluate_sequence(
                str(folder), str(ground_truth.parent.parent), metrics=["TRA"], threads=1
            )
    print(f"  py-ctcmetrics on the same files: TRA {theirs['TRA']:.4f}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of cellcourse")
    parser.add_argument("--no-laptrack", action="store_true", help="skip laptrack (slow)")
    parser.add_argument("--ctc", action="store_true", help="also TRA on the marker images")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1; got {args.repeats}")

    data = tracking_data.load_cellmigration(markers=args.ctc, progress=False)
    detections = data.detections
    use_laptrack = not args.no_laptrack
    if use_laptrack:
        try:
            import laptrack
        except ImportError:
            print("laptrack is not installed: cellcourse only (pip install laptrack)")
            use_laptrack = False
    print(
        f"data          {data.dataset}: {len(detections)} detections in {data.n_frames} frames, "
        f"{len(data.lineage)} true tracks ({len(data.tracks)} annotated detections)"
    )
    print(
        f"machine       {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, NumPy {np.__version__}"
        + (f", laptrack {laptrack.__version__}" if use_laptrack else "")
    )
    print(
        f"timing        cellcourse: median of {args.repeats} runs; laptrack: one run; "
        f"gate {MAX_DISTANCE:g} px\n"
    )

    columns = ["link P", "link R", "link F1", "P annot.", "div F1", "TRA", "complete"]
    header = f"{'setting':<16}{'linker':<12}{'seconds':>8}" + "".join(f"{c:>10}" for c in columns)
    print(header)
    print("-" * len(header))
    final = {}
    for name, ours_options, lap_options in SETTINGS:
        ours, seconds = _timed(
            lambda o=ours_options: tracking.link(detections, MAX_DISTANCE, **o), args.repeats
        )
        rows = [("cellcourse", seconds, _scores(data.tracks, ours.tracks))]
        if use_laptrack:
            lap, lap_seconds = _timed(lambda o=lap_options: _laptrack(detections, o), 1)
            rows.append(("laptrack", lap_seconds, _scores(data.tracks, lap)))
        for k, (linker, secs, scores) in enumerate(rows):
            label = name if k == 0 else ""
            print(
                f"{label:<16}{linker:<12}{secs:>8.2f}"
                + "".join(f"{scores[c]:>10.4f}" for c in columns)
            )
        if use_laptrack:
            shared = metrics.link_scores(ours.tracks, lap, max_distance=1e-6)
            print(
                f"{'':<16}agreement: {shared.tp} links shared, {shared.fn} only in cellcourse, "
                f"{shared.fp} only in laptrack (F1 {shared.f1:.4f}); laptrack took "
                f"{lap_seconds / seconds:.0f}x as long"
            )
        final = {"seconds": seconds, **rows[0][2], "tracks": ours.tracks}

    print()
    checks = [
        ("link F1", final["link F1"], ">=", TARGETS["link_f1"]),
        ("TRA", final["TRA"], ">=", TARGETS["tra"]),
        ("seconds", final["seconds"], "<=", TARGETS["seconds"]),
    ]
    for what, value, op, target in checks:
        ok = value >= target if op == ">=" else value <= target
        print(f"target {what:<8} {value:8.4f} {op} {target:<6g} {'met' if ok else 'NOT MET'}")
    if args.ctc:
        print()
        _ctc_tra(data, final["tracks"])


if __name__ == "__main__":
    main()
