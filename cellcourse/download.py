"""Verified, atomic, resumable downloads of the course data.

Every file is fetched into a ``.part`` file next to its final place, checked
against the size and SHA-256 of the registry, and only then renamed into
place, so the cache never holds a partial or corrupt file under its real
name. Re-running a download resumes a ``.part`` left by an interruption (HTTP
range request). With ``CELLCOURSE_DATA_MIRROR`` set, files are copied from a
local mirror instead of the network, through exactly the same checks.

This is written here rather than with ``pooch.retrieve`` because the course
needs three things pooch does not do: a local mirror directory laid out like
the registry, resuming of interrupted downloads, and error messages that tell
a learner what to do (which file, which hash, which variable to set).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .config import settings
from .registry import DatasetEntry, FileEntry, datasets, get_dataset, safe_join

__all__ = [
    "DownloadError",
    "VerifyResult",
    "fetch",
    "fetch_file",
    "verify",
    "dataset_paths",
    "clean_partial",
    "data_dir",
    "mirror_dir",
]

CHUNK = 1 << 20
TIMEOUT_S = 30
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


class DownloadError(RuntimeError):
    """A course file could not be fetched or failed verification."""


def data_dir() -> Path:
    """The download cache (``CELLCOURSE_DATA_DIR``, default the platform cache)."""
    return settings().data_dir


def mirror_dir() -> Path | None:
    """The local mirror (``CELLCOURSE_DATA_MIRROR``) or None."""
    return settings().mirror


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _check_url(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    # https only; plain http is accepted for loopback servers (tests, a workshop laptop)
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK):
        return
    raise DownloadError(f"refusing to download from {url!r}: expected an https:// url")


def _verify_part(part: Path, entry: FileEntry, source: str) -> None:
    """Check size and hash of a finished ``.part``; delete it when it is bad."""
    size = part.stat().st_size
    if size != entry.size:
        part.unlink(missing_ok=True)
        kind = "truncated" if size < entry.size else "too long"
        raise DownloadError(
            f"{entry.path}: the file from {source} is {kind}: expected {entry.size} bytes, "
            f"received {size}. The incomplete file was removed. Fix: run the download again "
            "(`cellcourse data download ...`); if it fails again, the source copy is damaged: "
            "replace the mirror's copy or unset CELLCOURSE_DATA_MIRROR to download from the internet."
        )
    digest = _sha256(part)
    if digest != entry.sha256:
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"{entry.path}: hash mismatch for the file from {source}: expected sha256 "
            f"{entry.sha256}, received {digest}. The bad file was removed. Fix: run the download "
            "again; if the mismatch persists, the source file was changed or damaged: replace "
            "the mirror's copy (CELLCOURSE_DATA_MIRROR) or report it to the course maintainers."
        )


def _copy_from_mirror(src: Path, part: Path, entry: FileEntry, bar) -> None:
    part.unlink(missing_ok=True)
    with open(src, "rb") as fin, open(part, "wb") as fout:
        for block in iter(lambda: fin.read(CHUNK), b""):
            fout.write(block)
            if bar is not None:
                bar.update(len(block))


def _download(url: str, part: Path, entry: FileEntry, bar) -> None:
    _check_url(url)
    offset = part.stat().st_size if part.exists() else 0
    if offset >= entry.size:  # a finished or over-long leftover: start afresh
        part.unlink()
        offset = 0
    request = urllib.request.Request(url, headers={"User-Agent": "cellcourse"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT_S)
    except urllib.error.HTTPError as err:
        raise DownloadError(
            f"{entry.path}: the server answered HTTP {err.code} for {url}. Fix: check the url in "
            "the registry, or use a local copy by setting CELLCOURSE_DATA_MIRROR."
        ) from err
    except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
        raise DownloadError(
            f"{entry.path}: cannot reach {urllib.parse.urlsplit(url).hostname} ({err}). "
            "No network? Set CELLCOURSE_DATA_MIRROR to a local mirror of the course data "
            "(for example the folder your instructor handed out), or connect and run again."
        ) from err
    with response:
        resumed = offset and response.status == 206
        if offset and not resumed:  # server ignored the range request: start from 0
            offset = 0
        if bar is not None and offset:
            bar.update(offset)
        declared = response.headers.get("Content-Length")
        received = 0
        broke = None
        try:
            with open(part, "ab" if resumed else "wb") as fout:
                while True:
                    block = response.read(CHUNK)
                    if not block:
                        break
                    fout.write(block)
                    received += len(block)
                    if bar is not None:
                        bar.update(len(block))
        except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
            broke = str(err) or type(err).__name__
        # read() returns short data without an error when the connection drops: compare with
        # what the server announced to tell an interruption from a truncated file
        if broke is None and declared is not None and received < int(declared):
            broke = f"{received} of {declared} bytes arrived"
        if broke is not None:
            raise DownloadError(
                f"{entry.path}: the download from {url} broke off ({broke}). What arrived is kept "
                f"in {part.name}; run the same command again to resume."
            )


def fetch_file(
    entry: FileEntry,
    root: str | Path | None = None,
    mirror: str | Path | None = None,
    bar=None,
) -> Path:
    """Make one registry file available in the cache, verified.

    Parameters
    ----------
    entry : FileEntry
        The registry entry of the file.
    root : str or Path, optional
        Cache directory (default :func:`data_dir`).
    mirror : str or Path, optional
        Local mirror directory (default :func:`mirror_dir`); when set, the
        network is not used.
    bar : tqdm progress bar, optional
        Updated with the bytes transferred.

    Returns
    -------
    pathlib.Path
        Path of the verified file in the cache.

    Raises
    ------
    DownloadError
        Missing from the mirror, no network, truncated file or hash mismatch;
        the message says which file, what was expected and received, and the fix.
    ValueError
        If the registry path would leave the cache directory.
    """
    if not isinstance(entry, FileEntry):
        raise TypeError(f"expected a FileEntry of the registry; got {type(entry).__name__}")
    root = Path(root) if root is not None else data_dir()
    mirror = Path(mirror) if mirror is not None else mirror_dir()
    target = safe_join(root, entry.path)
    if target.exists():
        if target.stat().st_size == entry.size and _sha256(target) == entry.sha256:
            if bar is not None:
                bar.update(entry.size)
            return target
        target.unlink()  # damaged cache entry: fetch it again
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    if mirror is not None:
        src = safe_join(mirror, entry.path)
        if not src.is_file():
            raise DownloadError(
                f"{entry.path}: missing from the mirror {mirror} (set by CELLCOURSE_DATA_MIRROR). "
                "A mirror is laid out <owner>/<repo>/<commit>/<path>. Fix: point "
                "CELLCOURSE_DATA_MIRROR at a complete mirror (make one with "
                "`cellcourse data download --all` on a connected machine and copy its cache "
                "folder), or unset it to download from the internet."
            )
        _copy_from_mirror(src, part, entry, bar)
        source = f"the mirror ({src})"
    else:
        _download(entry.url, part, entry, bar)
        source = entry.url
    _verify_part(part, entry, source)
    os.replace(part, target)  # atomic: the real name only ever holds a verified file
    return target


def _progress(total: int, desc: str, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=desc, leave=False)


def fetch(
    name: str,
    root: str | Path | None = None,
    mirror: str | Path | None = None,
    progress: bool = True,
) -> Path:
    """Download (or copy from the mirror) every file of a dataset, verified.

    Parameters
    ----------
    name : str
        Dataset id, e.g. ``"bbbc039_nuclei"`` (see ``cellcourse data list``).
    root, mirror : str or Path, optional
        Cache and mirror directories (default from the environment).
    progress : bool
        Show a progress bar over the bytes of the dataset.

    Returns
    -------
    pathlib.Path
        The cache root; file ``f`` of the dataset is at ``root / f.path``.

    Examples
    --------
    >>> root = fetch("dsb2018_stardist")  # doctest: +SKIP
    """
    ds = get_dataset(name)
    root = Path(root) if root is not None else data_dir()
    bar = _progress(ds.size, name, progress)
    try:
        for entry in ds.files:
            fetch_file(entry, root=root, mirror=mirror, bar=bar)
    finally:
        if bar is not None:
            bar.close()
    return root


def dataset_paths(name: str, progress: bool = True) -> dict[str, Path]:
    """Fetch a dataset and map each file's path inside its repository to its local path."""
    ds = get_dataset(name)
    root = fetch(name, progress=progress)
    return {e.path.split("/", 3)[3]: safe_join(root, e.path) for e in ds.files}


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of verifying one file: ``status`` is ok, missing, size or hash."""

    dataset: str
    path: str
    status: str
    detail: str = ""


def verify(
    names: Iterable[str] | None = None,
    root: str | Path | None = None,
    progress: bool = True,
) -> list[VerifyResult]:
    """Check files against the registry without changing anything.

    Parameters
    ----------
    names : iterable of str, optional
        Datasets to verify (default all).
    root : str or Path, optional
        Directory to verify; default the mirror when ``CELLCOURSE_DATA_MIRROR``
        is set, else the cache.

    Returns
    -------
    list of VerifyResult
        One per file, in registry order.
    """
    if root is None:
        root = mirror_dir() or data_dir()
    root = Path(root)
    table = datasets()
    selected: list[DatasetEntry] = (
        list(table.values()) if names is None else [get_dataset(n) for n in names]
    )
    total = sum(d.size for d in selected)
    bar = _progress(total, "verify", progress)
    results = []
    try:
        for ds in selected:
            for entry in ds.files:
                path = safe_join(root, entry.path)
                if not path.is_file():
                    results.append(VerifyResult(ds.name, entry.path, "missing", str(path)))
                elif (size := path.stat().st_size) != entry.size:
                    results.append(
                        VerifyResult(
                            ds.name,
                            entry.path,
                            "size",
                            f"expected {entry.size} bytes, found {size}",
                        )
                    )
                elif (digest := _sha256(path)) != entry.sha256:
                    results.append(
                        VerifyResult(
                            ds.name,
                            entry.path,
                            "hash",
                            f"expected sha256 {entry.sha256}, found {digest}",
                        )
                    )
                else:
                    results.append(VerifyResult(ds.name, entry.path, "ok"))
                if bar is not None:
                    bar.update(entry.size)
    finally:
        if bar is not None:
            bar.close()
    return results


def clean_partial(root: str | Path | None = None) -> list[Path]:
    """Remove leftover ``.part`` files from the cache; returns what was removed."""
    root = Path(root) if root is not None else data_dir()
    removed = sorted(root.rglob("*.part")) if root.exists() else []
    for p in removed:
        p.unlink()
    return removed
