"""Verified, atomic, resumable downloads: every failure case leaves nothing corrupt behind."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from loopback_server import LoopbackServer as _Server

from cellcourse import download
from cellcourse.download import DownloadError, fetch, fetch_file, verify
from cellcourse.registry import FileEntry, datasets, get_dataset, safe_join

MIRROR = Path(__file__).resolve().parents[2] / "shared" / "data" / "mirror"
needs_mirror = pytest.mark.skipif(not MIRROR.is_dir(), reason="shared data mirror not present")

PAYLOAD = bytes(range(256)) * 4096  # 1 MiB, so a transfer comes in several chunks
SHA = hashlib.sha256(PAYLOAD).hexdigest()


@pytest.fixture(autouse=True)
def _no_mirror_from_environment(monkeypatch):
    # these tests choose the mirror explicitly; CI sets CELLCOURSE_DATA_MIRROR for the rest
    monkeypatch.delenv("CELLCOURSE_DATA_MIRROR", raising=False)


def _entry(
    path="owner/repo/0123/data/file.bin", url="https://example.org/file.bin", payload=PAYLOAD
):
    return FileEntry(
        path=path, url=url, sha256=hashlib.sha256(payload).hexdigest(), size=len(payload)
    )


def _leftovers(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def _mirror_with(tmp_path: Path, entry: FileEntry, content: bytes) -> Path:
    mirror = tmp_path / "mirror"
    src = mirror / entry.path
    src.parent.mkdir(parents=True)
    src.write_bytes(content)
    return mirror


def test_mirror_copy_is_verified_and_placed(tmp_path):
    entry = _entry()
    mirror = _mirror_with(tmp_path, entry, PAYLOAD)
    out = fetch_file(entry, root=tmp_path / "cache", mirror=mirror)
    assert out == tmp_path / "cache" / entry.path
    assert out.read_bytes() == PAYLOAD
    assert _leftovers(tmp_path / "cache") == [out]


def test_hash_mismatch_removes_file_and_names_everything(tmp_path):
    entry = _entry()
    bad = bytearray(PAYLOAD)
    bad[1000] ^= 0xFF  # same size, one byte flipped
    mirror = _mirror_with(tmp_path, entry, bytes(bad))
    with pytest.raises(DownloadError) as err:
        fetch_file(entry, root=tmp_path / "cache", mirror=mirror)
    msg = str(err.value)
    assert entry.path in msg
    assert entry.sha256 in msg
    assert hashlib.sha256(bytes(bad)).hexdigest() in msg
    assert "Fix" in msg
    assert _leftovers(tmp_path / "cache") == []


def test_truncated_file_is_rejected(tmp_path):
    entry = _entry()
    mirror = _mirror_with(tmp_path, entry, PAYLOAD[:1234])
    with pytest.raises(DownloadError, match=r"truncated: expected 1048576 bytes, received 1234"):
        fetch_file(entry, root=tmp_path / "cache", mirror=mirror)
    assert _leftovers(tmp_path / "cache") == []


def test_file_missing_from_mirror(tmp_path):
    entry = _entry()
    (tmp_path / "mirror").mkdir()
    with pytest.raises(DownloadError) as err:
        fetch_file(entry, root=tmp_path / "cache", mirror=tmp_path / "mirror")
    assert "missing from the mirror" in str(err.value)
    assert "CELLCOURSE_DATA_MIRROR" in str(err.value)
    assert _leftovers(tmp_path / "cache") == []


def test_no_network_names_the_mirror_variable(tmp_path):
    # port 9 on loopback: nothing listens there, the connection is refused
    entry = _entry(url="https://127.0.0.1:9/file.bin")
    with pytest.raises(DownloadError) as err:
        fetch_file(entry, root=tmp_path / "cache", mirror=None)
    assert "CELLCOURSE_DATA_MIRROR" in str(err.value)
    assert "No network?" in str(err.value)
    assert _leftovers(tmp_path / "cache") == []


def test_download_over_http_is_verified(tmp_path):
    with _Server(PAYLOAD) as server:
        entry = _entry(url=server.url)
        out = fetch_file(entry, root=tmp_path / "cache", mirror=None)
    assert out.read_bytes() == PAYLOAD
    assert server.ranges == [None]


def test_interrupted_download_resumes_with_range_request(tmp_path):
    with _Server(PAYLOAD, cut_after=300_000) as server:
        entry = _entry(url=server.url)
        with pytest.raises(DownloadError, match="broke off") as err:
            fetch_file(entry, root=tmp_path / "cache", mirror=None)
        assert "run the same command again to resume" in str(err.value)
        final = tmp_path / "cache" / entry.path
        part = final.with_name(final.name + ".part")
        assert not final.exists()  # nothing partial under the real name
        assert 0 < part.stat().st_size < len(PAYLOAD)
        kept = part.stat().st_size
        out = fetch_file(entry, root=tmp_path / "cache", mirror=None)
    assert out.read_bytes() == PAYLOAD
    assert server.ranges == [None, f"bytes={kept}-"]
    assert _leftovers(tmp_path / "cache") == [out]


def test_keyboard_interrupt_keeps_only_the_part_file(tmp_path):
    class InterruptingBar:
        def update(self, n):
            raise KeyboardInterrupt

    with _Server(PAYLOAD) as server:
        entry = _entry(url=server.url)
        with pytest.raises(KeyboardInterrupt):
            fetch_file(entry, root=tmp_path / "cache", mirror=None, bar=InterruptingBar())
        final = tmp_path / "cache" / entry.path
        assert not final.exists()
        assert [p.name for p in _leftovers(tmp_path / "cache")] == ["file.bin.part"]
        out = fetch_file(entry, root=tmp_path / "cache", mirror=None)
    assert out.read_bytes() == PAYLOAD


def test_corrupt_resumed_download_is_discarded(tmp_path):
    with _Server(PAYLOAD) as server:
        entry = _entry(url=server.url)
        final = tmp_path / "cache" / entry.path
        final.parent.mkdir(parents=True)
        # a leftover .part whose bytes are wrong: the resumed file fails its hash check
        final.with_name(final.name + ".part").write_bytes(b"\0" * 5000)
        with pytest.raises(DownloadError, match="hash mismatch"):
            fetch_file(entry, root=tmp_path / "cache", mirror=None)
        assert _leftovers(tmp_path / "cache") == []
        out = fetch_file(entry, root=tmp_path / "cache", mirror=None)  # then a clean retry works
    assert out.read_bytes() == PAYLOAD


def test_http_error_status_is_explained(tmp_path):
    with _Server(PAYLOAD, status=404) as server:
        entry = _entry(url=server.url)
        with pytest.raises(DownloadError, match="HTTP 404"):
            fetch_file(entry, root=tmp_path / "cache", mirror=None)
    assert _leftovers(tmp_path / "cache") == []


def test_plain_http_to_the_internet_is_refused(tmp_path):
    entry = _entry(url="http://example.org/file.bin")
    with pytest.raises(DownloadError, match="expected an https:// url"):
        fetch_file(entry, root=tmp_path / "cache", mirror=None)


@pytest.mark.parametrize(
    "path",
    ["../outside.bin", "owner/../../outside.bin", "/etc/passwd", "owner\\..\\x", "~/x", ""],
)
def test_registry_path_cannot_escape_the_cache(tmp_path, path):
    entry = FileEntry(path=path, url="https://example.org/x", sha256=SHA, size=len(PAYLOAD))
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    with pytest.raises(ValueError, match="registry path"):
        fetch_file(entry, root=tmp_path / "cache", mirror=mirror)
    assert not (tmp_path / "outside.bin").exists()
    assert not (tmp_path / "cache").exists() or _leftovers(tmp_path / "cache") == []


def test_symlink_out_of_the_cache_is_refused(tmp_path):
    (tmp_path / "cache" / "owner").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "cache" / "owner" / "repo").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ValueError, match="outside the data directory"):
        safe_join(tmp_path / "cache", "owner/repo/file.bin")


def test_damaged_cache_file_is_replaced(tmp_path):
    entry = _entry()
    mirror = _mirror_with(tmp_path, entry, PAYLOAD)
    target = tmp_path / "cache" / entry.path
    target.parent.mkdir(parents=True)
    target.write_bytes(PAYLOAD[:-1] + b"X")
    out = fetch_file(entry, root=tmp_path / "cache", mirror=mirror)
    assert out.read_bytes() == PAYLOAD


def test_registry_lists_every_dataset_of_the_data_readme():
    names = set(datasets())
    assert names == {
        "bbbc039_nuclei",
        "bccd_blood_cells",
        "cancer_cell_migration",
        "bbbc022_cellpainting_crop",
        "bbbc007_drosophila_crops",
        "bioimageanalysisnotebooks_repo_licenses",
        "c2c12_laptrack",
        "dsb2018_stardist",
        "btrack_objects",
        "cellmigration_gt",
        "c2c12_tracks_gt",
        "epidermis_tracks_gt",
        "insilico_labeling_sample",
    }
    assert "cohen_phase_dapi" not in names  # left out for lack of a licence
    for ds in datasets().values():
        assert ds.licence and ds.citation and ds.files
        for f in ds.files:
            assert f.url.startswith("https://raw.githubusercontent.com/")
            assert len(f.sha256) == 64 and f.size > 0
            safe_join("/tmp/cache-root", f.path)  # no registry path escapes


def test_unknown_dataset_suggests_the_closest_name():
    with pytest.raises(KeyError, match="Did you mean 'bbbc039_nuclei'"):
        get_dataset("bbbc039")


@needs_mirror
def test_fetch_real_dataset_from_the_mirror(tmp_path):
    root = fetch("dsb2018_stardist", root=tmp_path, mirror=MIRROR, progress=False)
    ds = get_dataset("dsb2018_stardist")
    for f in ds.files:
        assert hashlib.sha256(safe_join(root, f.path).read_bytes()).hexdigest() == f.sha256


@needs_mirror
def test_verify_every_registry_file_against_the_mirror():
    results = verify(root=MIRROR, progress=False)
    assert len(results) == sum(len(d.files) for d in datasets().values()) == 1098
    assert [r for r in results if r.status != "ok"] == []


@needs_mirror
def test_verify_reports_damage_without_touching_files(tmp_path):
    fetch("dsb2018_stardist", root=tmp_path, mirror=MIRROR, progress=False)
    ds = get_dataset("dsb2018_stardist")
    victim = safe_join(tmp_path, ds.file("img2d.tif").path)
    victim.write_bytes(victim.read_bytes()[:-10] + b"0123456789")
    safe_join(tmp_path, ds.file("LICENSE.txt").path).unlink()
    results = {
        r.path.rsplit("/", 1)[1]: r
        for r in verify(["dsb2018_stardist"], root=tmp_path, progress=False)
    }
    assert results["img2d.tif"].status == "hash"
    assert results["LICENSE.txt"].status == "missing"
    assert results["mask2d.tif"].status == "ok"
    assert victim.exists()  # verify only reports


def test_clean_partial_removes_leftovers(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.tif.part").write_bytes(b"1")
    (tmp_path / "a" / "y.tif").write_bytes(b"1")
    assert [p.name for p in download.clean_partial(tmp_path)] == ["x.tif.part"]
    assert [p.name for p in _leftovers(tmp_path)] == ["y.tif"]
