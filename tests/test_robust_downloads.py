"""The download faults of tests/test_download.py, re-run against every dataset of the registry.

For each dataset, its smallest file (the real registry entry, the real bytes
from the shared data mirror) goes through every fault: a hash mismatch, a
truncated file, a file missing from the mirror, a download that breaks off and
is resumed (from a loopback HTTP server: no network), and a damaged cache.
Every fault must be reported with the file's name and leave nothing corrupt
under a real name; the recovery must give the verified file.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest
from loopback_server import LoopbackServer as _Server

from cellcourse.download import DownloadError, fetch_file, verify
from cellcourse.registry import FileEntry, datasets

MIRROR = Path(__file__).resolve().parents[2] / "shared" / "data" / "mirror"
pytestmark = pytest.mark.skipif(not MIRROR.is_dir(), reason="shared data mirror not present")

NAMES = sorted(datasets())


@pytest.fixture(autouse=True)
def _no_mirror_from_environment(monkeypatch):
    # each test names its mirror (or none) explicitly
    monkeypatch.delenv("CELLCOURSE_DATA_MIRROR", raising=False)


def _smallest(name: str) -> tuple[FileEntry, bytes]:
    """The smallest file of a dataset and its true bytes (checked against the registry)."""
    entry = min(datasets()[name].files, key=lambda f: (f.size, f.path))
    content = (MIRROR / entry.path).read_bytes()
    assert hashlib.sha256(content).hexdigest() == entry.sha256, f"the mirror's {entry.path}"
    return entry, content


def _mirror_with(tmp_path: Path, entry: FileEntry, content: bytes | None) -> Path:
    """A mirror holding ``content`` under the entry's path (or nothing, for None)."""
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    if content is not None:
        src = mirror / entry.path
        src.parent.mkdir(parents=True)
        src.write_bytes(content)
    return mirror


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize("name", NAMES)
def test_hash_mismatch_is_reported_and_removed(tmp_path, name):
    entry, content = _smallest(name)
    bad = bytearray(content)
    bad[len(bad) // 2] ^= 0xFF  # same size, one byte flipped
    mirror = _mirror_with(tmp_path, entry, bytes(bad))
    with pytest.raises(DownloadError, match="hash mismatch") as err:
        fetch_file(entry, root=tmp_path / "cache", mirror=mirror)
    message = str(err.value)
    assert entry.path in message and entry.sha256 in message
    assert hashlib.sha256(bytes(bad)).hexdigest() in message
    assert "Fix" in message
    assert _files(tmp_path / "cache") == []


@pytest.mark.parametrize("name", NAMES)
def test_truncated_file_is_reported_and_removed(tmp_path, name):
    entry, content = _smallest(name)
    mirror = _mirror_with(tmp_path, entry, content[: len(content) // 2])
    with pytest.raises(
        DownloadError, match=f"truncated: expected {entry.size} bytes, received {len(content) // 2}"
    ) as err:
        fetch_file(entry, root=tmp_path / "cache", mirror=mirror)
    assert entry.path in str(err.value)
    assert _files(tmp_path / "cache") == []


@pytest.mark.parametrize("name", NAMES)
def test_file_missing_from_the_mirror_is_reported(tmp_path, name):
    entry, _ = _smallest(name)
    mirror = _mirror_with(tmp_path, entry, None)
    with pytest.raises(DownloadError, match="missing from the mirror") as err:
        fetch_file(entry, root=tmp_path / "cache", mirror=mirror)
    assert entry.path in str(err.value) and "CELLCOURSE_DATA_MIRROR" in str(err.value)
    assert _files(tmp_path / "cache") == []


@pytest.mark.parametrize("name", NAMES)
def test_interrupted_download_resumes_to_the_verified_file(tmp_path, name):
    entry, content = _smallest(name)
    with _Server(content, cut_after=len(content) // 2) as server:
        local = dataclasses.replace(entry, url=server.url)  # the same file, served locally
        with pytest.raises(DownloadError, match="broke off") as err:
            fetch_file(local, root=tmp_path / "cache", mirror=None)
        assert entry.path in str(err.value)
        final = tmp_path / "cache" / entry.path
        part = final.with_name(final.name + ".part")
        assert not final.exists()  # nothing partial under the real name
        kept = part.stat().st_size
        assert 0 < kept < entry.size
        out = fetch_file(local, root=tmp_path / "cache", mirror=None)
    assert out == final and out.read_bytes() == content
    assert server.ranges == [None, f"bytes={kept}-"]  # resumed, not restarted
    assert _files(tmp_path / "cache") == [final]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("damage", ["flipped byte", "truncated", "too long", "stale part"])
def test_damaged_cache_is_detected_and_replaced(tmp_path, name, damage):
    entry, content = _smallest(name)
    mirror = _mirror_with(tmp_path, entry, content)
    cache = tmp_path / "cache"
    final = cache / entry.path
    final.parent.mkdir(parents=True)
    if damage == "stale part":  # a leftover of an interrupted copy, with wrong bytes
        final.with_name(final.name + ".part").write_bytes(b"\0" * (entry.size // 2 + 1))
    else:
        damaged = {
            "flipped byte": content[:-1] + bytes([content[-1] ^ 0xFF]),
            "truncated": content[:-1],
            "too long": content + b"\n",
        }[damage]
        final.write_bytes(damaged)
        status = {r.path: r.status for r in verify([name], root=cache, progress=False)}
        assert status[entry.path] == ("hash" if damage == "flipped byte" else "size")
        assert final.read_bytes() == damaged  # verify only reports
    out = fetch_file(entry, root=cache, mirror=mirror)
    assert out == final and out.read_bytes() == content
    assert _files(cache) == [final]
    status = {r.path: r.status for r in verify([name], root=cache, progress=False)}
    assert status[entry.path] == "ok"
