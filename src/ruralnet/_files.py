"""Atomic file writes: a file is either the old one or the complete new one, never half."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """
    Yield a temporary path beside ``path``; rename it onto ``path`` when the block succeeds.

    Parameters
    ----------
    path
        The final file name. Its folder must exist.

    Yields
    ------
    pathlib.Path
        A fresh temporary name in the same folder (same file system, so the rename is atomic).
        On an exception the temporary file is removed and ``path`` is left untouched.
    """
    final = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers such as GDAL want to create the file themselves
    try:
        yield tmp
        tmp.replace(final)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text_atomic(path: str | Path, text: str, *, encoding: str = "utf-8") -> Path:
    """
    Write ``text`` to ``path`` atomically.

    Parameters
    ----------
    path
        Destination file.
    text
        The whole content.
    encoding
        Text encoding; ``utf-8-sig`` writes a BOM (for CSV opened in Excel).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding=encoding, newline="")
    return Path(path)
