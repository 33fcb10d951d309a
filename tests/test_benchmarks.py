"""Tests of benchmarks/run.py: the machine description, the result writer, the Markdown table.

No notebook is run and no peer library is needed.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_run", BENCHMARKS / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules["bench_run"]


MACHINE = {
    "cpu": "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz",
    "cores": 2,
    "ram_gib": 23.4,
    "gpus": [],
    "os": "Linux-6.1-x86_64",
    "python": "3.11.9",
    "packages": {"keras": "3.15.1", "jax": None},
}
NOTEBOOK_OK = {
    "chapter": "01_linear_classifier",
    "backend": "jax",
    "mode": "quick",
    "ok": True,
    "seconds": 42.25,
    "wall_seconds": 50.0,
    "peak_rss_mib": 812,
    "memory_method": "psutil: ...",
    "metrics": {"accuracy": 0.91234, "f1": 0.5, "loss": 0.3, "auc": 0.8, "note": "text"},
}
NOTEBOOK_FAILED = {
    **NOTEBOOK_OK,
    "chapter": "07_unet_segmentation",
    "ok": False,
    "seconds": None,
    "metrics": {},
    "error": "cell 3 failed",
}
KERNEL = {
    "kernel": "linking, frame to frame",
    "peer": "laptrack",
    "peer_version": "0.17.1",
    "identical": False,
    "agreement": "27180 links shared, 8 only in cellcourse | 1 only in laptrack",
    "seconds_cellcourse": 0.15,
    "seconds_peer": 30.0,
    "ratio": 0.005,
}
SKIPPED = {"kernel": "percentile normalisation", "peer": "csbdeep", "skipped": "not installed"}


def test_machine_description_names_this_machine(bench):
    machine = bench.machine_description()
    assert set(machine) == {"cpu", "cores", "ram_gib", "gpus", "os", "python", "packages"}
    assert machine["cores"] >= 1 and machine["cpu"]
    assert machine["ram_gib"] is None or machine["ram_gib"] > 0
    assert isinstance(machine["gpus"], list)
    assert machine["packages"]["keras"]  # installed, so a version string
    assert set(bench.PACKAGES) == set(machine["packages"])


def test_machine_slug(bench):
    assert bench.machine_slug(MACHINE) == "intel-xeon-platinum-8375c-2cpu"
    with_gpu = {**MACHINE, "cores": 16, "gpus": ["NVIDIA H100 80GB HBM3, 81559 MiB"]}
    assert bench.machine_slug(with_gpu) == "intel-xeon-platinum-8375c-16cpu-h100-80gb"
    assert bench.machine_slug({"cpu": "", "cores": None}) == "cpu"
    with pytest.raises(TypeError, match="machine_description"):
        bench.machine_slug("a laptop")


def test_render_markdown_tables(bench):
    text = bench.render_markdown(
        {
            "date": "2026-11-21",
            "machine": MACHINE,
            "notebooks": {
                "memory_method": "psutil polling",
                "runs": [NOTEBOOK_OK, NOTEBOOK_FAILED],
            },
            "kernels": [KERNEL, SKIPPED],
        }
    )
    lines = text.splitlines()
    assert lines[0] == "# Benchmarks 2026-11-21"
    assert "2 cores, 23.4 GiB RAM, GPU: none" in text
    assert "keras 3.15.1" in text and "jax" not in text.split("Packages:")[1].split("\n")[0]
    assert "Peak memory: psutil polling." in text
    ok_row = next(line for line in lines if line.startswith("| 01_linear_classifier"))
    # the first three numeric metrics, and how many more there are
    assert ok_row == (
        "| 01_linear_classifier | jax | quick | 42.2 | 812 | ok | "
        "accuracy 0.912, f1 0.500, loss 0.300 (+1) |"
    )
    failed_row = next(line for line in lines if line.startswith("| 07_unet"))
    assert "| – | 812 | FAILED |" in failed_row
    kernel_row = next(line for line in lines if line.startswith("| linking"))
    assert "laptrack 0.17.1 | no |" in kernel_row
    assert "cellcourse \\| 1 only" in kernel_row  # a | inside a cell is escaped
    assert kernel_row.endswith("| 0.150 | 30.000 | 5.0e-03 |")
    assert "| percentile normalisation | csbdeep | – | skipped: not installed |" in text
    # every table row has as many cells as its header
    for header in (x for x in lines if x.startswith(("| chapter", "| kernel"))):
        start = lines.index(header)
        width = header.count(" | ")
        for row in lines[start + 2 :]:
            if not row.startswith("|"):
                break
            assert row.replace("\\|", "").count(" | ") == width, row


def test_render_markdown_orders_notebook_rows_by_mode_backend_chapter(bench):
    runs = [
        {**NOTEBOOK_OK, "chapter": c, "backend": b, "mode": m}
        for c, b, m in (
            ("10_x", "tensorflow", "quick"),
            ("02_x", "torch", "quick"),
            ("01_x", "tensorflow", "full"),
            ("02_x", "jax", "quick"),
            ("02_x", "tensorflow", "quick"),
        )
    ]
    text = bench.render_markdown({"machine": MACHINE, "notebooks": {"runs": runs}})
    rows = [
        line.split(" | ")[:3]
        for line in text.splitlines()
        if line.startswith("| 0") or line.startswith("| 1")
    ]
    assert rows == [
        ["| 01_x", "tensorflow", "full"],
        ["| 02_x", "tensorflow", "quick"],
        ["| 10_x", "tensorflow", "quick"],
        ["| 02_x", "jax", "quick"],
        ["| 02_x", "torch", "quick"],
    ]


def test_render_markdown_without_parts(bench):
    text = bench.render_markdown({"machine": MACHINE})
    assert "## Notebooks" not in text and "## Kernels" not in text
    with pytest.raises(TypeError, match="machine"):
        bench.render_markdown({"kernels": []})


def test_write_results(bench, tmp_path):
    results = {"machine": MACHINE, "kernels": [KERNEL]}
    json_path, md_path = bench.write_results(results, tmp_path / "out", date="2026-11-21")
    assert json_path.name == "2026-11-21_intel-xeon-platinum-8375c-2cpu.json"
    assert md_path == json_path.with_suffix(".md")
    saved = json.loads(json_path.read_text(encoding="utf-8"))
    assert saved["date"] == "2026-11-21" and saved["kernels"] == [KERNEL]
    assert md_path.read_text(encoding="utf-8") == bench.render_markdown(saved)
    assert "date" not in results  # the caller's dict is left alone
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        bench.write_results(results, tmp_path, date="21.11.2026")
    with pytest.raises(TypeError, match="machine"):
        bench.write_results({"machine": "laptop"}, tmp_path)


def test_solution_chapters(bench):
    every = bench.solution_chapters()
    assert every == sorted(every) and every[0].startswith("00_")
    chosen = bench.solution_chapters("01, 07")
    assert [c[:2] for c in chosen] == ["01", "07"]
    with pytest.raises(ValueError, match="unknown chapters"):
        bench.solution_chapters("01,99")


def test_measure_notebook_rejects_bad_arguments(bench):
    with pytest.raises(ValueError, match="backend"):
        bench.measure_notebook("01", "theano")
    with pytest.raises(ValueError, match="mode"):
        bench.measure_notebook("01", "jax", mode="slow")


def test_run_and_watch_measures_a_process_tree(bench):
    pytest.importorskip("psutil")
    # a child that holds about 200 MiB in a grandchild process: the tree's peak must see it
    script = (
        "import subprocess, sys; subprocess.run([sys.executable, '-c', "
        '\'import time; b = bytearray(200 * 2**20); b[::4096] = b"x" * len(b[::4096]); '
        "time.sleep(1.0)'], check=True); print('done')"
    )
    code, text, seconds, peak, method = bench._run_and_watch(
        [sys.executable, "-c", script], env=None, timeout=60
    )
    assert code == 0 and text.strip() == "done"
    assert seconds >= 1.0
    assert 200 * 2**20 < peak < 600 * 2**20
    assert method.startswith("psutil")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--backends", "theano"], "--backends must be among"),
        (["--backends", ","], "--backends must be among"),
        (["--notebooks", "--chapters", "99"], "unknown chapters ['99']"),
    ],
)
def test_command_line_rejects_bad_options(bench, argv, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        bench.main([*argv, "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # nothing written


def test_merge_results_replaces_only_what_was_measured_again(bench, tmp_path):
    jax_01 = {**NOTEBOOK_OK, "seconds": 99.0}
    tf_01 = {**NOTEBOOK_OK, "backend": "tensorflow"}
    first = {"machine": MACHINE, "notebooks": {"memory_method": "m", "runs": [NOTEBOOK_OK, tf_01]}}
    bench.write_results({**first, "kernels": [KERNEL]}, tmp_path, date="2026-11-21")
    second = {"machine": MACHINE, "notebooks": {"memory_method": "m", "runs": [jax_01]}}
    json_path, _ = bench.write_results(second, tmp_path, date="2026-11-21", merge=True)
    saved = json.loads(json_path.read_text(encoding="utf-8"))
    assert saved["notebooks"]["runs"] == [tf_01, jax_01]  # jax re-run replaced, tf kept
    assert saved["kernels"] == [KERNEL]  # not re-run: kept
    # kernels re-run: replaced; no notebooks run: the old ones kept
    merged = bench.merge_results(saved, {"machine": MACHINE, "kernels": [SKIPPED]})
    assert merged["kernels"] == [SKIPPED] and merged["notebooks"] == saved["notebooks"]
    # without merge, the file is replaced
    json_path, _ = bench.write_results(second, tmp_path, date="2026-11-21")
    assert "kernels" not in json.loads(json_path.read_text(encoding="utf-8"))
    with pytest.raises(TypeError, match="two results dicts"):
        bench.merge_results(None, second)
