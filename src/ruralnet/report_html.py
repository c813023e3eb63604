"""``report.html``: one self-contained page per plan, for a planning meeting.

The page holds the figures a meeting quotes (total cost and its parts as a bar chart, the
savings, the fleet per centre), the policy-target table and the map, in the plan's language
(``[report].language``). It needs no network: the map is the offline map of
:func:`ruralnet.maps.plan_map`, embedded whole, and the chart is inline SVG.
"""

from __future__ import annotations

import html
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from ruralnet._files import write_text_atomic
from ruralnet.i18n import N_, translator
from ruralnet.targets import policy_targets

if TYPE_CHECKING:
    from collections.abc import Callable

    from ruralnet.plan import Plan

__all__ = ["fleet_rows", "report_html", "write_report_html"]

_BAR_COLOUR = "#2b6cb0"
_COST_PARTS = {
    "stations": N_("village stations"),
    "centres": N_("co-delivery centres"),
    "hubs": N_("county hub"),
    "access": N_("residents' access"),
    "station_handling": N_("station handling"),
    "centre_handling": N_("centre handling"),
    "van": N_("vans"),
    "bus": N_("buses"),
    "van_feeder": N_("vans, township to village (routed)"),
    "van_trunk": N_("vans, hub to township (routed)"),
}
_TEXTS = {
    "generated": N_("Generated data"),
    "model_county": N_("Figures describe the model county."),
    "plan_report": N_("Plan report"),
    "verified": N_("verified"),
    "not_verified": N_("NOT verified"),
    "cost_parts_title": N_("Cost parts (yuan/year)"),
    "targets": N_("Policy targets"),
    "fleet": N_("Fleet per centre"),
    "map": N_("Map"),
    "cost_parts": N_("cost parts"),
}
_STYLE = """
body{font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:24px;color:#1a202c}
h1{font-size:1.5em;margin-bottom:0}h2{font-size:1.15em;margin-top:1.6em}
.sub{color:#4a5568;margin-top:4px}.notice{background:#fff5f5;border-left:4px solid #c53030;
padding:8px 12px;margin:12px 0}table{border-collapse:collapse;margin:8px 0}
th,td{border:1px solid #cbd5e0;padding:4px 8px;text-align:left}td.n{text-align:right}
.figs{display:flex;gap:16px;flex-wrap:wrap}.fig{border:1px solid #cbd5e0;padding:8px 14px}
.fig b{display:block;font-size:1.3em}iframe{width:100%;height:640px;border:1px solid #cbd5e0}
"""


def fleet_rows(plan: Plan) -> list[dict[str, Any]]:
    """
    Vans, loops, van-hours and shift use of each centre's routes.

    Parameters
    ----------
    plan
        A plan with routes (``plan.routes``); none gives no rows.

    Returns
    -------
    list of dict
        Per centre: ``centre_id``, ``township``, ``vans``, ``loops``, ``km_per_day``,
        ``hours_per_day`` and ``shift_use`` (van-hours over vans × shift hours).
    """
    routes = plan.routes
    if routes is None:
        return []
    names = dict(zip(plan.centres["site_id"], plan.centres["township_name"], strict=True))
    grouped: dict[str, list[Any]] = defaultdict(list)
    for route in routes.routes:
        grouped[route.centre_id].append(route)
    shift = routes.settings.shift_hours
    rows = []
    for centre_id in sorted(grouped):
        loops = grouped[centre_id]
        vans = len({r.vehicle for r in loops})
        hours = float(sum(r.hours for r in loops))
        rows.append(
            {
                "centre_id": centre_id,
                "township": names.get(centre_id, ""),
                "vans": vans,
                "loops": len(loops),
                "km_per_day": float(sum(r.km for r in loops)),
                "hours_per_day": hours,
                "shift_use": hours / (vans * shift) if vans else 0.0,
            }
        )
    return rows


def _esc(value: object) -> str:
    return html.escape(str(value))


def _cost_chart(parts: dict[str, float], _: Callable[[str], str]) -> str:
    """Horizontal bars of the cost parts, inline SVG (no script, no network)."""
    shown = [(k, v) for k, v in parts.items() if v > 0]
    if not shown:
        return ""
    top = max(v for _k, v in shown)
    row, label_w, bar_w = 26, 190, 420
    rows = []
    for i, (key, value) in enumerate(shown):
        y = i * row
        width = bar_w * value / top
        label = _(_COST_PARTS.get(key, key))
        rows.append(
            f'<text x="0" y="{y + 17}" font-size="13">{_esc(label)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{width:.1f}" height="18" fill="{_BAR_COLOUR}"/>'
            f'<text x="{label_w + width + 6:.1f}" y="{y + 17}" font-size="13">{value:,.0f}</text>'
        )
    height = row * len(shown)
    aria = _(_TEXTS["cost_parts"])
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 120}" '
        f'height="{height}" role="img" aria-label="{_esc(aria)}">{"".join(rows)}</svg>'
    )


