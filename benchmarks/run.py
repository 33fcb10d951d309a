"""The course's benchmarks in one command: notebooks per Keras backend, kernels against peers.

Writes ``<out>/<YYYY-MM-DD>_<machine>.json`` (every number, the machine and the
package versions) and a Markdown table beside it (``.md``, the same name).

- ``--notebooks``: runs every solution notebook (or ``--chapters``) headless
  with :func:`cellcourse.runner.run_notebook`, in quick mode (``--full``: full
  mode, meant for a GPU machine), once per Keras backend of ``--backends``.
  Each run is a fresh process with ``KERAS_BACKEND`` set; its wall time and the
  peak resident memory of its process tree (the runner and the notebook's
  kernel, sampled every 0.2 s with psutil) are recorded with the metrics the
  notebook reported.
- ``--kernels``: the library kernels against peer libraries on identical
  inputs (``benchmarks/peers.py``): agreement and time ratio. The peers are
  installed only for this: ``pip install -r benchmarks/requirements-peers.txt``.

Without ``--notebooks`` or ``--kernels`` both are run. Results of the same day
and machine are merged: what is measured again replaces the old numbers, the
rest is kept (``--replace`` starts afresh). Set
``CELLCOURSE_DATA_MIRROR`` (or have network access) so that the real data are
used. On a shared machine the times are upper bounds.

Run from the repository root::

    python benchmarks/run.py [--kernels] [--notebooks] [--backends tensorflow,jax,torch]
                             [--chapters 01,07] [--full] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BACKENDS = ("tensorflow", "jax", "torch")
PACKAGES = (
    "cellcourse",
    "keras",
    "tensorflow",
    "jax",
    "jaxlib",
    "torch",
    "numpy",
    "scipy",
    "scikit-image",
    "pandas",
    "stardist",
    "csbdeep",
    "laptrack",
    "traccuracy",
    "py-ctcmetrics",
)
MEMORY_METHOD_PSUTIL = (
    "psutil: sum of the resident set sizes of the runner process and all its descendants "
    "(the notebook's kernel), sampled every 0.2 s; the peak of that sum"
)
MEMORY_METHOD_RUSAGE = (
    "resource.getrusage(RUSAGE_CHILDREN).ru_maxrss: the largest single descendant process "
    "(psutil not installed)"
)

# Runs one notebook in the child process; prints the run folder as JSON.
_CHILD = """
import json, sys
from cellcourse.runner import NotebookFailed, run_notebook
topic, mode, out, timeout = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
try:
    result = run_notebook(topic, mode=mode, out_dir=out, timeout=timeout)
except NotebookFailed as err:
    print(json.dumps({"run_dir": str(err.run_dir)}))
    sys.exit(1)
