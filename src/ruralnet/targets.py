"""The seed plans' targets a plan meets: coverage per township, the target rows, ``targets.md``.

Each target is counted as the plan counts it and cites its source (the county plans in
``SEEDS.md``); :func:`policy_targets` gives the rows ``summary.json`` and the report show, and
:func:`targets_markdown` the ``targets.md`` a planner reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ruralnet.express_targets import express_target_rows
from ruralnet.i18n import N_, translator
from ruralnet.routes.outputs import fleet_table

if TYPE_CHECKING:
    from ruralnet.plan import Plan

__all__ = [
    "bus_share",
    "coverage_targets",
    "fleet_markdown",
    "policy_targets",
    "targets_markdown",
    "township_coverage",
]


SEED_COVERAGE_SOURCE = (
    "Dongchangfu plan: “2024 年年底,实现行政村寄递物流综合服务站覆盖率超过 85%；"
    "到 2025 年年底,实现行政村全覆盖”"
)
POLICY_COVERAGE = N_(
    "policy count (一村一站): villages with a station of their own ÷ administrative villages"
)


def _service_coverage(max_km: float) -> str:
    return (
        f"service count (多村一站): villages with a station within {max_km:g} road km ÷ "
        "administrative villages"
    )


def township_coverage(plan: Plan) -> pd.DataFrame:
    """
    Coverage in every township at the end of the plan, counted both ways.

    Parameters
    ----------
    plan
        A verified plan.

    Returns
    -------
    pandas.DataFrame
        ``township_id``, ``name``, ``villages``, ``own_station`` (villages with a station of
        their own, the seed plan's count), ``own_share``, ``covered`` (villages served under
        the scenario's rule), ``share`` and ``centres_open``.
    """
    p = plan.problem
    names = plan.inputs.townships.set_index("township_id")["name"]
    n_towns = len(p.township_ids)
    villages = np.bincount(p.village_township, minlength=n_towns)
    own = np.bincount(
        p.village_township, weights=plan.verification.own_station, minlength=n_towns
    ).astype(int)
    served = np.bincount(
        p.village_township, weights=plan.solution.village_station >= 0, minlength=n_towns
    ).astype(int)
    centres = np.bincount(p.centre_township[plan.solution.open_centre], minlength=n_towns)
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame(
            {
                "township_id": list(p.township_ids),
                "name": [names.get(t) for t in p.township_ids],
                "villages": villages,
                "own_station": own,
                "own_share": own / villages,
                "covered": served,
                "share": served / villages,
                "centres_open": centres,
            }
        )


def _coverage_row(
    plan: Plan, label: str, definition: tuple[str, str], goal: float, counted: np.ndarray
) -> dict[str, object]:
    """One coverage target row, with the same count per township."""
    p = plan.problem
    names = plan.inputs.townships.set_index("township_id")["name"]
    kind, text = definition
    share = float(np.mean(counted)) if len(counted) else 0.0
    per_town = np.bincount(p.village_township, weights=counted, minlength=len(p.township_ids))
    totals = np.bincount(p.village_township, minlength=len(p.township_ids))
    source = (
        SEED_COVERAGE_SOURCE
        if kind == "policy"
        else 'scenario: [service].rule = "within_distance" (P5, EST); not the seed plan\'s count'
    )
    return {
        "target": label,
        "definition": kind,
        "counted_as": text,
        "source": source,
        "goal": f">= {goal:.0%}",
        "value": f"{share:.1%} ({int(np.sum(counted))} of {len(counted)})",
        "met": share >= goal - 1e-9,
        "by_township": [
            {
                "township_id": tid,
                "name": names.get(tid),
                "villages": int(totals[t]),
                "counted": int(per_town[t]),
                "share": round(float(per_town[t] / totals[t]), 6) if totals[t] else None,
            }
            for t, tid in enumerate(p.township_ids)
        ],
    }


def coverage_targets(plan: Plan) -> list[dict[str, object]]:
    """
    Village coverage against the seed plan, per phase, as the plan counts it.

    The Dongchangfu plan counts the administrative villages that have a village delivery
    service station (行政村寄递物流综合服务站覆盖率): villages with a station of their own.
    Under ``[service].rule = "within_distance"`` the share of villages served by a station
    within the service distance is reported beside it, as a second row.

    Parameters
    ----------
    plan
        A verified plan.

    Returns
    -------
    list of dict
        Per phase: ``target``, ``definition`` (``policy`` or ``service``), ``counted_as``,
        ``source``, ``goal``, ``value``, ``met``, ``phase`` and ``by_township`` (``township_id``,
        ``name``, ``villages``, ``counted``, ``share``).
    """
    p, v = plan.problem, plan.verification
    reports = v.phases or (v,)
    steps = plan.solution.phases or (plan.solution,)
    shared = not p.own_village_rule
    rows: list[dict[str, object]] = []
    for k, report in enumerate(reports):
        phase = p.phases.names[k] if v.phases else None
        goal = float(p.phases.coverage_target[k]) if v.phases else p.coverage_target
        when = f", {phase}" if phase else ""
        row = _coverage_row(
            plan, N_("village station coverage") + when, ("policy", POLICY_COVERAGE), goal,
            report.own_station.astype(float),
        )  # fmt: skip
        rows.append({**row, "phase": phase})
        if shared:
            served = (steps[k].village_station >= 0).astype(float)
            row = _coverage_row(
                plan, N_("village service coverage") + when,
                ("service", _service_coverage(p.max_access_km)), goal, served,
            )  # fmt: skip
            rows.append({**row, "phase": phase})
    return rows


def policy_targets(plan: Plan) -> list[dict[str, object]]:
    """
    Check the plan against the seed plans' targets.

    The targets: village station coverage per phase (Dongchangfu: over 85 % of administrative
    villages by end 2024, 100 % by end 2025, as the scenario's phases or coverage target
    state them; counted as the plan counts it, see :func:`coverage_targets`), at least one
    co-delivery centre per township (Qingdao), a county hub (Qingdao: full county
    distribution centre coverage), and passenger buses carrying parcels (both plans, 客货邮融合).

    Parameters
    ----------
    plan
        A verified plan.

    Returns
    -------
    list of dict
        ``target``, ``definition``, ``source``, ``goal``, ``value``, ``met`` per target; the
        coverage rows add ``counted_as``, ``phase`` and ``by_township``.
    """
    rows = coverage_targets(plan)
    towns = township_coverage(plan)
    with_centre = int((towns["centres_open"] >= 1).sum())
    rows.append({"target": N_("co-delivery centre in every township"), "definition": None,
                 "source": N_("Qingdao plan: at least 1 per town"),
                 "goal": f"{len(towns)} of {len(towns)}", "value": f"{with_centre} of {len(towns)}",
                 "met": with_centre == len(towns)})  # fmt: skip
    hubs = int(plan.solution.open_hub.sum())
    rows.append({"target": N_("county distribution hub"), "definition": None,
                 "source": N_("Qingdao plan: 100 % by end 2024"),
                 "goal": ">= 1", "value": str(hubs), "met": hubs >= 1})  # fmt: skip
    share = bus_share(plan)
    rows.append({"target": N_("buses carry parcels (客货邮融合)"), "definition": None, "source": N_("both plans"),
                 "goal": "> 0 % of parcel rides", "value": f"{share:.1%}", "met": share > 0})  # fmt: skip
    stations = plan.stations
    upgraded = float((stations["kind"] == "existing").mean()) if len(stations) else 0.0
    rows.append({"target": N_("reuse existing 村邮站"), "definition": None,
                 "source": N_("Dongchangfu plan: support upgrading"),
                 "goal": "as many as pay off", "value": f"{upgraded:.0%} of stations upgraded", "met": None})  # fmt: skip
    rows.extend(express_target_rows(plan))
    return rows


def bus_share(plan: Plan) -> float:
    """
    Share of parcel rides (hub→centre and centre→station parcels) carried by bus.

    Parameters
    ----------
    plan
        A verified plan.

    Returns
    -------
    float
        Between 0 and 1.
    """
    links = plan.links
    total = float(links["parcels_per_day"].sum())
    return (
        float(links.loc[links["mode"] == "bus", "parcels_per_day"].sum()) / total if total else 0.0
    )


def _label(_: Callable[[str], str], text: object) -> str:
    """Translate a target label; a ``, <phase>`` ending stays as it is."""
    head, sep, tail = str(text).partition(", ")
    return _(head) + sep + tail


def targets_markdown(plan: Plan) -> str:
    """
    Write the policy-target report as Markdown (``targets.md`` beside the plan).

    Parameters
    ----------
    plan
        A verified plan.

    Returns
    -------
    str
        A title, a notice about generated data, a table target | counted as | source | goal |
        plan | met, and the coverage of every township per phase, counted the same ways.
    """
    meta = plan.inputs.meta
    _ = translator(plan.scenario.report.language)
    lines = [
        _("# Policy targets: {county} — {scenario}").format(
            county=meta.name, scenario=plan.scenario.scenario.name
        ),
        "",
    ]
    if meta.generated:
        lines += [
            "> "
            + _("Generated data: {fields}. Figures describe the model county.").format(
                fields=", ".join(meta.generated)
            ),
            "",
        ]
    rows = policy_targets(plan)
    lines += [
        "| "
        + " | ".join(
            _(h)
            for h in (
                N_("target"),
                N_("counted as"),
                N_("source"),
                N_("goal"),
                N_("plan"),
                N_("met"),
            )
        )
        + " |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        met = {True: _("yes"), False: "**" + _("no") + "**", None: "—"}[row["met"]]  # type: ignore[index]
        lines.append(
            f"| {_label(_, row['target'])} | {_(str(row.get('counted_as', '—')))} | {_(str(row['source']))} "
            f"| {row['goal']} | {row['value']} | {met} |"
        )
    coverage = [row for row in rows if row.get("by_township")]
    towns = township_coverage(plan)
    heads = [
        (_("own station") if row["definition"] == "policy" else _("served"))
        + (f" {row['phase']}" if row["phase"] else "")
        for row in coverage
    ]
    lines += [
        "",
        "## " + _("Coverage by township"),
        "",
        _("Own station: villages with a station of their own (the seed plan's count).")
        + (
            " "
            + _("Served: villages with a station within {km} road km.").format(
                km=f"{plan.problem.max_access_km:g}"
            )
            if not plan.problem.own_village_rule
            else ""
        ),
        "",
        "| "
        + _("township")
        + " | "
        + _("villages")
        + " | "
        + " | ".join(heads)
        + " | "
        + _("centres")
        + " |",
        "|---|---|" + "---|" * len(heads) + "---|",
    ]
    for t, town in enumerate(towns.itertuples()):
        cells = []
        for row in coverage:
            entry = row["by_township"][t]  # type: ignore[index]
            share = f"{entry['share']:.0%}" if entry["share"] is not None else "—"
            cells.append(f"{entry['counted']} ({share})")
        lines.append(
            f"| {town.name} ({town.township_id}) | {town.villages} | {' | '.join(cells)} "
            f"| {town.centres_open} |"
        )
    return "\n".join(lines + fleet_markdown(plan)) + "\n"


def fleet_markdown(plan: Plan) -> list[str]:
    """
    List the Markdown lines of the van fleet section of ``targets.md`` (none without routes).

    Parameters
    ----------
    plan
        A verified plan.

    Returns
    -------
    list of str
        A heading, the shift rules and one table row per depot: vans, loops per van,
        van-hours, shift use and km per day.
    """
    if plan.routes is None:
        return []
    s = plan.routes.settings
    _ = translator(plan.scenario.report.language)
    limit = (
        _("at most {n}").format(n=s.trips_per_van)
        if s.trips_per_van
        else _("as many as fit the shift")
    )
    lines = [
        "",
        "## " + _("Van fleet"),
        "",
        _(
            "Vans as routed: {shift} h shift at {speed} km/h, {loading} min loading per loop, "
            "{stop} min + {per_parcel} min per parcel at each stop, loops per van: {limit}."
        ).format(
            shift=f"{s.shift_hours:g}",
            speed=f"{s.speed_kmh:g}",
            loading=f"{s.loading_minutes:g}",
            stop=f"{s.stop_minutes:g}",
            per_parcel=f"{s.stop_minutes_per_parcel:g}",
            limit=limit,
        ),
        "",
        "| "
        + " | ".join(
            _(h)
            for h in (
                N_("depot"),
                N_("tier"),
                N_("vans"),
                N_("loops per van"),
                N_("van-hours/day"),
                N_("shift use"),
                N_("km/day"),
            )
        )
        + " |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in fleet_table(plan.routes).itertuples():
        lines.append(
            f"| {row.depot_id} | {_(row.tier)} | {row.vans} | {row.loops_per_van:.1f} | "
            f"{row.van_hours:.1f} | {row.shift_use:.0%} | {row.km_per_day:,.0f} |"
        )
    return lines