def _table(header: list[str], rows: list[list[str]], numeric: set[int]) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{_esc(c)}</td>' if k in numeric else f"<td>{_esc(c)}</td>"
            for k, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _figures(summary: dict[str, Any], _: Callable[[str], str]) -> str:
    figures = [
        (_("total cost (yuan/year)"), f"{summary['total_cost_yuan_per_year']:,.0f}"),
        (
            _("villages covered"),
            f"{summary['villages_covered']} / {summary['villages']}",
        ),
        (_("stations opened"), str(summary["stations_opened"])),
        (_("centres opened"), str(summary["centres_opened"])),
    ]
    for key, label in (
        ("saving_vs_all_van_yuan_per_year", N_("saving vs all-van, same network (yuan/year)")),
        (
            "saving_vs_separate_brands_yuan_per_year",
            N_("saving vs each brand on its own (yuan/year)"),
        ),
    ):
        if summary.get(key) is not None:
            figures.append((_(label), f"{summary[key]:,.0f}"))
    if summary.get("routes"):
        figures.append((_("vans"), str(summary["routes"]["vans"])))
    return "".join(f'<div class="fig">{_esc(k)}<b>{_esc(v)}</b></div>' for k, v in figures)


def report_html(plan: Plan, *, lang: str | None = None) -> str:
    """
    Build the meeting report of a plan as one HTML page.

    Parameters
    ----------
    plan
        A verified plan.
    lang
        ``"en"`` or ``"zh"``; the scenario's ``[report].language`` when omitted.

    Returns
    -------
    str
        A complete HTML document that works offline.
    """
    lang = plan.scenario.report.language if lang is None else lang
    _ = translator(lang)
    text = SimpleNamespace(**{key: _(message) for key, message in _TEXTS.items()})
    summary = plan.summary()
    title = f"{summary['dataset']} — {summary['scenario']}"
    notice = ""
    if summary.get("generated_data"):
        notice = (
            f'<div class="notice"><b>{_esc(text.generated)}:</b> '
            f"{_esc(', '.join(summary['generated_data']))}. "
            f"{_esc(text.model_county)}</div>"
        )
    targets = [
        [_(str(r["target"])), _(str(r["source"])), str(r["goal"]), str(r["value"]),
         {True: _("yes"), False: _("no"), None: "—"}[r["met"]]]  # type: ignore[index]
        for r in policy_targets(plan)
    ]  # fmt: skip
    fleet = [
        [f"{r['township']} ({r['centre_id']})", str(r["vans"]), str(r["loops"]),
         f"{r['km_per_day']:,.0f}", f"{r['hours_per_day']:.1f}", f"{r['shift_use']:.0%}"]
        for r in fleet_rows(plan)
    ]  # fmt: skip
    map_page = plan.map().get_root().render()
    parts = [
        f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
        f'<meta charset="utf-8"><title>{_esc(title)}</title><style>{_STYLE}</style></head><body>',
        f"<h1>{_esc(title)}</h1>",
        f'<div class="sub">{_esc(text.plan_report)} · ruralnet {_esc(summary["ruralnet_version"])}'
        f" · {_esc(text.verified if summary['verified'] else text.not_verified)}</div>",
        notice,
        f'<div class="figs">{_figures(summary, _)}</div>',
        f"<h2>{_esc(text.cost_parts_title)}</h2>",
        _cost_chart(summary["cost_yuan_per_year"], _),
        f"<h2>{_esc(text.targets)}</h2>",
        _table([_("target"), _("source"), _("goal"), _("plan"), _("met")], targets, set()),
    ]
    if fleet:
        header = [
            _("centre"),
            _("vans"),
            _("loops"),
            _("km/day"),
            _("van-hours/day"),
            _("shift use"),
        ]
        parts += [f"<h2>{_esc(text.fleet)}</h2>", _table(header, fleet, {1, 2, 3, 4, 5})]
    parts += [
        f"<h2>{_esc(text.map)}</h2>",
        f'<iframe title="{_esc(text.map)}" srcdoc="{html.escape(map_page, quote=True)}"></iframe>',
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def write_report_html(plan: Plan, path: str | Path, *, lang: str | None = None) -> Path:
    """
    Write :func:`report_html` to ``path`` atomically.

    Parameters
    ----------
    plan
        A verified plan.
    path
        Destination file; its folder must exist.
    lang
        ``"en"`` or ``"zh"``; the scenario's ``[report].language`` when omitted.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    return write_text_atomic(path, report_html(plan, lang=lang))
