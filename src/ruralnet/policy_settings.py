"""Scenario tables for the county plans' asks beyond coverage: brands, the express park, standards.

``[brands]`` splits the parcels by express brand for the "each brand on its own" baseline
(快递共配), ``[park]`` states the express-park rule (快递园区, Dongchangfu: at least one park with
3 or more express companies) and ``[demonstration]`` the standard a station must meet to count
towards the Qingdao plan's national rural demonstration stations. Every default cites its
``DOMAIN.md``/``SEEDS.md`` row or is labelled EST; the README's scenario table repeats them.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import (
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    field_validator,
)

from ruralnet.settings import SettingsTable

__all__ = [
    "BRAND_NAMES",
    "BrandSettings",
    "ColdChainSettings",
    "DemonstrationSettings",
    "LockerSettings",
    "ParkSettings",
]

#: Display names of the brand ids used in ``[brands].shares`` and ``brand_shares.csv``.
BRAND_NAMES = {
    "ems": "China Post/EMS 中国邮政",
    "sf": "SF 顺丰",
    "zto": "ZTO 中通",
    "yto": "YTO 圆通",
    "yunda": "Yunda 韵达",
    "sto": "STO 申通",
    "jt": "J&T 极兔",
    "jd": "JD 京东",
}

#: EST: rounded from the brands' own reported 2023 parcel volumes over the national 132 bn
#: (DOMAIN.md D1), the small brands folded in pro rata; not a sourced figure and not rural.
DEFAULT_BRAND_SHARES = {
    "zto": 0.23,
    "yto": 0.16,
    "yunda": 0.14,
    "sto": 0.13,
    "jt": 0.12,
    "ems": 0.10,
    "sf": 0.09,
    "jd": 0.03,
}

_SHARE_TOLERANCE = 1e-3


class BrandSettings(SettingsTable):
    """The ``[brands]`` table: the express brands that share the co-delivery network (快递共配)."""

    enabled: bool = Field(
        False,
        description="Also solve the baseline 'each brand on its own' (own township outlets and "
        "vans per brand, the same stations) and report the co-delivery saving.",
    )
    shares: dict[str, NonNegativeFloat] = Field(
        default_factory=lambda: dict(DEFAULT_BRAND_SHARES),
        description="Share of every village's parcels per brand id (they add up to 1; EST from "
        "national 2023 volumes, DOMAIN.md D1); a dataset's brand_shares.csv overrides villages.",
    )

    @field_validator("shares")
    @classmethod
    def _shares_add_up(cls, value: dict[str, float]) -> dict[str, float]:
        if not value:
            msg = "needs at least one brand"
            raise ValueError(msg)
        total = math.fsum(value.values())
        if abs(total - 1.0) > _SHARE_TOLERANCE:
            msg = f"brand shares must add up to 1, they add up to {total:g}"
            raise ValueError(msg)
        return dict(sorted(value.items()))


class ParkSettings(SettingsTable):
    """The ``[park]`` table: the express park (快递园区) rule for the county hub."""

    min_companies: PositiveInt = Field(
        3,
        description="Express companies a hub must gather to count as an express park "
        "(Dongchangfu plan: at least one park with >= 3 companies by end 2024, SEEDS.md).",
    )
    companies: tuple[str, ...] = Field(
        (),
        strict=False,
        description="Companies willing to co-locate at a hub whose park_companies column is "
        "empty or missing (EST unless the county says so); none: unknown.",
    )


class DemonstrationSettings(SettingsTable):
    """The ``[demonstration]`` table: the standard of a demonstration station (示范站)."""

    services: tuple[str, ...] = Field(
        ("express", "post"),
        strict=False,
        description="Services a station must offer (station_sites.services, ';'-separated; "
        "missing: an upgraded 村邮站 offers express and post, a new station express, EST).",
    )
    min_capacity_parcels_per_day: NonNegativeFloat = Field(
        300.0,
        description="Least station capacity in parcels per day (EST: about four times a "
        "700-person village's daily parcels, DOMAIN.md D6).",
    )
    goal_stations: NonNegativeInt = Field(
        50,
        description="Demonstration stations the county should have (EST: the Qingdao plan's "
        "500 by end 2026 over Qingdao's 10 district-level units, SEEDS.md).",
    )


class ColdChainSettings(SettingsTable):
    """The ``[cold_chain]`` table: cold-chain capacity for agricultural products (冷链寄递).

    None of these figures is in ``DOMAIN.md``: every default is an engineering estimate (EST),
    its reasoning given here and in the README's scenario table.
    """

    enabled: bool = Field(
        False,
        description="After siting, choose cold-capable stations, centres and the hub and the "
        "cold vans for the producing villages' cold parcels, and report them.",
    )
    producing_villages: tuple[str, ...] = Field(
        (),
        strict=False,
        description="Village ids that send cold parcels; none: the dataset's cold_villages.csv, "
        "else share_of_villages of all villages when it is set, else those marked `producing`.",
    )
    share_of_villages: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Share of all villages, drawn by [scenario].seed, that send cold parcels "
        "(used only without producing_villages).",
    )
    cold_share_of_outbound: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Share of a producing village's outbound parcels that need cold (EST: fresh "
        "fruit, vegetables, eggs); a dataset cold_villages.csv overrides it per village.",
    )
    station_upgrade_yuan: NonNegativeFloat = Field(
        8_000,
        description="One-off cold cabinet and pre-cooling box at a village station (EST: a "
        "commercial chiller of a few thousand yuan, fitted).",
    )
    station_yearly_yuan: NonNegativeFloat = Field(
        2_000,
        description="Electricity and upkeep of a station's cold cabinet per year (EST: about "
        "1 kW average at about 0.6 yuan/kWh, plus repairs).",
    )
    station_capacity_parcels_per_day: PositiveFloat = Field(
        150, description="Cold parcels a station's cabinet pre-cools per day (EST)."
    )
    centre_upgrade_yuan: NonNegativeFloat = Field(
        60_000,
        description="One-off small pre-cooling cold store (小型冷库, about 10 m3) at a township "
        "centre (EST).",
    )
    centre_yearly_yuan: NonNegativeFloat = Field(
        12_000, description="Electricity and upkeep of a centre's cold store per year (EST)."
    )
    centre_capacity_parcels_per_day: PositiveFloat = Field(
        1_000, description="Cold parcels a centre's cold room holds per day (EST)."
    )
    hub_upgrade_yuan: NonNegativeFloat = Field(
        200_000, description="One-off cold room at the county hub (EST)."
    )
    hub_yearly_yuan: NonNegativeFloat = Field(
        40_000, description="Electricity and upkeep of the hub's cold room per year (EST)."
    )
    hub_capacity_parcels_per_day: PositiveFloat = Field(
        10_000, description="Cold parcels the hub's cold room holds per day (EST)."
    )
    lifetime_years: PositiveInt = Field(
        8, le=100, description="Years over which the cold one-off costs are spread (EST)."
    )
    van_premium_share: NonNegativeFloat = Field(
        0.3,
        le=10,
        description="Extra per-km cost of a cold (refrigerated) van over [van].yuan_per_km "
        "(T1-T4), as a share (EST: +30 % for the refrigeration unit's fuel and wear).",
    )
    cold_van_capacity_parcels: PositiveFloat = Field(
        200,
        description="Cold parcels per trip in a van's cold compartment (EST: half of T8's 400).",
    )
    dedicated_trip_yuan: NonNegativeFloat = Field(
        50,
        description="Driver time of a dedicated cold-van trip (a pickup, or a leg the plan "
        "serves by bus), on top of its km (EST: about 1 h of T5-T6's 350 yuan/8 h van-day).",
    )
    spoilage_yuan_per_parcel: NonNegativeFloat = Field(
        10.0,
        description="Value lost on a cold parcel sent without cold chain (EST: about 20 % of a "
        "50-yuan parcel of fresh produce); the plan leaves a village without cold chain "
        "when that is cheaper.",
    )
    goal_served_share: float = Field(
        1.0,
        ge=0,
        le=1,
        description="Share of the cold parcels that should ride a cold path (the targets row; "
        "seed plans: 满足'最初一公里'冷链收投需求, Qingdao; 冷链物流设施、冷藏车, Dongchangfu).",
    )


class LockerSettings(SettingsTable):
    """The ``[lockers]`` table: smart parcel lockers (智能快件箱) sized after siting.

    A locker group stands at an open station (or, with ``at = "stations_and_villages"``, in a
    served village without a station of its own, for that village's parcels only). Qingdao's
    plan asks for 10,000 groups, 1,000,000 compartments and 30 % of deliveries by locker by
    end 2026 (SEEDS.md); purchase cost C8c, fee C7 (DOMAIN.md); the rest is EST.
    """

    enabled: bool = Field(
        False,
        description="After siting, size the smart-locker groups of every station so that "
        "lockers deliver at least min_share of the parcels, at least yearly cost.",
    )
    compartments_per_group: PositiveInt = Field(
        100,
        description="Compartments per locker group (EST: Qingdao's 1,000,000 compartments over "
        "10,000 groups, SEEDS.md).",
    )
    parcels_per_compartment_per_day: PositiveFloat = Field(
        1.0,
        le=24,
        description="Turnover: parcels a compartment delivers per day (EST: picked up within a "
        "day, then refilled).",
    )
    purchase_yuan_per_group: NonNegativeFloat = Field(
        10_000, description="One-off purchase of a locker group (C8c: 10 000 yuan per locker)."
    )
    lifetime_years: PositiveInt = Field(
        8, le=100, description="Years over which the purchase is spread (EST)."
    )
    yearly_yuan_per_group: NonNegativeFloat = Field(
        1_200,
        description="Power, mobile data and repairs per group and year (EST: about 100 "
        "yuan/month).",
    )
    village_site_yuan: NonNegativeFloat = Field(
        2_000,
        description="One-off pad, power hook-up and rain cover for groups in a village without "
        "a station (EST; a station's premises provide them).",
    )
    max_groups_per_site: PositiveInt = Field(
        4,
        description="Most groups at one site (EST: about 10 m2, the Qingdao floor for lockers "
        "in new estates, SEEDS.md/P4, holds 4 groups).",
    )
    fee_yuan_per_parcel: NonNegativeFloat = Field(
        0.5,
        description="Locker fee a courier pays per parcel (C7); a transfer inside the shared "
        "network, reported but not counted as a cost.",
    )
    min_share: float = Field(
        0.30,
        ge=0,
        le=1,
        description="Least share of delivered (inbound) parcels that lockers deliver (Qingdao: "
        "30 % by end 2026, SEEDS.md).",
    )
    share_scope: Literal["county", "township"] = Field(
        "county",
        description="Where min_share must hold: the whole county, or every township (a "
        "village's parcels count in its own township).",
    )
    at: Literal["stations", "stations_and_villages"] = Field(
        "stations",
        description="Sites for locker groups: open stations only, or also served villages "
        "without a station of their own.",
    )
    goal_groups: NonNegativeInt = Field(
        0,
        description="Locker groups the county should have, for the targets row (0: no count "
        "goal; Qingdao: 10,000 over its 10 district-level units, SEEDS.md).",
    )
