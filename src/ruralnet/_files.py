"""Atomic writes: a file or folder is either the old one or the complete new one, never half.

:func:`atomic_path` and :func:`write_text_atomic` write one file; :func:`staged_folder` is the
one folder swap (plan outputs, prepared datasets), done under :func:`folder_lock`.

Beside an output folder ``NAME`` ruralnet uses three exact names and no others:
``.NAME.ruralnet-lock`` (the lock, removed when the writer is done), ``.NAME.ruralnet-new``
(the folder being filled) and ``.NAME.ruralnet-old`` (the previous folder during a swap where
the system has no atomic exchange). Only the holder of the lock creates or removes them, so a
leftover of a killed run is recognised by its exact name, never by a pattern.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from ruralnet.errors import OutputError, os_reason

try:  # POSIX; elsewhere the lock is a no-op
    import fcntl
except ImportError:  # pragma: no cover - not on Linux
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "atomic_path",
    "exchange_paths",
    "folder_lock",
    "output_error",
    "staged_folder",
    "write_text_atomic",
]


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


def sibling(final: Path, tag: str) -> Path:
    """Return the exact name of a helper path beside ``final`` (see the module docstring)."""
    return final.parent / f".{final.name}.ruralnet-{tag}"


def output_error(final: Path, exc: OSError) -> OutputError:
    """
    Phrase an operating-system error met while writing ``final`` as one line.

    Parameters
    ----------
    final
        The output folder or file being written.
    exc
        What the system said (disk full, read-only file system, permission denied, ...).

    Returns
    -------
    OutputError
        ``"<final>: cannot write it (<reason>); nothing was changed; <fix>"``.
    """
    if isinstance(exc, OutputError):
        return exc
    reason, fix = os_reason(exc)
    return OutputError(f"{final}: cannot write it ({reason}); nothing was changed; {fix}")


_held: dict[Path, list[int]] = {}  # lock path -> [file descriptor, depth] in this process
_held_guard = threading.Lock()


def _acquire(lock: Path, final: Path) -> int:
    """Open and lock ``lock`` without waiting; retry when the previous holder removed it."""
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            raise output_error(final, exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip()
            os.close(fd)
            who = f" (process {holder})" if holder.isdigit() else ""
            msg = (
                f"{final}: another ruralnet run{who} is writing this folder right now; "
                "wait for it to finish or choose another output folder"
            )
            raise OutputError(msg) from None
        try:  # the holder before us unlinks the file when done: lock the live one
            live = lock.stat()
        except FileNotFoundError:
            os.close(fd)
            continue
        mine = os.fstat(fd)
        if (live.st_dev, live.st_ino) == (mine.st_dev, mine.st_ino):
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
            return fd
        os.close(fd)


@contextlib.contextmanager
def folder_lock(final: str | Path) -> Iterator[None]:
    """
    Hold the write lock of one output folder for the duration of the block.

    The lock is ``fcntl.flock`` on ``.NAME.ruralnet-lock`` beside the folder, taken without
    waiting: a second writer (another process, e.g. a second ``ruralnet run -o`` on the same
    folder) gets an :class:`~ruralnet.errors.OutputError` at once and changes nothing. The lock
    is re-entrant within a process and dies with its process (no stale locks after a kill).

    Parameters
    ----------
    final
        The output folder (it need not exist; its parent must).

    Yields
    ------
    None

    Raises
    ------
    OutputError
        When another process holds the lock, or the lock file cannot be made (read-only or
        pseudo file system, permission denied).
    """
    final = Path(final).resolve()
    lock = sibling(final, "lock")
    if fcntl is None:  # pragma: no cover - not on Linux
        yield
        return
    with _held_guard:
        entry = _held.get(lock)
        if entry is not None:
            entry[1] += 1
        else:
            _held[lock] = [_acquire(lock, final), 1]
    try:
        yield
    finally:
        with _held_guard:
            entry = _held[lock]
            entry[1] -= 1
            if entry[1] == 0:
                del _held[lock]
                with contextlib.suppress(OSError):
                    lock.unlink()  # while still holding it: the next writer re-checks the inode
                os.close(entry[0])


def _folder_mode(final: Path) -> int:
    """Mode of a new output folder: the previous folder's, else what the umask allows."""
    if final.is_dir():
        return final.stat().st_mode & 0o7777
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o777 & ~mask


def _clear_leftovers(final: Path) -> None:
    """Remove what a killed writer of ``final`` left (caller holds the lock): exact names only."""
    retired = sibling(final, "old")
    if retired.is_dir() and not retired.is_symlink():
        if not final.exists():  # killed between the two renames: the previous folder comes back
            retired.rename(final)
        else:
            shutil.rmtree(retired)
    staging = sibling(final, "new")
    if staging.is_dir() and not staging.is_symlink():
        shutil.rmtree(staging)


def _swap_in(staging: Path, final: Path) -> None:
    """Put ``staging`` at ``final``: one atomic exchange where the system has it."""
    if not final.exists():
        staging.rename(final)
        return
    if exchange_paths(staging, final):
        shutil.rmtree(staging, ignore_errors=True)  # now holds the previous folder
        return
    retired = sibling(final, "old")
    final.rename(retired)
    try:
        staging.rename(final)
    except OSError:
        retired.rename(final)
        raise
    shutil.rmtree(retired, ignore_errors=True)


@contextlib.contextmanager
def staged_folder(final: str | Path) -> Iterator[Path]:
    """
    Yield a fresh folder beside ``final``; swap it in for ``final`` when the block succeeds.

    The one folder swap of ruralnet: under :func:`folder_lock`, the new folder
    (``.NAME.ruralnet-new``) replaces ``final`` in one atomic exchange (two renames where the
    system has none), so an interrupted write leaves the previous folder whole. The new folder
    gets the previous folder's mode, or what the umask allows.

    Parameters
    ----------
    final
        The folder to create or replace. Its parent must exist.

    Yields
    ------
    pathlib.Path
        The staging folder to fill. On an exception it is removed and ``final`` is untouched.

    Raises
    ------
    OutputError
        When another process is writing ``final``, or the system refuses a write (disk full,
        read-only file system, permission denied): one line, and ``final`` is unchanged.
    """
    final = Path(final).resolve()
    with folder_lock(final):
        staging = sibling(final, "new")
        try:
            _clear_leftovers(final)
            mode = _folder_mode(final)
            staging.mkdir(mode=0o700)
            staging.chmod(mode)  # mkdir applies the umask; the mode wanted is set exactly
        except OSError as exc:
            raise output_error(final, exc) from None
        try:
            yield staging
            _swap_in(staging, final)
        except OutputError as exc:  # a writer's own message: name the folder, not the staging
            raise OutputError(str(exc).replace(str(staging), str(final))) from None
        except OSError as exc:
            raise output_error(final, exc) from None
        finally:
            if staging.is_dir() and not staging.is_symlink():
                shutil.rmtree(staging, ignore_errors=True)
