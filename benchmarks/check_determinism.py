"""Does chapter 07 give the same metrics twice with the same seed? A check, not a test.

Runs ``cellcourse run 07_unet_segmentation --quick`` twice (through
:func:`cellcourse.runner.run_notebook`, each run in a fresh kernel), prints
both sets of reported metrics side by side, and says whether every metric
agrees to 4 decimals. The notebook seeds everything with ``cc.set_seed(0)``,
so on the CPU both runs should agree. Takes about 2 x 90 s on two cores.

The test suite checks the same claim more cheaply
(``tests/test_determinism.py``: the chapter's training recipe on a reduced
budget, twice, in fresh processes); this script checks the real notebook.

The data come from ``CELLCOURSE_DATA_MIRROR`` (or the network) into
``CELLCOURSE_DATA_DIR``. Run from the repository root::

    python benchmarks/check_determinism.py [--chapter 07_unet_segmentation] [--runs 2]
        [--out-dir DIR] [--decimals 4]

Exit status 0 when all runs agree, 1 when they do not.
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import tempfile

from cellcourse.runner import run_notebook


def _agree(a: float, b: float, decimals: int) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return round(float(a), decimals) == round(float(b), decimals)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapter", default="07_unet_segmentation")
    parser.add_argument("--runs", type=int, default=2, help="how many runs to compare (>= 2)")
    parser.add_argument("--decimals", type=int, default=4)
    parser.add_argument(
        "--out-dir", default=None, help="where the run folders go (default a temporary folder)"
    )
    args = parser.parse_args(argv)
    if args.runs < 2:
        parser.error(f"--runs must be at least 2; got {args.runs}")

    out_dir = args.out_dir or tempfile.mkdtemp(prefix="check-determinism-")
    print(
        f"{args.chapter}, quick mode, {args.runs} runs; Python {platform.python_version()}, "
        f"{platform.machine()}; run folders under {out_dir}"
    )
    results = []
    for k in range(args.runs):
        result = run_notebook(args.chapter, mode="quick", out_dir=out_dir)
        print(f"run {k + 1}: {result.seconds:.0f} s, {result.run_dir}")
        results.append(result.metrics)

    names = sorted(set().union(*results))
    width = max(len(n) for n in names) if names else 10
    header = "".join(f"{f'run {k + 1}':>14}" for k in range(args.runs))
    print(f"\n{'metric':<{width}}{header}   agree to {args.decimals} decimals")
    all_agree = bool(names)
    for name in names:
        values = [r.get(name) for r in results]
        if any(v is None for v in values):
            same = False
            shown = "".join(f"{'missing' if v is None else f'{v:.6f}':>14}" for v in values)
        else:
            same = all(_agree(values[0], v, args.decimals) for v in values[1:])
            shown = "".join(f"{v:>14.6f}" for v in values)
        all_agree &= same
        print(f"{name:<{width}}{shown}   {'yes' if same else 'NO'}")
    if not names:
        print("no metrics were reported")
    verdict = "agree" if all_agree else "DIFFER"
    print(
        f"\nall {len(names)} metrics {verdict} to {args.decimals} decimals across {args.runs} runs"
    )
    return 0 if all_agree else 1


if __name__ == "__main__":
    sys.exit(main())
