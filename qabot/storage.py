"""Atomic writes: a reader sees the old file or folder or the new one, never half of either.

Every file qabot writes that another process may read (the `CURRENT` pointer, a generation, an
exported encoder, a run file) goes through one of these two functions.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` to a temporary file beside `path`, flush it to disk, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        _fsync(temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def staged_folder(final: Path) -> Iterator[Path]:
    """Yield an empty staging folder beside `final`; on success it is synced and renamed to `final`.

    On any error (or Ctrl-C) the staging folder is removed and `final` is left as it was. `final`
    must not exist yet: generations and encoders are written once under a fresh name.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = final.parent / f".tmp-{uuid.uuid4().hex[:12]}"
    staging.mkdir()
    try:
        yield staging
        for path in staging.rglob("*"):
            if path.is_file():
                _fsync(path)
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
