"""Check every figure a written plan folder states against the figure its data give.

``ruralnet verify`` first re-checks every rule on the decisions read back from the folder
(:mod:`ruralnet.readback`, :mod:`ruralnet.verify`, the van routes). Then
:func:`check_figures` rebuilds the plan from those decisions and compares, cell by cell, every
figure of ``villages.csv``, ``stations.csv``, ``centres.csv`` and ``links.csv`` (costs, road
distances, parcels, counts, positions) and every number of ``summary.json`` (costs and their
parts, counts, coverage, parcels by mode, access distances, bus load factors) with the
recomputed one. A cost or distance edited by hand is named with its file, row and both values.

Not recomputed here, so not compared: the solver's own figures (time, bound, gap), the
all-van comparison (it needs a second solve) and the figures of the van routes (the routes
have their own check), and, for a phased plan, the per-phase columns and figures (the tables
describe the last phase only).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ruralnet.assemble import Assembly
from ruralnet.data import Inputs
from ruralnet.errors import DataError
from ruralnet.export import table_csv
from ruralnet.plan import Plan
from ruralnet.problem import Problem, Solution
from ruralnet.readback import PLAN_FIX, read_plan_csv, read_summary
from ruralnet.scenario import Scenario
from ruralnet.verify import VerificationReport

__all__ = ["FigureCheck", "check_figures", "rebuilt_plan"]

# file -> (Plan table, the columns that name a row)
_TABLES = {
    "villages.csv": ("villages", ("village_id",)),
    "stations.csv": ("stations", ("site_id",)),
    "centres.csv": ("centres", ("site_id",)),
    "links.csv": ("links", ("tier", "from_id", "to_id", "mode", "line_id")),
}
_PHASE_COLUMNS = frozenset({"covered_from_phase", "opened_phase"})
# summary.json figures that are not recomputed from the folder's decisions (see above)
_NOT_RECOMPUTED = (
    "solver.",
    "phases",
    "routes",
    "transport_per_day",
    "targets",
    "all_van",
    "saving_vs",
    "fleet",
    "road_network.",
    "separate_brands",
    "own_village",
)
# with routes the total is priced by them: the van parts are checked against the routes
# (ruralnet.routes.readback); the siting model's total and the other parts here
_ROUTE_PRICED = ("total_cost_yuan_per_year", "cost_yuan_per_year.van", "total_minus_siting")
_MOST_LISTED = 20


@dataclass(frozen=True)
class FigureCheck:
    """The outcome of :func:`check_figures`.

    Attributes
    ----------
    checked
        How many figures were compared.
    mismatches
        One line per figure that differs from its recomputed value (file, row, both values).
    """

    checked: int
    mismatches: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when every figure equals its recomputed value."""
        return not self.mismatches


def _as_number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _same(written: str, recomputed: str, *, abs_tol: float = 1e-6) -> bool:
    if written.strip() == recomputed.strip():
        return True
    a, b = _as_number(written), _as_number(recomputed)
    if a is None or b is None:
        return written.strip().lower() == recomputed.strip().lower()  # True / true
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=abs_tol)


def _row_keys(table: pd.DataFrame, keys: tuple[str, ...]) -> list[tuple[str, ...]]:
    return [tuple(str(v) for v in row) for row in table[list(keys)].itertuples(index=False)]


def _compare_table(plan: Plan, folder: Path, name: str) -> tuple[int, list[str]]:
    attr, keys = _TABLES[name]
    expected = pd.read_csv(
        io.StringIO(table_csv(getattr(plan, attr))), dtype=str, keep_default_na=False
    )
    columns = [c for c in expected.columns if not (plan.scenario.phases and c in _PHASE_COLUMNS)]
    written = read_plan_csv(folder, name, tuple(expected.columns))
    wanted = dict(zip(_row_keys(expected, keys), range(len(expected)), strict=True))
    label = ", ".join(keys)
    problems: list[str] = []
    checked = 0
    seen = set()
    for i, key in enumerate(_row_keys(written, keys)):
        where = f"{name} row {i + 1} ({label}={'/'.join(key)})"
        if key not in wanted:
            problems.append(f"{where}: not part of the plan the folder's decisions give")
            continue
        seen.add(key)
        mine, theirs = expected.iloc[wanted[key]], written.iloc[i]
        for column in columns:
            checked += 1
            if not _same(str(theirs[column]), str(mine[column])):
                problems.append(
                    f"{where}: {column} is {theirs[column]!r}, recomputed {mine[column]!r}"
                )
    problems += [
        f"{name}: the row {label}={'/'.join(key)} of the plan is missing"
        for key in wanted
        if key not in seen
    ]
    return checked, problems


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Leaves of a nested dict keyed by dotted paths (lists are left out)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}{key}."))
        return out
    if isinstance(value, list):
        return {}
    return {prefix[:-1]: value}


