"""Exceptions raised by ruralnet: the one vocabulary every stage shares."""

from __future__ import annotations

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


class OutputError(RuralnetError):
    """The output folder cannot be written, or holds files ruralnet did not write."""


class RuralnetWarning(UserWarning):
    """Suspicious but legal input (e.g. villages snapped far to the road)."""
