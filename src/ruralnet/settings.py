"""The scenario's settings tables, one frozen pydantic model per TOML table.

Every default below cites its row in the project's reference table of domain figures
(``DOMAIN.md`` row ids such as ``C1`` or ``T12``; ``EST`` marks an engineering estimate).
The same figures and sources are listed in the README's scenario table. The tables are put
together, with the county plans' own asks (:mod:`ruralnet.policy_settings`), into a
:class:`ruralnet.scenario.Scenario`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    ValidationInfo,
    field_validator,
)

__all__ = [
    "BusSettings",
    "CentreCosts",
    "DemandSettings",
    "FinanceSettings",
    "HubCosts",
    "NetworkSettings",
    "Phase",
    "ReportSettings",
    "RouteRules",
    "ScenarioMeta",
    "ServiceSettings",
    "SettingsTable",
    "SolverSettings",
    "StationCosts",
    "VanSettings",
]


AUTO_SCREENING_GAP = 1e-3  # lp_screening = "auto" screens from this gap target up


class SettingsTable(BaseModel):
    """A scenario table: frozen, unknown keys refused, TOML types taken strictly."""

    # strict: TOML has real booleans and numbers, so "no" for a bool or "5" for a number is a
    # mistake to report, not a value to guess at (paths and the phase list are read lax)
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class ScenarioMeta(SettingsTable):
    """The ``[scenario]`` table: name, dataset folder and seed."""

    name: str = Field(description="Scenario name shown in the summary and on the map.")
    dataset: Path = Field(
        description="County dataset folder, relative to the scenario file.", strict=False
    )
    description: str = Field("", description="Free text shown in the summary.")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="Random seed passed to the solver.")
    extends: Path | None = Field(
        None,
        strict=False,
        description="Another scenario file whose values this one starts from (relative path); "
        "this file's keys replace its keys, and a [[phases]] list replaces its list.",
    )


class ServiceSettings(SettingsTable):
    """The ``[service]`` table: what coverage means."""

    rule: Literal["own_village", "within_distance"] = Field(
        "own_village",
        description="What covers an administrative village: `own_village` (一村一站, as the seed "
        "plan counts coverage): an open station at one of the village's own candidate sites "
        "(`station_sites.village_id`); `within_distance` (多村一站): an open station within "
        "`max_access_km` road km, which neighbours may share (P5, seed plan).",
    )
    max_access_km: PositiveFloat = Field(
        2.0,
        description='Longest road distance from a village to a shared station, km; used with rule = "within_distance" (P5, EST).',
    )
    share_below_population: PositiveInt | None = Field(
        None,
        description='With rule = "within_distance": only villages of fewer residents may share a '
        "station; the others (and villages without a population figure) keep a station of their "
        "own. None: every village may share (EST).",
    )
    share_below_parcels_per_day: PositiveFloat | None = Field(
        None,
        description='With rule = "within_distance": only villages handling fewer parcels per day '
        "(both directions, at base demand) may share a station; the others keep their own. None: "
        "no limit (EST).",
    )
    coverage_target: float = Field(
        1.0,
        gt=0.0,
        le=1.0,
        description="Share of administrative villages that must be served (SEEDS: 1.0 by 2025).",
    )
    access_yuan_per_parcel_km: NonNegativeFloat = Field(
        0.2,
        description="Residents' cost of fetching a parcel, yuan per parcel-km of access (EST).",
    )
    feed_within_township: bool = Field(
        True,
        description="A station is fed by a co-delivery centre of its own township (the 乡镇共配中心 serves its township's villages).",
    )
    max_feeder_km: PositiveFloat = Field(
        40.0,
        description="Longest road distance from a centre to a station it feeds, km (T10, EST).",
    )

    @field_validator("share_below_population", "share_below_parcels_per_day")
    @classmethod
    def _only_when_shared(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is not None and info.data.get("rule") != "within_distance":
            msg = 'applies only with [service].rule = "within_distance"'
            raise ValueError(msg)
        return value


class DemandSettings(SettingsTable):
    """The ``[demand]`` table: parcels per person when a village gives only population."""

    inbound_parcels_per_person_day: NonNegativeFloat = Field(
        0.10, description="Parcels delivered per resident per day (D6, EST)."
    )
    outbound_parcels_per_person_day: NonNegativeFloat = Field(
        0.01, description="Parcels sent per resident per day (D7, EST)."
    )
    days_per_year: PositiveFloat = Field(365.0, le=366, description="Operating days per year.")
    producing_peak_factor: PositiveFloat = Field(
        1.0,
        le=100.0,
        description="Factor on outbound parcels of villages marked `producing` at the seasonal peak (D8, EST).",
    )


class FinanceSettings(SettingsTable):
    """The ``[finance]`` table: how one-off costs become yearly costs."""

    discount_rate: NonNegativeFloat = Field(
        0.05, le=1.0, description="Discount rate for annualising one-off costs (EST)."
    )


class StationCosts(SettingsTable):
    """The ``[station]`` table: village delivery service stations (村级寄递物流综合服务站)."""

    new_build_yuan: NonNegativeFloat = Field(
        25_000, description="One-off cost of a new station (C1–C3)."
    )
    upgrade_yuan: NonNegativeFloat = Field(
        5_000, description="One-off cost of upgrading an existing 村邮站 or shop (C4, EST)."
    )
    operating_yuan_per_year: NonNegativeFloat = Field(
        6_000, description="Agent allowance and upkeep per year (C5)."
    )
    handling_yuan_per_parcel: NonNegativeFloat = Field(
        0.5, description="Handling fee paid to the station agent per parcel (C6)."
    )
    capacity_parcels_per_day: PositiveFloat = Field(
        500, description="Default daily capacity, both directions (D4, EST)."
    )
    lifetime_years: PositiveInt = Field(
        10, le=100, description="Years over which the one-off cost is spread (EST)."
    )


class CentreCosts(SettingsTable):
    """The ``[centre]`` table: township co-delivery centres (乡镇快递共配中心)."""

    new_build_yuan: NonNegativeFloat = Field(
        500_000, description="One-off build and fit-out (C9, EST)."
    )
    upgrade_yuan: NonNegativeFloat = Field(
        150_000, description="One-off upgrade of an existing depot to a shared centre (C9, EST)."
    )
    operating_yuan_per_year: NonNegativeFloat = Field(
        400_000, description="Staff, rent and power per year (C10, EST)."
    )
    handling_yuan_per_parcel: NonNegativeFloat = Field(
        0.3, description="Sorting cost per parcel (C11, EST)."
    )
    capacity_parcels_per_day: PositiveFloat = Field(
        20_000, description="Default daily capacity, both directions (EST)."
    )
    lifetime_years: PositiveInt = Field(
        10, le=100, description="Years over which the one-off cost is spread (EST)."
    )


class HubCosts(SettingsTable):
    """The ``[hub]`` table: the county distribution hub (县级寄递公共配送中心)."""

    new_build_yuan: NonNegativeFloat = Field(
        10_000_000,
        description="One-off cost of a candidate hub; fixed hubs cost nothing (C13, EST).",
    )
    operating_yuan_per_year: NonNegativeFloat = Field(
        0.0, description="Operating cost of a candidate hub per year (EST)."
    )
    lifetime_years: PositiveInt = Field(
        20, le=100, description="Years over which the one-off cost is spread (EST)."
    )
    max_open: PositiveInt = Field(1, description="Most candidate hubs the plan may open.")


class VanSettings(SettingsTable):
    """The ``[van]`` table: dedicated delivery vans."""

    yuan_per_parcel_km: NonNegativeFloat = Field(
        0.052,
        description=(
            "Van cost per parcel-km: (350 yuan/day + 1.5 yuan/km × 60 km) / (280 parcels × 30 km "
            "on board) (T5–T10, derived EST)."
        ),
    )
    yuan_per_km: NonNegativeFloat = Field(1.5, description="Energy and wear per km (T1–T4).")
    fixed_yuan_per_day: NonNegativeFloat = Field(
        350, description="Driver and vehicle per van-day (T5–T6, EST)."
    )
    capacity_parcels: PositiveFloat = Field(400, description="Parcels per van trip (T8, EST).")
    co2_kg_per_km: NonNegativeFloat = Field(0.30, description="Diesel van CO2 per km (E1–E2).")
    load_factor: float = Field(
        0.7,
        gt=0,
        le=1,
        description="Average share of van capacity used (EST), for van-km estimates.",
    )


class BusSettings(SettingsTable):
    """The ``[bus]`` table: rural passenger buses carrying parcels (客货邮融合)."""

    enabled: bool = Field(True, description="Let links ride bus lines when the dataset has them.")
    fee_yuan_per_parcel: NonNegativeFloat = Field(
        0.5, description="Fee per parcel per ride paid to the operator (T12–T13)."
    )
    handling_yuan_per_parcel: NonNegativeFloat = Field(
        0.5, description="Transfer handling per parcel and bus ride, both ends together (T12)."
    )
    capacity_parcels_per_trip: PositiveFloat = Field(
        150, description="Hold capacity per trip (T14–T15)."
    )
    trips_per_day: PositiveFloat = Field(
        4, description="One-way trips per day each direction (T16, EST)."
    )
    max_transfer_km: NonNegativeFloat = Field(
        0.5,
        description="Longest road distance between a stop and the facility it serves, km (EST).",
    )
    co2_kg_per_parcel_km: NonNegativeFloat = Field(
        0.0001, description="Marginal CO2 of a parcel on a bus (E7, EST)."
    )


class RouteRules(SettingsTable):
    """The ``[routes]`` table: how the vans of a centre drive their daily loops."""

    shift_hours: PositiveFloat = Field(
        8.0,
        le=24.0,
        description="Longest working day of one van and driver, hours (T22, T5–T6; EST).",
    )
    speed_kmh: PositiveFloat = Field(
        40.0, description="Average rural van speed, km/h (EST): 8 h × 40 km/h = 320 km a day."
    )
    stop_minutes: NonNegativeFloat = Field(
        10.0, description="Fixed time at each station stop, minutes (T20, EST)."
    )
    stop_minutes_per_parcel: NonNegativeFloat = Field(
        0.1, description="Time per parcel handed over or collected at a stop, minutes (T20, EST)."
    )
    loading_minutes: NonNegativeFloat = Field(
        20.0, description="Loading the van at the depot before each loop, minutes (T21, EST)."
    )
    trips_per_van: NonNegativeInt = Field(
        0,
        description="Most loops one van drives a day, reloading at the depot in between; 0: as "
        "many as fit the shift (T22, EST).",
    )
    iterations: PositiveInt = Field(
        5000, description="Most iterations of the route search per depot: a deterministic stop."
    )
    no_improvement: PositiveInt = Field(
        1000,
        description="Stop a depot's route search after this many iterations without a better "
        "solution: a deterministic stop.",
    )
    trunk: bool = Field(
        True, description="Route the hub → centre van links too (same vans and shift rules)."
    )
    time_limit_s: PositiveFloat = Field(
        120.0,
        le=1e7,
        description="Safety limit of the route search per centre, seconds (a search stopped by "
        "it is logged, as it need not repeat exactly).",
    )
    rounds: NonNegativeInt = Field(
        4,
        description="Re-price the van links (feeder and trunk) from the routes and re-solve, until "
        "a plan repeats or this many rounds; the cheapest routed plan is kept (0: route the first "
        "plan only); --route-rounds overrides it.",
    )
    pricing: Literal["parcel_km", "two_part"] = Field(
        "two_part",
        description="How routes re-price a van feeder link in those rounds: per parcel-km, or a "
        "fixed part per station visit plus a part per parcel-km (docs/routes.md).",
    )
    per_centre: bool = Field(
        True, description="Re-price each centre's van links by its own routes, not county-wide."
    )


class ReportSettings(SettingsTable):
    """The ``[report]`` table: how the outputs speak to people."""

    language: Literal["en", "zh"] = Field(
        "en",
        description="Language of the CLI table, targets.md, the map and report.html: en "
        "(English) or zh (简体中文); --lang overrides it.",
    )


class NetworkSettings(SettingsTable):
    """The ``[network]`` table: snapping points to roads."""

    snap_warn_m: PositiveFloat = Field(
        500, description="Warn when a point lies farther than this from the road network, m."
    )
    snap_max_m: PositiveFloat = Field(
        5_000, description="Refuse a point farther than this from the road network, m."
    )


class Phase(SettingsTable):
    """One ``[[phases]]`` entry: a year (or period) of a phased plan."""

    name: str = Field(description='Phase label, e.g. a year: "2024".')
    coverage_target: float = Field(
        gt=0.0,
        le=1.0,
        description="Share of villages served by the end of the phase (SEEDS: 0.85 in 2024).",
    )
    demand_factor: PositiveFloat = Field(
        1.0,
        le=100.0,
        description="Parcels relative to the dataset's base demand (D9–D11: about 1.10 per year).",
    )
    years: PositiveFloat = Field(
        1.0, le=100.0, description="Years the phase lasts: weight of its yearly cost."
    )
    budget_yuan: NonNegativeFloat | None = Field(
        None,
        description="Most one-off spending (builds and upgrades) in the phase; none when omitted.",
    )


class SolverSettings(SettingsTable):
    """The ``[solver]`` table: OR-Tools MathOpt settings."""

    backend: Literal["highs", "scip", "cpsat"] = Field(
        "highs", description="MIP solver inside OR-Tools (see README benchmark)."
    )
    time_limit_s: PositiveFloat = Field(
        300, le=1e7, description="Wall-clock limit of one solve, seconds."
    )
    relative_gap: NonNegativeFloat = Field(
        1e-6, description="Stop when the proven gap is below this share."
    )
    threads: PositiveInt = Field(
        1, le=1024, description="Solver threads; 1 keeps runs reproducible."
    )
    lp_screening: bool | Literal["auto"] = Field(
        "auto",
        description=(
            "Solve the LP relaxation first, close the sites it leaves shut and solve that "
            "smaller MIP; the full model is solved only when that plan is not within "
            "relative_gap of the LP bound (HiGHS and SCIP). auto: when relative_gap >= 0.001."
        ),
    )

    @field_validator("lp_screening", mode="before")
    @classmethod
    def _screening_value(cls, value: object) -> object:
        if isinstance(value, bool) or value == "auto":
            return value
        msg = 'must be true, false or "auto"'
        raise ValueError(msg)

    @property
    def screens(self) -> bool:
        """Whether LP screening is on (``auto``: for gap targets of 0.1 % and more)."""
        if self.lp_screening == "auto":
            return self.relative_gap >= AUTO_SCREENING_GAP
        return bool(self.lp_screening)
