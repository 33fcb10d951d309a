"""The ``cellcourse`` command.

::

    cellcourse doctor                         versions, backend, GPU, data cache, what to fix
    cellcourse data list | info NAME | download [NAME|--all] | verify [NAME...]
    cellcourse build [--check] [--colab-repo OWNER/NAME [--branch B]]  notebooks/ from solutions/
    cellcourse run NN_topic [--quick|--full] [--out DIR]
    cellcourse predict MODEL INPUT_DIR OUTPUT_DIR [--overwrite] [--trusted] [--quiet]
    cellcourse progress                       this learner's completed exercises
    cellcourse grade NOTEBOOK... [--csv FILE] [--timeout S] [--full]  run and grade learners' work
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["main"]


def _cmd_doctor(args) -> int:
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out
    from .doctor import diagnose, format_findings

    findings = diagnose(check_gpu=not args.no_gpu)
    print(format_findings(findings))
    failed = [f for f in findings if f.status == "fail"]
    if failed:
        print(f"\n{len(failed)} problem(s) to fix before the course runs here.")
        return 1
    print("\nReady.")
    return 0


def _cmd_data(args) -> int:
    from .download import DownloadError, fetch, verify
    from .registry import datasets, format_size, get_dataset

    table = datasets()
    if args.data_cmd == "list":
        width = max(len(n) for n in table)
        print(f"{'dataset':<{width}}  {'files':>5}  {'size':>9}  licence")
        for name, ds in table.items():
            print(f"{name:<{width}}  {len(ds.files):>5}  {format_size(ds.size):>9}  {ds.licence}")
        total = sum(ds.size for ds in table.values())
        print(f"{len(table)} datasets, {format_size(total)} in all")
        return 0
    if args.data_cmd == "info":
        try:
            ds = get_dataset(args.name)
        except KeyError as err:
            print(err.args[0], file=sys.stderr)
            return 2
        print(f"{ds.name}: {ds.title}")
        print(f"  licence   {ds.licence}")
        print(f"  cite      {ds.citation}")
        if ds.doi:
            print(f"  doi       {', '.join('https://doi.org/' + d for d in ds.doi)}")
        print(f"  source    {ds.homepage}")
        print(f"  chapters  {', '.join(ds.chapters) or '(extra material)'}")
        print(f"  files     {len(ds.files)}, {format_size(ds.size)}")
        for f in ds.files[: args.files]:
            print(f"    {f.path.split('/', 3)[3]}  {format_size(f.size)}  sha256 {f.sha256[:12]}…")
        if len(ds.files) > args.files:
            print(f"    … and {len(ds.files) - args.files} more (--files N to show more)")
        return 0
    if args.data_cmd == "download":
        if not args.all and not args.names:
            print("name a dataset (cellcourse data list) or pass --all", file=sys.stderr)
            return 2
        names = list(table) if args.all else args.names
        failed = 0
        for name in names:
            try:
                root = fetch(name, progress=not args.quiet)
                print(f"{name}: ok ({len(get_dataset(name).files)} files in {root})")
            except (DownloadError, KeyError, ValueError) as err:
                failed += 1
                print(f"{name}: FAILED\n  {err.args[0]}", file=sys.stderr)
        return 1 if failed else 0
    if args.data_cmd == "verify":
        try:
            results = verify(args.names or None, root=args.dir, progress=not args.quiet)
        except KeyError as err:
            print(err.args[0], file=sys.stderr)
            return 2
        bad = [r for r in results if r.status != "ok"]
        if args.dir:
            where = args.dir
        elif _mirror() is not None:
            where = "the mirror (CELLCOURSE_DATA_MIRROR)"
        else:
            where = "the cache"
        for r in bad[:50]:
            print(f"{r.status:>7}  {r.dataset}  {r.path}  {r.detail}")
        if len(bad) > 50:
            print(f"… and {len(bad) - 50} more")
        print(f"{len(results) - len(bad)} of {len(results)} files verified in {where}")
        return 1 if bad else 0
    raise AssertionError(args.data_cmd)


def _mirror():
    from .config import settings

    return settings().mirror


def _cmd_build(args) -> int:
    from .authoring import build

    report = build(
        args.solutions,
        args.notebooks,
        check=args.check,
        colab_repo=args.colab_repo,
        branch=args.branch,
    )
    for problem in report.problems:
        print(f"problem: {problem}", file=sys.stderr)
    if args.check:
        again = "cellcourse build" + (f" --colab-repo {args.colab_repo}" if args.colab_repo else "")
        for p in report.out_of_date:
            print(f"out of date: {p} (run `{again}`)", file=sys.stderr)
        for p in report.stale:
            print(f"no solution source for: {p} (remove it)", file=sys.stderr)
        if report.ok:
            print(f"{len(report.up_to_date)} exercise notebooks up to date")
    else:
        for p in report.written:
            print(f"wrote {p}")
        if report.ok:
            print(f"{len(report.written)} written, {len(report.up_to_date)} already up to date")
    return 0 if report.ok else 1


def _cmd_run(args) -> int:
    from .runner import NotebookFailed, run_notebook

    mode = "quick" if args.quick else "full" if args.full else None
    try:
        result = run_notebook(args.topic, mode=mode, out_dir=args.out, timeout=args.timeout)
    except FileNotFoundError as err:
        print(err, file=sys.stderr)
        return 2
    except NotebookFailed as err:
        print(err, file=sys.stderr)
        print(f"\nThe executed notebook is saved in {err.run_dir}", file=sys.stderr)
        return 1
    print(f"ran {args.topic} ({result.mode}) in {result.seconds:.1f} s -> {result.run_dir}")
    for name, value in sorted(result.metrics.items()):
        print(f"  {name:<40} {value:.4f}")
    return 0


def _cmd_predict(args) -> int:
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out
    from .inference import predict_folder
    from .packaging import UnsafeModelError

    try:
        summary = predict_folder(
            args.model,
            args.input_dir,
            args.output_dir,
            overwrite=args.overwrite,
            trusted=args.trusted,
            label_format=args.format,
            progress=not args.quiet,
        )
    except (FileNotFoundError, FileExistsError, UnsafeModelError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for r in summary.results:
        if r.status == "ok" and not args.quiet:
            print(f"{r.file}: {r.objects} objects, {r.seconds:.2f} s")
        elif r.status != "ok":
            print(f"{r.file}: FAILED, skipped\n  {r.error}", file=sys.stderr)
    print(f"{summary.n_ok} of {len(summary.results)} images segmented; table: {summary.csv_path}")
    return 0 if summary.ok else 1


def _cmd_grade(args) -> int:
    from .grading import format_summary, grade, write_csv

    missing = [n for n in args.notebooks if not Path(n).is_file() or Path(n).suffix != ".ipynb"]
    if missing:
        print(f"error: not a notebook file (.ipynb): {', '.join(missing)}", file=sys.stderr)
        return 2
    if not 0 < args.timeout < float("inf"):  # also catches nan
        print(
            f"error: --timeout must be a positive number of seconds, got {args.timeout}",
            file=sys.stderr,
        )
        return 2
    if args.csv is not None and args.csv.is_dir():
        print(f"error: --csv must name a file, got {args.csv}, which is a folder", file=sys.stderr)
        return 2
    total = len(args.notebooks)
    mode = "full" if args.full else "quick"
    print(
        f"grading {total} notebook{'s' if total != 1 else ''} ({mode} mode, "
        f"at most {args.timeout:g} s each)"
    )
    done = []

    def show(result) -> None:
        done.append(result)
        print(
            f"  [{len(done)}/{total}] {result.notebook}: {result.status} ({result.seconds:.0f} s)"
        )

    table = grade(args.notebooks, mode=mode, timeout=args.timeout, on_result=show)
    print()
    print(format_summary(table))
    if args.csv is not None:
        print(f"\ntable written to {write_csv(table, args.csv)}")
    return 0 if (table["status"] == "ok").all() else 1


def _cmd_progress(args) -> int:
    from .exercises import registered
    from .progress import format_summary

    print(format_summary(exercises=[e.id for e in registered()]))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``cellcourse`` command."""
    parser = argparse.ArgumentParser(
        prog="cellcourse",
        description="Deep learning for cellular image analysis: course tools.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("doctor", help="report versions, backend, GPU, data; say what to fix")
    p.add_argument(
        "--no-gpu", action="store_true", help="do not import the backend to look for GPUs"
    )
    p.set_defaults(func=_cmd_doctor)

    p = sub.add_parser("data", help="list, describe, download and verify the course datasets")
    dsub = p.add_subparsers(dest="data_cmd", required=True)
    dsub.add_parser("list", help="every dataset with size and licence")
    q = dsub.add_parser("info", help="licence, citation and files of one dataset")
    q.add_argument("name")
    q.add_argument("--files", type=int, default=10, help="how many files to list (default 10)")
    q = dsub.add_parser("download", help="download (or copy from the mirror) and verify")
    q.add_argument("names", nargs="*", metavar="NAME")
    q.add_argument("--all", action="store_true", help="every dataset (builds a mirror to hand out)")
    q.add_argument("--quiet", action="store_true", help="no progress bar")
    q = dsub.add_parser(
        "verify", help="check files against the registry (mirror if set, else cache)"
    )
    q.add_argument("names", nargs="*", metavar="NAME")
    q.add_argument("--dir", default=None, help="verify this folder instead")
    q.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_data)

    p = sub.add_parser("build", help="generate notebooks/ from solutions/")
    p.add_argument("--check", action="store_true", help="only check that notebooks/ is up to date")
    p.add_argument("--solutions", default="solutions", type=Path)
    p.add_argument("--notebooks", default="notebooks", type=Path)
    p.add_argument(
        "--colab-repo",
        default=None,
        metavar="OWNER/NAME",
        help="GitHub repository of the course: add 'Open in Colab' badges, install from it",
    )
    p.add_argument("--branch", default="main", help="branch for --colab-repo (default main)")
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser(
        "run", help="execute a solution notebook headless; save it, figures, metrics"
    )
    p.add_argument("topic", help="chapter, e.g. 00_microscopy_images")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true", help="quick budget (CPU, CI)")
    g.add_argument("--full", action="store_true", help="full budget (GPU)")
    p.add_argument("--out", default="runs", type=Path, help="folder for the run (default runs/)")
    p.add_argument("--timeout", default=1800, type=int, help="seconds one cell may take")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser(
        "predict", help="segment a folder of TIFF/PNG images with a saved model and its card"
    )
    p.add_argument("model", help="model folder written by cellcourse.packaging.save_model")
    p.add_argument("input_dir", help="folder of .tif/.tiff/.png images")
    p.add_argument("output_dir", help="folder for label images and predictions.csv")
    p.add_argument("--overwrite", action="store_true", help="replace outputs that exist")
    p.add_argument(
        "--trusted",
        action="store_true",
        help="load the model without Keras safe mode (only for files from a source you trust)",
    )
    p.add_argument("--format", choices=("tif", "png"), default="tif", help="label image type")
    p.add_argument("--quiet", action="store_true", help="no progress bar, only the summary")
    p.set_defaults(func=_cmd_predict)

    p = sub.add_parser(
        "grade", help="run learners' notebooks, each in its own kernel; table their checks"
    )
    p.add_argument("notebooks", nargs="+", metavar="NOTEBOOK", help="learners' .ipynb files")
    p.add_argument(
        "--csv",
        default=None,
        type=Path,
        metavar="FILE",
        help="also write the table to this CSV file",
    )
    p.add_argument(
        "--timeout",
        default=600,
        type=float,
        metavar="S",
        help="seconds each notebook may take (default 600)",
    )
    p.add_argument("--full", action="store_true", help="full budget (default: quick, for a laptop)")
    p.set_defaults(func=_cmd_grade)

    p = sub.add_parser("progress", help="your exercise outcomes so far")
    p.set_defaults(func=_cmd_progress)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``cellcourse`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ValueError as err:  # bad settings or arguments: say it plainly, no traceback
        print(f"error: {err}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as err:  # a dependency missing from this Python
        print(
            f"error: the package {err.name!r} is not installed in this Python "
            f"({sys.executable}). Install the course with `pip install -e .` (or "
            "`pip install cellcourse`) in the environment you run it from.",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
