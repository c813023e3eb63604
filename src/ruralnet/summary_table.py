"""The terminal tables of ``ruralnet run``: a plan's figures and its fleet, in its language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.table import Table

from ruralnet.i18n import N_, translator

__all__ = ["batch_table", "fleet_table", "rounds_rich_table", "summary_table"]

_COST_PARTS = {
    "stations": N_("stations"),
    "centres": N_("centres"),
    "hubs": N_("hubs"),
    "access": N_("access"),
    "station_handling": N_("station_handling"),
    "centre_handling": N_("centre_handling"),
    "van": N_("van"),
    "bus": N_("bus"),
    "van_feeder": N_("vans, township to village (routed)"),
    "van_trunk": N_("vans, hub to township (routed)"),
}
_WORDS = {
    "feeder": N_("feeder"),
    "trunk": N_("trunk"),
    "van": N_("van"),
    "bus": N_("bus"),
    "routes": N_("routes"),
    "siting model": N_("siting model"),
}


def _word(_: Callable[[str], str], word: str) -> str:
    return _(_WORDS.get(word, word))


def _cost_rows(summary: dict[str, Any], _: Callable[[str], str]) -> list[tuple[str, str]]:
    basis = _word(_, summary.get("cost_basis", "siting model"))
    rows = [
        (
            _("total cost (yuan/year; {basis})").format(basis=basis),
            f"{summary['total_cost_yuan_per_year']:,.0f}",
        )
    ]
    rows += [
        ("  " + _("{part} (yuan/year)").format(part=_(_COST_PARTS.get(k, k))), f"{v:,.0f}")
        for k, v in summary["cost_yuan_per_year"].items()
        if v
    ]
    if "siting_model_cost_yuan_per_year" in summary:
        rows.append(
            (
                _("siting model's total (yuan/year)"),
                _("{total} ({delta} to the total)").format(
                    total=f"{summary['siting_model_cost_yuan_per_year']:,.0f}",
                    delta=f"{summary['total_minus_siting_model_yuan_per_year']:+,.0f}",
                ),
            )
        )
    return rows


def _network_rows(summary: dict[str, Any], _: Callable[[str], str]) -> list[tuple[str, str]]:
    rows = [
        (
            _("villages covered"),
            _("{covered} / {villages} ({share}, target {target})").format(
                covered=summary["villages_covered"],
                villages=summary["villages"],
                share=f"{summary['coverage_share']:.1%}",
                target=f"{summary['coverage_target']:.0%}",
            ),
        )
    ]
    if summary.get("coverage_rule") == "within_distance":
        rows.append(
            (
                "  " + _("with a station of their own"),
                _("{own} / {villages} ({share}, the seed plan's count)").format(
                    own=summary["villages_with_own_station"],
                    villages=summary["villages"],
                    share=f"{summary['own_station_share']:.1%}",
                ),
            )
        )
    rows += [
        (
            _("stations opened"),
            _("{n} ({upgraded} upgraded, {new} new)").format(
                n=summary["stations_opened"],
                upgraded=summary["stations_upgraded_existing"],
                new=summary["stations_new"],
            ),
        ),
        (
            _("centres opened"),
            _("{n} for {townships} townships").format(
                n=summary["centres_opened"], townships=summary["townships"]
            ),
        ),
        (_("hubs open"), str(summary["hubs_open"])),
        (_("parcels per day"), f"{summary['parcels_per_day']:,.0f}"),
    ]
    rows += [
        (
            "  "
            + _("{tier} by {mode} (parcels/day)").format(tier=_word(_, tier), mode=_word(_, mode)),
            f"{value:,.0f}",
        )
        for tier, modes in summary["parcels_per_day_by_mode"].items()
        for mode, value in modes.items()
    ]
    return rows


def _fleet_rows(summary: dict[str, Any], _: Callable[[str], str]) -> list[tuple[str, str]]:
    routes = summary.get("routes") or {}
    rows = []
    for tier in ("feeder", "trunk"):
        kpis = routes.get(tier)
        if kpis:
            rows.append(
                (
                    _("{tier} vans (fleet)").format(tier=_word(_, tier)),
                    _(
                        "{vans} vans, {loops} loops/van, {hours} van-h/day, shift use {use}, "
                        "{km} km/day"
                    ).format(
                        vans=kpis["vans"],
                        loops=f"{kpis['loops_per_van']:.1f}",
                        hours=f"{kpis['van_hours_per_day']:,.0f}",
                        use=f"{kpis['shift_use']:.0%}",
                        km=f"{kpis['van_km_per_day']:,.0f}",
                    ),
                )
            )
    return rows


_SAVINGS = (
    ("saving_vs_all_van_yuan_per_year", N_("saving vs all-van, same network (yuan/year)")),
    (
        "saving_vs_own_village_yuan_per_year",
        N_("saving vs a station in every village (yuan/year)"),
    ),
    (
        "saving_vs_separate_brands_yuan_per_year",
        N_("saving vs each brand on its own (yuan/year)"),
    ),
)


def _other_rows(summary: dict[str, Any], _: Callable[[str], str]) -> list[tuple[str, str]]:
    solver, transport = summary["solver"], summary["transport_per_day"]
    rows = [
        (
            _("CO2 (kg/day)"),
            f"{transport['co2_kg_per_day']:,.0f} ({_word(_, str(transport['van_km_source']))})",
        ),
        (
            _("village→station km (mean / max)"),
            f"{summary['mean_access_km']} / {summary['longest_access_km']}",
        ),
        (
            _("solver"),
            _("{backend} {status}, gap {gap}, {seconds} s").format(
                backend=solver["backend"],
                status=solver["status"],
                gap=f"{solver['gap']:.2e}",
                seconds=f"{solver['seconds']:.1f}",
            ),
        ),
    ]
    rows += [
        (_(label), f"{summary[key]:,.0f}")
        for key, label in _SAVINGS
        if summary.get(key) is not None
    ]
    rows.append((_("verified"), _("yes") if summary["verified"] else _("NO")))
    return rows


def summary_table(summary: dict[str, Any], *, lang: str = "en") -> Table:
    """
    Build the figure/value table that ``ruralnet run`` prints.

    Parameters
    ----------
    summary
        A plan's summary (``summary.json``).
    lang
        ``"en"`` or ``"zh"``.

    Returns
    -------
    rich.table.Table
        One row per figure; the caption names the generated data.
    """
    _ = translator(lang)
    table = Table(title=f"{summary['dataset']} — {summary['scenario']}", show_header=True)
    table.add_column(_("figure"))
    table.add_column(_("value"), justify="right")
    for name, value in (
        _cost_rows(summary, _)
        + _network_rows(summary, _)
        + _fleet_rows(summary, _)
        + _other_rows(summary, _)
    ):
        table.add_row(name, value)
    if summary.get("generated_data"):
        table.caption = _("Generated data: ") + ", ".join(summary["generated_data"])
    return table


def fleet_table(summary: dict[str, Any], *, lang: str = "en") -> Table | None:
    """
    Build the vans-per-depot table: the fleet each centre (and the hub) needs.

    Parameters
    ----------
    summary
        A plan's summary (``summary.json``).
    lang
        ``"en"`` or ``"zh"``.

    Returns
    -------
    rich.table.Table or None
        None for a plan without routes.
    """
    routes = summary.get("routes")
    if not routes or not routes.get("fleet"):
        return None
    _ = translator(lang)
    table = Table(title=_("van fleet per depot"), show_header=True)
    names = (
        N_("depot"),
        N_("tier"),
        N_("vans"),
        N_("loops/van"),
        N_("van-h/day"),
        N_("shift use"),
        N_("km/day"),
    )
    for name in names:
        table.add_column(_(name), justify="left" if name in {"depot", "tier"} else "right")
    for row in routes["fleet"]:
        table.add_row(
            row["depot_id"],
            _word(_, row["tier"]),
            str(row["vans"]),
            f"{row['loops_per_van']:.1f}",
            f"{row['van_hours']:.1f}",
            f"{row['shift_use']:.0%}",
            f"{row['km_per_day']:,.0f}",
        )
    return table


def rounds_rich_table(rounds: Any, *, lang: str = "en") -> Table:
    """
    Build the table of the site → route → re-price rounds, the kept round marked.

    Parameters
    ----------
    rounds
        The :func:`ruralnet.routes.pricing.rounds_table` frame.
    lang
        ``"en"`` or ``"zh"``.

    Returns
    -------
    rich.table.Table
        Round, the siting model's cost, the routed cost, stations, centres, vans and van-km
        per day.
    """
    _ = translator(lang)
    table = Table(title=_("site → route → re-price rounds (yuan/year)"), show_header=True)
    names = (
        N_("round"),
        N_("siting model"),
        N_("routed"),
        N_("stations"),
        N_("centres"),
        N_("vans"),
        N_("van-km/day"),
    )
    rows = []
    for row in rounds.itertuples(index=False):
        mark = " ✓" if row.best else (" =" if row.repeated else "")
        rows.append(
            (
                f"{row.round}{mark}",
                f"{row.siting_cost:,.0f}",
                f"{row.route_based_cost:,.0f}",
                str(row.stations),
                str(row.centres),
                str(row.vans),
                f"{row.van_km_per_day:,.0f}",
            )
        )
    for k, name in enumerate(names):
        # the figures keep their width on a narrow terminal; the headers wrap instead
        widest = max((len(r[k]) for r in rows), default=1)
        table.add_column(_(name), justify="right", min_width=widest)
    for cells in rows:
        table.add_row(*cells)
    table.caption = _("✓ the round kept (lowest routed cost); = a plan seen before")
    return table


def batch_table(summary: Any) -> Table:
    """
    Build the one-row-per-county table of a batch, as ``batch_summary.csv`` holds it.

    Parameters
    ----------
    summary
        The batch summary frame (:attr:`ruralnet.batch.BatchResult.summary`).

    Returns
    -------
    rich.table.Table
        Scenario, status, total cost, stations, centres, coverage and job seconds; a failed
        job shows its error type, a plan not proven optimal its solver status and gap.
    """
    table = Table(title="batch", show_header=True)
    columns = (
        ("scenario", "left"),
        ("status", "left"),
        ("yuan/year", "right"),
        ("stations", "right"),
        ("centres", "right"),
        ("coverage", "right"),
        ("job s", "right"),
    )
    rows = []
    for row in summary.to_dict(orient="records"):
        ok = row["status"] == "ok"
        if not ok:
            status = f"{row['status']} ({row.get('error_type') or ''})"
        elif row["solver_status"] != "optimal":  # feasible or interrupted: say how far from proven
            status = f"ok ({row['solver_status']}, gap {row['gap']:.2%})"
        else:
            status = "ok"
        rows.append(
            (
                str(row["scenario"]),
                status,
                f"{row['total_cost_yuan_per_year']:,.0f}" if ok else "—",
                f"{row['stations_opened']:.0f}" if ok else "—",
                f"{row['centres_opened']:.0f}" if ok else "—",
                f"{row['coverage_share']:.1%}" if ok else "—",
                f"{row['job_seconds']:.1f}",
            )
        )
    for k, (name, justify) in enumerate(columns):
        # figures keep their width on a narrow terminal; names and statuses wrap instead
        widest = max((len(r[k]) for r in rows), default=1) if justify == "right" else None
        table.add_column(name, justify=justify, min_width=widest)  # type: ignore[arg-type]
    for cells in rows:
        table.add_row(*cells)
    return table