def _tolerance(key: str) -> float:
    """One unit in the last place the summary rounds the figure to."""
    if "yuan" in key or "parcels" in key:
        return 0.011
    if key.endswith("_km") or "_km_" in key or "km." in key:
        return 0.0011
    return 2e-6


def _compare_summary(plan: Plan, folder: Path) -> tuple[int, list[str]]:
    written = _flatten(read_summary(folder))
    problems = []
    if written.get("verified") is not True:
        problems.append("summary.json: verified is not true; the plan was not verified")
    if len(plan.scenario.phases) > 1:  # its figures sum the phases; the tables hold the last
        return 0, problems
    recomputed = _flatten(plan.summary())
    routed = written.get("cost_basis") == "routes" and recomputed.get("cost_basis") != "routes"
    skipped = _NOT_RECOMPUTED + (_ROUTE_PRICED if routed else ())
    checked, found = _routed_totals(written) if routed else (0, [])
    problems += found
    for key, value in recomputed.items():
        if key.startswith(skipped) or isinstance(value, bool):
            continue
        if not isinstance(value, int | float) or not math.isfinite(value):
            continue
        checked += 1
        if key not in written:
            problems.append(f"summary.json: {key} is missing, recomputed {value!r}")
            continue
        given = written[key]
        number = _as_number(str(given)) if not isinstance(given, bool) else None
        if number is None or not math.isclose(number, value, rel_tol=1e-6, abs_tol=_tolerance(key)):
            problems.append(f"summary.json: {key} is {given!r}, recomputed {value!r}")
    return checked, problems


def rebuilt_plan(
    scenario: Scenario,
    inputs: Inputs,
    assembly: Assembly,
    problem: Problem,
    solution: Solution,
    report: VerificationReport,
) -> Plan:
    """
    Make the plan a folder's decisions describe, to recompute its figures.

    Parameters
    ----------
    scenario, inputs, assembly
        The plan's scenario, its data and the problem built from them.
    problem
        The problem the solution belongs to (the last phase's for a phased plan).
    solution
        The decisions read back with :func:`ruralnet.readback.read_solution`.
    report
        Their verification (it must be ok).

    Returns
    -------
    Plan
    """
    if len(assembly.problem.phases) > 1:  # a phased plan's tables state the base demand
        problem = replace(
            problem, inbound=assembly.problem.inbound, outbound=assembly.problem.outbound
        )
    return Plan(
        scenario=scenario,
        inputs=inputs,
        assembly=replace(assembly, problem=problem),
        solution=solution,
        verification=report,
    )


def _routed_totals(written: dict[str, Any]) -> tuple[int, list[str]]:
    """Check a route-priced total: the sum of its parts, and the model's total plus its gap."""
    problems = []
    parts = [v for k, v in written.items() if k.startswith("cost_yuan_per_year.")]
    figures = {
        "total_cost_yuan_per_year": sum(_as_number(str(v)) or 0.0 for v in parts),
        "total_minus_siting_model_yuan_per_year": (
            (_as_number(str(written.get("total_cost_yuan_per_year"))) or 0.0)
            - (_as_number(str(written.get("siting_model_cost_yuan_per_year"))) or 0.0)
        ),
    }
    for key, value in figures.items():
        given = _as_number(str(written.get(key)))
        if given is None or not math.isclose(given, value, rel_tol=1e-6, abs_tol=0.05):
            problems.append(
                f"summary.json: {key} is {written.get(key)!r}, its parts give {value:.2f}"
            )
    return len(figures), problems


def check_figures(plan: Plan, folder: str | Path) -> FigureCheck:
    """
    Compare every figure of a plan folder with the one recomputed from its decisions.

    Parameters
    ----------
    plan
        The plan rebuilt from the folder's decisions (for a phased plan: its last phase),
        verified.
    folder
        The folder written by ``ruralnet run``.

    Returns
    -------
    FigureCheck
        How many figures were compared and which differ.

    Raises
    ------
    DataError
        When a file is damaged (missing, a column renamed or gone, unreadable).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(folder, "is not a folder", PLAN_FIX)
    checked, problems = 0, []
    for name in _TABLES:
        n, found = _compare_table(plan, folder, name)
        checked, problems = checked + n, problems + found
    n, found = _compare_summary(plan, folder)
    return FigureCheck(checked=checked + n, mismatches=tuple(problems + found))
