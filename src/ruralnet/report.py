"""Key figures of a plan against the scenario's and the seed plans' targets."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ruralnet.plan import Plan

__all__ = ["kpi_table", "transport_figures"]


def transport_figures(plan: Plan) -> dict[str, float]:
    """
    Parcel-km, estimated vehicle-km and CO2 per day, by mode.

    Van-km is estimated from parcel-km: a van that leaves full and returns empty carries on
    average half its load (``capacity × load_factor / 2`` parcels), the same assumption as
    the default van cost per parcel-km (DOMAIN.md T5–T10).

    Parameters
    ----------
    plan
        A verified plan.

    Returns
    -------
    dict
        ``van_parcel_km_per_day``, ``bus_parcel_km_per_day``, ``van_km_per_day``,
        ``co2_kg_per_day``.
    """
    links = plan.links
    parcel_km = links["parcels_per_day"] * links["km"]
    van_pkm = float(parcel_km[links["mode"] == "van"].sum())
    bus_pkm = float(parcel_km[links["mode"] == "bus"].sum())
    van = plan.scenario.van
    van_km = van_pkm / (van.capacity_parcels * van.load_factor / 2)
    co2 = van_km * van.co2_kg_per_km + bus_pkm * plan.scenario.bus.co2_kg_per_parcel_km
    return {
        "van_parcel_km_per_day": van_pkm,
        "bus_parcel_km_per_day": bus_pkm,
        "van_km_per_day": van_km,
        "co2_kg_per_day": co2,
    }


def kpi_table(plan: Plan) -> pd.DataFrame:
    """
    Tabulate the plan's key figures, with a target and whether it is met where one applies.

    Parameters
    ----------
    plan
        A verified plan.

    Returns
    -------
    pandas.DataFrame
        Columns ``kpi``, ``value``, ``unit``, ``target``, ``met``.
    """
    p, v = plan.problem, plan.verification
    villages = plan.villages
    covered = villages[villages["covered"]]
    centres_per_township = np.bincount(
        p.centre_township[plan.solution.open_centre], minlength=len(p.township_ids)
    )
    transport = transport_figures(plan)
    total_parcels_year = (
        float(np.sum(p.parcels[plan.solution.village_station >= 0])) * p.days_per_year
    )
    rows = [
        (
            "village coverage",
            v.coverage_share,
            "share",
            p.coverage_target,
            v.coverage_share >= p.coverage_target - 1e-9,
        ),
        (
            "townships with a co-delivery centre",
            float(np.mean(centres_per_township >= 1)),
            "share",
            1.0,
            bool(np.all(centres_per_township >= 1)),
        ),
        (
            "county hub present",
            float(plan.solution.open_hub.any()),
            "yes=1",
            1.0,
            bool(plan.solution.open_hub.any()),
        ),
        (
            "longest village→station distance",
            float(covered["distance_km"].max()) if len(covered) else np.nan,
            "km",
            plan.scenario.service.max_access_km,
            bool(
                len(covered) == 0
                or covered["distance_km"].max() <= plan.scenario.service.max_access_km + 1e-9
            ),
        ),
        (
            "mean village→station distance",
            float(covered["distance_km"].mean()) if len(covered) else np.nan,
            "km",
            np.nan,
            None,
        ),
        ("stations opened", float(len(plan.stations)), "count", np.nan, None),
        ("centres opened", float(len(plan.centres)), "count", np.nan, None),
        ("total cost", v.total_yuan, "yuan/year", np.nan, None),
        (
            "cost per parcel",
            v.total_yuan / total_parcels_year if total_parcels_year else np.nan,
            "yuan",
            np.nan,
            None,
        ),
        ("van-km (estimated from parcel-km)", transport["van_km_per_day"], "km/day", np.nan, None),
        ("CO2", transport["co2_kg_per_day"], "kg/day", np.nan, None),
    ]
    return pd.DataFrame(rows, columns=["kpi", "value", "unit", "target", "met"])
