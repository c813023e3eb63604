"""Exceptions raised by ruralnet: the one vocabulary every stage shares.

:func:`one_line` phrases any exception as the one line the command line prints (``error: ...``),
so that ``ruralnet run`` and a failed ``ruralnet batch`` job say the same thing.
"""

from __future__ import annotations

import errno
from pathlib import Path


class RuralnetError(Exception):
    """Base class of every error ruralnet raises on purpose."""


class ScenarioError(RuralnetError, ValueError):
    """A scenario file is missing, unreadable or has an invalid key or value."""


class DataError(RuralnetError, ValueError):
    """A dataset file is missing, unreadable or holds an invalid row or feature.

    Parameters
    ----------
    path
        The file at fault.
    problem
        What is wrong, in one sentence without a trailing full stop.
    fix
        How to fix it, in one sentence.
    row
        1-based data row number, when one row is at fault.
    feature
        The id of the feature at fault (e.g. ``village_id=V0417``).
    """

    def __init__(
        self,
        path: str | Path,
        problem: str,
        fix: str,
        *,
        row: int | None = None,
        feature: str | None = None,
    ) -> None:
        where = Path(path).name
        if row is not None:
            where += f" row {row}"
        if feature is not None:
            where += f" ({feature})"
        self.path = Path(path)
        self.row = row
        self.feature = feature
        super().__init__(f"{where}: {problem}. {fix}")

    @classmethod
    def combine(cls, errors: list[DataError], *, most: int = 10) -> DataError:
        """
        Merge several problems into one error whose message lists the first ``most``.

        Parameters
        ----------
        errors
            At least one error, in the order found.
        most
            How many to spell out; the rest are counted.

        Returns
        -------
        DataError
            The first error's path, row and feature, with every message joined by ``; ``.
        """
        if len(errors) == 1:
            return errors[0]
        text = "; ".join(str(e) for e in errors[:most])
        if len(errors) > most:
            text += f"; and {len(errors) - most} more problems"
        combined = cls.__new__(cls)
        Exception.__init__(combined, text)
        combined.path, combined.row, combined.feature = (
            errors[0].path,
            errors[0].row,
            errors[0].feature,
        )
        return combined


class NetworkError(RuralnetError):
    """The road network cannot serve the data (e.g. a village far from every road)."""


class InfeasibleError(RuralnetError):
    """No plan can meet the scenario's constraints; the message says why."""


class SolverError(RuralnetError):
    """The solver failed or returned no usable solution."""


class VerificationError(RuralnetError):
    """A plan failed independent verification; it is not trusted and not written."""


class OutputError(RuralnetError, OSError):
    """The output folder cannot be written, or holds files ruralnet did not write."""


class RuralnetWarning(UserWarning):
    """Suspicious but legal input (e.g. villages snapped far to the road)."""


# what an operating-system error means for the user, and what to do about it
_OS_REASONS: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("the disk is full", "free some space or choose another folder"),
    errno.EDQUOT: ("the disk quota is used up", "free some space or choose another folder"),
    errno.EROFS: ("the file system is read-only", "choose a folder on a writable disk"),
    errno.EACCES: ("permission denied", "choose a folder you may write to, or fix its permissions"),
    errno.EPERM: ("operation not permitted", "choose a folder you may write to"),
    errno.ENOENT: ("no such file or folder", "check the path"),
    errno.ENOTDIR: ("a part of the path is not a folder", "check the path"),
    errno.EISDIR: ("it is a folder", "give a file name"),
    errno.ELOOP: ("symbolic links point at each other in a loop", "fix the links"),
    errno.ENAMETOOLONG: ("the name is too long", "choose a shorter path"),
    errno.EIO: ("an input/output error on the device", "check the disk"),
}


def os_reason(exc: OSError) -> tuple[str, str]:
    """
    Say in words what an operating-system error means, and what to do.

    Parameters
    ----------
    exc
        Any :class:`OSError`.

    Returns
    -------
    tuple of str
        ``(reason, fix)``, e.g. ``("the disk is full", "free some space or choose another folder")``.
    """
    if exc.errno in _OS_REASONS:
        return _OS_REASONS[exc.errno]
    return (exc.strerror or str(exc) or type(exc).__name__, "check the path and try again")


def one_line(exc: BaseException) -> str:
    """
    Phrase ``exc`` as the one line the command line prints (after ``error: ``).

    Parameters
    ----------
    exc
        A ruralnet error (its message, on one line), an operating-system error (the path, what
        went wrong and the fix), or any other exception (named as an internal error).

    Returns
    -------
    str
        One line, never empty.
    """
    if isinstance(exc, RuralnetError):
        return " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, OSError):
        reason, fix = os_reason(exc)
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}cannot read or write ({reason}); {fix}"
    text = " ".join(str(exc).split())
    return (
        f"internal error ({type(exc).__name__}{': ' + text if text else ''}); rerun with "
        "--debug to see where, and report it"
    )
