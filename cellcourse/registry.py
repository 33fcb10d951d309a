"""The data registry: every file of every course dataset, pinned by sha256.

The registry (``cellcourse/registry.json``) is generated from the data
manifest by ``scripts/make_registry.py``. Each dataset has a title, a licence,
a citation and a list of files; each file has a relative ``path`` laid out as
``<owner>/<repo>/<commit>/<path in repo>``, an https ``url`` at that pinned
commit, its ``sha256`` and its ``size`` in bytes. The same relative path is
used in the download cache and in a local mirror, so a filled cache can be
handed out as a mirror.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path, PurePosixPath

__all__ = ["FileEntry", "DatasetEntry", "datasets", "get_dataset", "safe_join", "format_size"]


@dataclass(frozen=True)
class FileEntry:
    """One file of a dataset.

    Attributes
    ----------
    path : str
        Relative POSIX path ``<owner>/<repo>/<commit>/<path in repo>``; the
        same under the cache and under a mirror.
    url : str
        Where the file is downloaded from (https, pinned commit).
    sha256 : str
        Expected SHA-256 of the bytes (64 hex digits).
    size : int
        Expected size in bytes.
    """

    path: str
    url: str
    sha256: str
    size: int

    @property
    def name(self) -> str:
        """The file name without folders."""
        return PurePosixPath(self.path).name


@dataclass(frozen=True)
class DatasetEntry:
    """A course dataset: its files and where it comes from.

    Attributes
    ----------
    name : str
        Dataset id, e.g. ``"bbbc039_nuclei"``.
    title, licence, citation, homepage : str
        What it is, its licence (SPDX-like), how to cite it, where it lives.
    doi : tuple of str
        DOIs to cite.
    chapters : tuple of str
        Course chapters that use it.
    files : tuple of FileEntry
        Every file, sorted by path.
    """

    name: str
    title: str
    licence: str
    citation: str
    doi: tuple[str, ...]
    homepage: str
    chapters: tuple[str, ...]
    files: tuple[FileEntry, ...]

    @property
    def size(self) -> int:
        """Total size of the files in bytes."""
        return sum(f.size for f in self.files)

    def file(self, suffix: str) -> FileEntry:
        """The single file whose path ends with ``suffix``.

        Parameters
        ----------
        suffix : str
            End of the path inside the repository, e.g. ``"man_track.txt"``.

        Raises
        ------
        KeyError
            If no file or more than one file matches.
        """
        matches = [f for f in self.files if f.path.endswith(suffix)]
        if len(matches) != 1:
            raise KeyError(
                f"dataset {self.name!r}: expected exactly one file ending with {suffix!r}, "
                f"found {len(matches)}"
            )
        return matches[0]


def _registry_path() -> Path:
    return Path(str(resources.files("cellcourse") / "registry.json"))


@lru_cache(maxsize=4)
def _load(path: str) -> dict[str, DatasetEntry]:
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    out = {}
    for name, d in doc["datasets"].items():
        files = tuple(
            FileEntry(path=f["path"], url=f["url"], sha256=f["sha256"], size=int(f["size"]))
            for f in d["files"]
        )
        out[name] = DatasetEntry(
            name=name,
            title=d["title"],
            licence=d["licence"],
            citation=d["citation"],
            doi=tuple(d.get("doi", ())),
            homepage=d.get("homepage", ""),
            chapters=tuple(d.get("chapters", ())),
            files=files,
        )
    return out


def datasets(registry: str | Path | None = None) -> dict[str, DatasetEntry]:
    """All datasets of the registry, by name.

    Parameters
    ----------
    registry : str or Path, optional
        Another registry file (tests); default the one shipped in the package.

    Returns
    -------
    dict of str to DatasetEntry

    Examples
    --------
    >>> "bbbc039_nuclei" in datasets()
    True
    """
    return _load(str(registry or _registry_path()))


def get_dataset(name: str, registry: str | Path | None = None) -> DatasetEntry:
    """One dataset of the registry.

    Parameters
    ----------
    name : str
        Dataset id as in the data README, e.g. ``"bccd_blood_cells"``.

    Raises
    ------
    KeyError
        If there is no such dataset; the message lists the known names and the
        closest match.
    """
    table = datasets(registry)
    if not isinstance(name, str):
        raise TypeError(f"dataset name must be a string; got {type(name).__name__}")
    if name not in table:
        close = [n for n in sorted(table) if n.startswith(name.lower())] or (
            difflib.get_close_matches(name.lower(), table, n=1, cutoff=0.4)
        )
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise KeyError(
            f"unknown dataset {name!r}.{hint} Known datasets: {', '.join(sorted(table))} "
            "(`cellcourse data list` shows them with sizes and licences)"
        )
    return table[name]


def safe_join(root: str | Path, relpath: str) -> Path:
    """Join a registry path to a directory, refusing paths that leave it.

    Parameters
    ----------
    root : str or Path
        The cache or mirror directory.
    relpath : str
        A registry path (POSIX, relative).

    Returns
    -------
    pathlib.Path
        ``root / relpath``, guaranteed to lie inside ``root``.

    Raises
    ------
    ValueError
        If ``relpath`` is absolute, contains ``..`` or a backslash, or would
        otherwise resolve outside ``root`` (a registry entry must never write
        anywhere else on the learner's disk).
    """
    if not isinstance(relpath, str) or not relpath:
        raise ValueError(f"registry path must be a non-empty string; got {relpath!r}")
    pure = PurePosixPath(relpath)
    if pure.is_absolute() or "\\" in relpath or ".." in pure.parts or relpath.startswith("~"):
        raise ValueError(
            f"registry path {relpath!r} tries to leave the data directory; expected a relative "
            "path like 'owner/repo/commit/file.tif' without '..'"
        )
    root = Path(root)
    target = root.joinpath(*pure.parts)
    resolved_root = root.resolve()
    if not target.resolve().is_relative_to(resolved_root):
        raise ValueError(
            f"registry path {relpath!r} resolves to {target.resolve()}, outside the data "
            f"directory {resolved_root} (a symbolic link?)"
        )
    return target


def format_size(n_bytes: int) -> str:
    """Human-readable size, e.g. ``format_size(74_000_000) == '74.0 MB'``."""
    for unit in ("B", "kB", "MB", "GB"):
        if n_bytes < 1000 or unit == "GB":
            return f"{n_bytes:.0f} {unit}" if unit == "B" else f"{n_bytes:.1f} {unit}"
        n_bytes /= 1000
    raise AssertionError("unreachable")