print(json.dumps({"run_dir": str(result.run_dir)}))
"""


# --- the machine ------------------------------------------------------------------------------
def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float | None:
    try:
        import psutil

        return round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        pass
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _gpus() -> list[str]:
    """GPU names and memory from nvidia-smi; empty without an NVIDIA GPU."""
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in out.splitlines() if line.strip()]


def _package_versions(packages=PACKAGES) -> dict[str, str | None]:
    versions = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def machine_description() -> dict:
    """CPU model, cores, RAM, GPUs, OS, Python and package versions of this machine.

    Returns
    -------
    dict
        ``cpu, cores, ram_gib, gpus (list of str), os, python, packages
        (name -> version or None)``.
    """
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": _ram_gib(),
        "gpus": _gpus(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": _package_versions(),
    }


def machine_slug(machine: dict) -> str:
    """A short file-name-safe name of a machine, e.g. ``amd-epyc-7b13-2cpu`` or ``...-h100``.

    Parameters
    ----------
    machine : dict
        As returned by :func:`machine_description` (``cpu``, ``cores``, ``gpus``).

    Returns
    -------
    str
        Lower-case letters, digits and hyphens only.
    """
    if not isinstance(machine, dict) or "cpu" not in machine:
        raise TypeError(f"expected a dict from machine_description(); got {machine!r}")
    cpu = re.sub(r"\((r|tm)\)|\bcpu\b|\bprocessor\b|@.*$", " ", str(machine["cpu"]).lower())
    cpu = re.sub(r"\b(\d+-core|with radeon.*)\b", " ", cpu)
    words = [w for w in re.split(r"[^a-z0-9]+", cpu) if w]
    slug = "-".join(words[:5]) or "cpu"
    if machine.get("cores"):
        slug += f"-{machine['cores']}cpu"
    gpus = machine.get("gpus") or []
    if gpus:
        gpu_words = re.split(r"[^a-z0-9]+", gpus[0].split(",")[0].lower())
        named = [w for w in gpu_words if w and w not in ("nvidia", "tesla", "geforce")]
        slug += "-" + "-".join(named[:2] or ["gpu"])
    return slug


# --- notebooks --------------------------------------------------------------------------------
def _tree_rss(process) -> int:
    import psutil

    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for member in members:
        try:
            total += member.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def _run_and_watch(command, env, timeout: float) -> tuple[int, str, float, int | None, str]:
    """Run ``command``; return exit code, stdout, wall seconds, peak RSS in bytes, method."""
    try:
        import psutil
    except ImportError:
        psutil = None
    start = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as out:
        child = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True
        )
        peak = 0
        if psutil is not None:
            watched = psutil.Process(child.pid)
            while child.poll() is None:
                peak = max(peak, _tree_rss(watched))
                if time.perf_counter() - start > timeout:
                    child.kill()
                time.sleep(0.2)
            method = MEMORY_METHOD_PSUTIL
        else:
            try:
                child.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            import resource

            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # KiB on Linux
            method = MEMORY_METHOD_RUSAGE
        seconds = time.perf_counter() - start
        out.seek(0)
        text = out.read()
    return child.returncode, text, seconds, peak or None, method


def measure_notebook(
    topic: str, backend: str, mode: str = "quick", out_dir="runs", timeout: int = 3600
) -> dict:
    """Run one solution notebook in a fresh process and measure it.

    Parameters
    ----------
    topic : str
        Chapter, e.g. ``"01_linear_classifier"``.
    backend : {"tensorflow", "jax", "torch"}
        Keras backend (``KERAS_BACKEND`` of the run).
    mode : {"quick", "full"}
    out_dir : str or Path
        Where :func:`cellcourse.runner.run_notebook` writes the run folder.
    timeout : int
        Seconds the whole run may take.

    Returns
    -------
    dict
        ``chapter, backend, mode, ok, seconds`` (the notebook's execution, from
        its ``metrics.json``), ``wall_seconds`` (the whole process, imports
        and kernel start included), ``peak_rss_mib``, ``memory_method``,
        ``metrics``, ``run_dir`` and ``error`` (the failing cell) when not ok.
    """
    if backend not in BACKENDS:
        raise ValueError(f"expected backend among {BACKENDS}; got {backend!r}")
    if mode not in ("quick", "full"):
        raise ValueError(f"expected mode 'quick' or 'full'; got {mode!r}")
    env = dict(os.environ, KERAS_BACKEND=backend)
    command = [sys.executable, "-c", _CHILD, topic, mode, str(Path(out_dir).resolve()), "1800"]
    code, text, wall, peak, method = _run_and_watch(command, env, timeout)
    record = {
        "chapter": topic,
        "backend": backend,
        "mode": mode,
        "ok": False,
        "seconds": None,
        "wall_seconds": round(wall, 1),
        "peak_rss_mib": round(peak / 2**20) if peak else None,
        "memory_method": method,
        "metrics": {},
    }
    run_dir = None
    for line in reversed(text.splitlines()):
        if line.startswith('{"run_dir"'):
            run_dir = Path(json.loads(line)["run_dir"])
            break
    if run_dir is None or not (run_dir / "metrics.json").is_file():
        record["error"] = f"exit code {code}; output tail:\n{text[-3000:]}"
        return record
    saved = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    record.update(
        ok=code == 0 and "error" not in saved,
        seconds=saved.get("seconds"),
        metrics=saved.get("metrics", {}),
        run_dir=str(run_dir),
    )
    if "error" in saved:
        record["error"] = saved["error"][-3000:]
    return record


def solution_chapters(chapters: str | None = None) -> list[str]:
    """The ``NN_topic`` names of ``solutions/*.ipynb``, all or those whose number is listed.

    Parameters
    ----------
    chapters : str, optional
        Comma-separated numbers such as ``"01,07"``; default every chapter.
    """
    names = sorted(p.stem for p in (ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
    if not chapters:
        return names
    wanted = [c.strip() for c in chapters.split(",") if c.strip()]
    chosen = [n for n in names if n[:2] in wanted or n in wanted]
    unknown = [w for w in wanted if not any(n[:2] == w or n == w for n in names)]
    if unknown:
        raise ValueError(f"unknown chapters {unknown}; known: {', '.join(names)}")
    return chosen


# --- results ----------------------------------------------------------------------------------
def _fmt(value, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value != 0 and abs(value) < 10 ** (-digits):
            return f"{value:.1e}"
        return f"{value:.{digits}f}"
    return str(value)


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _metrics_text(metrics: dict, limit: int = 3) -> str:
    items = [(k, v) for k, v in metrics.items() if isinstance(v, int | float)]
    shown = ", ".join(f"{k} {_fmt(float(v), 3)}" for k, v in items[:limit])
    return shown + (f" (+{len(items) - limit})" if len(items) > limit else "")


def render_markdown(results: dict) -> str:
    """The Markdown report of a benchmark run: the machine, then one table per part.

    Parameters
    ----------
    results : dict
        As written by :func:`write_results`: ``date``, ``machine`` and
        optionally ``notebooks`` (``runs``: list of dicts from
        :func:`measure_notebook`) and ``kernels`` (list of dicts from
        :func:`peers.compare_all`).

    Returns
    -------
    str
        Markdown text ending with a newline.
    """
    if not isinstance(results, dict) or "machine" not in results:
        raise TypeError(f"expected a results dict with a 'machine' entry; got {results!r:.80}")
    m = results["machine"]
    packages = ", ".join(f"{k} {v}" for k, v in m.get("packages", {}).items() if v)
    lines = [
        f"# Benchmarks {results.get('date', '')}",
        "",
        f"Machine: {m.get('cpu')}, {m.get('cores')} cores, {_fmt(m.get('ram_gib'), 1)} GiB RAM, "
        f"GPU: {', '.join(m.get('gpus') or []) or 'none'}; {m.get('os')}; Python {m.get('python')}.",
        "",
        f"Packages: {packages}.",
        "",
    ]
    notebooks = results.get("notebooks")
    if notebooks and notebooks.get("runs"):
        lines += [
            "## Notebooks",
            "",
            f"Peak memory: {notebooks.get('memory_method', 'unknown method')}.",
            "",
            "| chapter | backend | mode | seconds | peak RSS (MiB) | status | metrics |",
            "|---|---|---|---:|---:|---|---|",
        ]
        # runs are stored in the order measured (merges append); the table reads by mode,
        # backend (the default TensorFlow first) and chapter
        backend_order = {"tensorflow": 0, "jax": 1, "torch": 2}
        for run in sorted(
            notebooks["runs"],
            key=lambda r: (
                r["mode"],
                backend_order.get(r["backend"], 3),
                r["backend"],
                r["chapter"],
            ),
        ):
            status = "ok" if run.get("ok") else "FAILED"
            lines.append(
                f"| {run['chapter']} | {run['backend']} | {run['mode']} | "
                f"{_fmt(run.get('seconds'), 1)} | {_fmt(run.get('peak_rss_mib'))} | {status} | "
                f"{_cell(_metrics_text(run.get('metrics') or {}))} |"
            )
        lines.append("")
    kernels = results.get("kernels")
    if kernels:
        lines += [
            "## Kernels against peers",
            "",
            "Ratio = cellcourse's time / the peer's (below 1: cellcourse is faster).",
            "",
            "| kernel | peer | identical | agreement | cellcourse s | peer s | ratio |",
            "|---|---|---|---|---:|---:|---:|",
        ]
        for row in kernels:
            if "skipped" in row:
                lines.append(
                    f"| {row['kernel']} | {row['peer']} | – | skipped: {_cell(row['skipped'])} "
                    "| – | – | – |"
                )
                continue
            lines.append(
                f"| {_cell(row['kernel'])} | {row['peer']} {row.get('peer_version') or ''} | "
                f"{_fmt(bool(row.get('identical')))} | {_cell(row.get('agreement', ''))} | "
                f"{_fmt(row.get('seconds_cellcourse'), 3)} | {_fmt(row.get('seconds_peer'), 3)} | "
                f"{_fmt(row.get('ratio'))} |"
            )
        lines.append("")
    return "\n".join(lines)


def merge_results(previous: dict, new: dict) -> dict:
    """Results of one day and machine: ``new`` replaces what it measured again, keeps the rest.

    Parameters
    ----------
    previous, new : dict
        Results as written by :func:`write_results`.

    Returns
    -------
    dict
        ``new``, plus ``previous["kernels"]`` if ``new`` has no kernels, plus the
        notebook runs of ``previous`` whose (chapter, backend, mode) ``new`` did
        not run again, in their old order before the new runs.
    """
    if not isinstance(previous, dict) or not isinstance(new, dict):
        raise TypeError(f"expected two results dicts; got {type(previous)} and {type(new)}")
    merged = dict(new)
    commands = [c for c in (previous.get("command"), new.get("command")) if c]
    if commands:  # every command whose numbers the merged results hold
        merged["command"] = "; ".join(dict.fromkeys("; ".join(commands).split("; ")))
    if "kernels" not in new and "kernels" in previous:
        merged["kernels"] = previous["kernels"]
    old_runs = (previous.get("notebooks") or {}).get("runs", [])
    if old_runs:
        new_notebooks = new.get("notebooks") or {}
        new_runs = new_notebooks.get("runs", [])
        done = {(r["chapter"], r["backend"], r["mode"]) for r in new_runs}
        kept = [r for r in old_runs if (r["chapter"], r["backend"], r["mode"]) not in done]
        merged["notebooks"] = {
            "memory_method": new_notebooks.get("memory_method")
            or previous["notebooks"].get("memory_method"),
            "runs": kept + new_runs,
        }
    return merged


def write_results(
    results: dict, out_dir, date: str | None = None, merge: bool = False
) -> tuple[Path, Path]:
    """Write ``<out_dir>/<date>_<machine slug>.json`` and the ``.md`` beside it.

    Parameters
    ----------
    results : dict
        With a ``machine`` entry (:func:`machine_description`); see
        :func:`render_markdown`. ``date`` is set if missing.
    out_dir : str or Path
        Created if needed.
    date : str, optional
        ``YYYY-MM-DD``; default today (UTC).
    merge : bool
        Merge with an existing file of the same name (:func:`merge_results`)
        instead of replacing it.

    Returns
    -------
    (Path, Path)
        The JSON and the Markdown file.
    """
    if not isinstance(results, dict) or not isinstance(results.get("machine"), dict):
        raise TypeError(f"expected a results dict with a 'machine' dict; got {results!r:.80}")
    date = date or results.get("date") or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(date)):
        raise ValueError(f"expected date as YYYY-MM-DD; got {date!r}")
    results = {**results, "date": date}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{date}_{machine_slug(results['machine'])}"
    json_path, md_path = out / f"{stem}.json", out / f"{stem}.md"
    if merge and json_path.is_file():
        results = merge_results(json.loads(json_path.read_text(encoding="utf-8")), results)
    json_path.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(results), encoding="utf-8")
    return json_path, md_path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", action="store_true", help="kernels against peers")
    parser.add_argument("--notebooks", action="store_true", help="solution notebooks")
    parser.add_argument("--backends", default="tensorflow", help="e.g. tensorflow,jax,torch")
    parser.add_argument("--chapters", default=None, help="e.g. 01,07 (default: all)")
    parser.add_argument("--full", action="store_true", help="full mode (for a GPU machine)")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls of fast kernels")
    parser.add_argument("--out", default=str(HERE / "results"))
    parser.add_argument(
        "--replace",
        action="store_true",
        help="replace today's results of this machine instead of merging with them",
    )
    parser.add_argument(
        "--runs-dir", default=None, help="where the notebook runs go (default: a temporary folder)"
    )
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    bad = [b for b in backends if b not in BACKENDS]
    if bad or not backends:
        parser.error(f"--backends must be among {','.join(BACKENDS)}; got {args.backends!r}")
    do_kernels = args.kernels or not args.notebooks
    do_notebooks = args.notebooks or not args.kernels
    try:
        chapters = solution_chapters(args.chapters)
    except ValueError as err:
        parser.error(str(err))

    machine = machine_description()
    results = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d"),
        "command": " ".join(["python benchmarks/run.py", *(argv or sys.argv[1:])]),
        "machine": machine,
    }
    print(f"machine: {machine['cpu']}, {machine['cores']} cores, GPUs: {machine['gpus'] or 'none'}")
    if do_notebooks:
        mode = "full" if args.full else "quick"
        if args.full and not machine["gpus"]:
            print("warning: --full without a GPU; full mode on a CPU takes hours")
        runs = []
        with tempfile.TemporaryDirectory() as tmp:
            runs_dir = Path(args.runs_dir) if args.runs_dir else Path(tmp)
            for backend in backends:
                for chapter in chapters:
                    run = measure_notebook(chapter, backend, mode, runs_dir)
                    if not args.runs_dir:
                        run.pop("run_dir", None)  # a temporary folder: gone after this run
                    runs.append(run)
                    print(
                        f"  {chapter:<36} {backend:<10} {mode:<5} "
                        f"{_fmt(run['seconds'], 1):>7} s {_fmt(run['peak_rss_mib']):>6} MiB "
                        f"{'ok' if run['ok'] else 'FAILED'}"
                    )
                    # written after every run: an interrupted benchmark keeps what it measured
                    results["notebooks"] = {"memory_method": run["memory_method"], "runs": runs}
                    write_results(results, args.out, merge=not args.replace)
    if do_kernels:
        import peers

        print("kernels against peers:")
        results["kernels"] = peers.compare_all(peers.KERNELS, args.repeats)
    json_path, md_path = write_results(results, args.out, merge=not args.replace)
    print(f"wrote {json_path} and {md_path}")
    failed = [r for r in results.get("notebooks", {}).get("runs", []) if not r["ok"]]
    return 1 if failed else 0


if __name__ == "__main__":
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    sys.exit(main())
