"""Atomic writes: a file or folder is either the old one or the complete new one, never half.

:func:`atomic_path` and :func:`write_text_atomic` write one file; :func:`staged_folder` is the
one folder swap (plan outputs, prepared datasets).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "exchange_paths", "staged_folder", "write_text_atomic"]


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


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def exchange_paths(first: Path, second: Path) -> bool:
    """
    Swap two existing paths in one atomic step (Linux ``renameat2`` with ``RENAME_EXCHANGE``).

    Parameters
    ----------
    first, second
        Two existing files or folders on the same file system.

    Returns
    -------
    bool
        True when swapped; False when the system has no atomic exchange (the caller then
        falls back to two renames).
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    done = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    return done == 0


def _folder_mode(final: Path) -> int:
    """Mode of a new output folder: the previous folder's, else what the umask allows."""
    if final.is_dir():
        return final.stat().st_mode & 0o7777
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o777 & ~mask


def _swap_in(staging: Path, final: Path) -> None:
    """Put ``staging`` at ``final``: one atomic exchange where the system has it."""
    if not final.exists():
        staging.rename(final)
        return
    if exchange_paths(staging, final):
        shutil.rmtree(staging)  # now holds the previous folder
        return
    old = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=final.parent))
    old.rmdir()
    final.rename(old)
    try:
        staging.rename(final)
    except OSError:
        old.rename(final)
        raise
    shutil.rmtree(old)


@contextlib.contextmanager
def staged_folder(final: str | Path) -> Iterator[Path]:
    """
    Yield a fresh folder beside ``final``; swap it in for ``final`` when the block succeeds.

    The one folder swap of ruralnet: the new folder replaces ``final`` in one atomic exchange
    (two renames where the system has none), so an interrupted write leaves the previous
    folder whole. The new folder gets the previous folder's mode, or the umask's.

    Parameters
    ----------
    final
        The folder to create or replace. Its parent must exist.

    Yields
    ------
    pathlib.Path
        The staging folder to fill. On an exception it is removed and ``final`` is untouched.
    """
    final = Path(final)
    mode = _folder_mode(final)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.new-", dir=final.parent))
    try:
        staging.chmod(mode)  # mkdtemp makes it private; an output folder is not
        yield staging
        _swap_in(staging, final)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
