"""Which files of a sources folder may be read, and how much of them: nothing outside leaks in.

The walk never follows a symbolic link out of the folder (unless `follow_outside_links` is on),
reads every real folder once (so link loops end, and links cannot multiply a folder), and passes
over files larger than `max_file_bytes` after a `stat`, without opening them. Everything passed
over is returned with the reason, naming a link's target, so the build can warn about it. A file
that is skipped here is not a source at all, so the index stays fresh for the same folder.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path

MANIFEST_NAME = "sources.toml"
SYNONYMS_NAME = "synonyms.txt"  # at the top of the folder: aliases for retrieval (qabot.aliases), not a document
MB = 1_000_000


@dataclass(frozen=True)
class ReadLimits:
    """How far reading may go; the defaults are `Settings`' and what library callers get."""

    follow_outside_links: bool = False
    max_file_bytes: int = 50 * MB
    max_pdf_pages: int = 2000
    max_html_depth: int = 512
    max_extracted_chars: int = 50_000_000

    @classmethod
    def from_settings(cls, settings) -> ReadLimits:
        """From `settings.reading` (qabot.settings.ReadingSettings)."""
        reading = settings.reading
        return cls(
            follow_outside_links=reading.follow_outside_links,
            max_file_bytes=int(reading.max_file_mb * MB),
            max_pdf_pages=reading.max_pdf_pages,
            max_html_depth=reading.max_html_depth,
            max_extracted_chars=reading.max_extracted_chars,
        )

    def as_dict(self) -> dict:
        """Recorded in the index manifest: other limits may read files differently."""
        return asdict(self)


@dataclass
class FolderScan:
    """The files to read (paths below the folder as given, sorted) and (source, reason) passed over."""

    paths: list[str] = field(default_factory=list)  # as strings: a Path costs ~10 µs, 0.1 s per 10,000 files
    skipped: list[tuple[str, str]] = field(default_factory=list)
    # (size, mtime_ns) of each file as the walk saw it, by path string: freshness needs no second stat
    states: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def files(self) -> list[Path]:
        return [Path(p) for p in self.paths]


def _megabytes(size: int) -> str:
    return f"{size / MB:.3g} MB"


def _is_within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


class _Walk:
    """One scan: the folders still to read, and every real folder read so far (by device and inode)."""

    def __init__(self, folder: Path, limits: ReadLimits) -> None:
        self.folder = folder
        self.root = os.path.realpath(folder)
        self.limits = limits
        self.scan = FolderScan()
        self.read_folders: dict[tuple[int, int], str] = {}
        self.linked_folders: list[tuple[Path, str]] = []  # followed after every real folder is read

    def source(self, path: Path) -> str:
        return path.relative_to(self.folder).as_posix()

    def skip(self, path: Path, reason: str) -> None:
        self.scan.skipped.append((self.source(path), reason))

    def read_folder(self, start: Path, key: tuple[int, int]) -> None:
        """Every entry below `start`, without following links to folders (those wait in `linked_folders`)."""
        self.read_folders[key] = self.source(start) if start != self.folder else "the sources folder itself"
        pending = [start]
        while pending:
            folder = pending.pop()
            base = str(folder) != "."  # entry.path is str(folder / name), but "./name" for "."
            try:
                entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
            except OSError as error:
                self.skip(folder, f"folder cannot be read ({error.strerror or error})")
                continue
            for entry in entries:
                if entry.name.startswith(".") or entry.name == MANIFEST_NAME:
                    continue
                if entry.name == SYNONYMS_NAME and folder == self.folder:
                    continue
                if entry.is_symlink():
                    self.link(folder / entry.name)
                    continue
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError as error:
                    self.skip(folder / entry.name, f"cannot be read ({error.strerror or error})")
                    continue
                if stat.S_ISREG(info.st_mode) and info.st_size <= self.limits.max_file_bytes:
                    self.add(entry.path if base else entry.name, info)  # the common case, without a Path
                    continue
                path = folder / entry.name
                if stat.S_ISDIR(info.st_mode):
                    key = (info.st_dev, info.st_ino)
                    if key in self.read_folders:
                        self.skip(path, f"same folder as {self.read_folders[key]}, read there")
                    else:
                        self.read_folders[key] = self.source(path)
                        pending.append(path)
                else:
                    self.file(path, info)

    def file(self, path: Path, info: os.stat_result, link: str = "") -> None:
        if not stat.S_ISREG(info.st_mode):
            self.skip(path, f"{link}not a regular file (a device, pipe or socket)")
        elif info.st_size > self.limits.max_file_bytes:
            self.skip(path, f"{link}too large: {_megabytes(info.st_size)} "
                            f"(the limit is {_megabytes(self.limits.max_file_bytes)}, setting reading.max_file_mb)")
        else:
            self.add(str(path), info)

    def add(self, path: str, info: os.stat_result) -> None:
        self.scan.paths.append(path)
        self.scan.states[path] = (info.st_size, info.st_mtime_ns)

    def link(self, path: Path) -> None:
        """A symbolic link: kept when it resolves inside the folder (or outside ones are allowed)."""
        target = os.path.realpath(path)
        try:
            info = os.stat(path)
        except OSError as error:
            pointed = os.readlink(path)
            self.skip(path, f"link loop (→ {pointed}, which leads back round)" if error.errno == errno.ELOOP
                      else f"broken link (→ {pointed})")
            return
        if not _is_within(target, self.root) and not self.limits.follow_outside_links:
            self.skip(path, f"link to {target}, outside the sources folder "
                            "(not read; setting reading.follow_outside_links allows it)")
            return
        if stat.S_ISDIR(info.st_mode):
            self.linked_folders.append((path, target))
        else:
            self.file(path, info, link=f"link to {target}: ")

    def follow_linked_folders(self) -> None:
        """Linked folders, in order, each real folder once: a link back up its own path is a loop."""
        while self.linked_folders:
            path, target = self.linked_folders.pop(0)
            try:
                info = os.stat(path)
            except OSError as error:  # changed since it was seen
                self.skip(path, f"cannot be read ({error.strerror or error})")
                continue
            key = (info.st_dev, info.st_ino)
            if key in self.read_folders:
                if _is_within(os.path.realpath(path.parent), target):
                    self.skip(path, f"link loop (→ {target}, a folder this link is inside)")
                else:
                    self.skip(path, f"link to {target}: same folder as {self.read_folders[key]}, read there")
                continue
            self.read_folder(path, key)


def scan_folder(folder: Path, limits: ReadLimits | None = None) -> FolderScan:
    """The files below `folder` that may be read (hidden ones and the manifest excepted), and the rest with why."""
    walk = _Walk(Path(folder), limits or ReadLimits())
    info = os.stat(folder)
    walk.read_folder(walk.folder, (info.st_dev, info.st_ino))
    walk.follow_linked_folders()
    root = str(walk.folder)  # sorted as relative_to(folder).parts would be, without pathlib's parsing
    prefix = 0 if root == "." else len(root.rstrip(os.sep)) + 1
    walk.scan.paths.sort(key=lambda path: path[prefix:].split(os.sep))
    walk.scan.skipped.sort()
    return walk.scan


def read_capped(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, refusing (ValueError) one that has grown past the cap since the scan."""
    with open(path, "rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"too large: over {_megabytes(max_bytes)} (setting reading.max_file_mb)")
    return data
