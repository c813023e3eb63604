"""Scenario files: TOML in, a validated, frozen :class:`Scenario` out.

Every default below cites its row in the project's reference table of domain figures
(``DOMAIN.md`` row ids such as ``C1`` or ``T12``; ``EST`` marks an engineering estimate).
The same figures and sources are listed in the README's scenario table.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ruralnet.errors import ScenarioError
from ruralnet.policy_settings import (
    BrandSettings,
    ColdChainSettings,
    DemonstrationSettings,
    LockerSettings,
    ParkSettings,
)

__all__ = [
    "BusSettings",
    "CentreCosts",
    "DemandSettings",
    "HubCosts",
    "Phase",
    "ReportSettings",
    "RouteRules",
    "Scenario",
    "ServiceSettings",
    "SolverSettings",
    "StationCosts",
    "VanSettings",
    "load_scenario",
    "scenario_from_dict",
]


AUTO_SCREENING_GAP = 1e-3  # lp_screening = "auto" screens from this gap target up


class _Section(BaseModel):
    # strict: TOML has real booleans and numbers, so "no" for a bool or "5" for a number is a
    # mistake to report, not a value to guess at (paths and the phase list are read lax)
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class ScenarioMeta(_Section):
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


class ServiceSettings(_Section):
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


class DemandSettings(_Section):
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


class FinanceSettings(_Section):
    """The ``[finance]`` table: how one-off costs become yearly costs."""

    discount_rate: NonNegativeFloat = Field(
        0.05, le=1.0, description="Discount rate for annualising one-off costs (EST)."
    )


class StationCosts(_Section):
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


class CentreCosts(_Section):
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


class HubCosts(_Section):
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


class VanSettings(_Section):
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


class BusSettings(_Section):
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


class RouteRules(_Section):
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


class ReportSettings(_Section):
    """The ``[report]`` table: how the outputs speak to people."""

    language: Literal["en", "zh"] = Field(
        "en",
        description="Language of the CLI table, targets.md, the map and report.html: en "
        "(English) or zh (简体中文); --lang overrides it.",
    )


class NetworkSettings(_Section):
    """The ``[network]`` table: snapping points to roads."""

    snap_warn_m: PositiveFloat = Field(
        500, description="Warn when a point lies farther than this from the road network, m."
    )
    snap_max_m: PositiveFloat = Field(
        5_000, description="Refuse a point farther than this from the road network, m."
    )


class Phase(_Section):
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


class SolverSettings(_Section):
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


class Scenario(_Section):
    """A validated scenario; build it with :func:`load_scenario` or :func:`scenario_from_dict`."""

    scenario: ScenarioMeta
    service: ServiceSettings = ServiceSettings()
    demand: DemandSettings = DemandSettings()
    finance: FinanceSettings = FinanceSettings()
    station: StationCosts = StationCosts()
    centre: CentreCosts = CentreCosts()
    hub: HubCosts = HubCosts()
    van: VanSettings = VanSettings()
    bus: BusSettings = BusSettings()
    routes: RouteRules = RouteRules()
    report: ReportSettings = ReportSettings()
    network: NetworkSettings = NetworkSettings()
    solver: SolverSettings = SolverSettings()
    brands: BrandSettings = BrandSettings()
    park: ParkSettings = ParkSettings()
    demonstration: DemonstrationSettings = DemonstrationSettings()
    cold_chain: ColdChainSettings = ColdChainSettings()
    lockers: LockerSettings = LockerSettings()
    phases: tuple[Phase, ...] = Field(
        (),
        strict=False,
        description="Phases solved jointly; none means one phase at [service].coverage_target.",
    )
    source: Path | None = Field(None, exclude=True, description="The TOML file it came from.")

    @model_validator(mode="after")
    def _phases_grow(self) -> Scenario:
        targets = [phase.coverage_target for phase in self.phases]
        if targets != sorted(targets):
            msg = "phase coverage targets must not decrease (stations stay open)"
            raise ValueError(msg)
        if len({phase.name for phase in self.phases}) != len(self.phases):
            msg = "phase names must be unique"
            raise ValueError(msg)
        return self

    @property
    def dataset_path(self) -> Path:
        """Dataset folder, resolved against the scenario file's folder."""
        path = self.scenario.dataset
        if not path.is_absolute() and self.source is not None:
            path = self.source.parent / path
        return path

    def with_overrides(self, overrides: dict[str, Any]) -> Scenario:
        """
        Return a new, re-validated scenario with some keys replaced.

        Parameters
        ----------
        overrides
            ``{"section": {"key": value}}``, e.g. ``{"solver": {"time_limit_s": 60}}``; a list
            (``{"phases": [...]}``) replaces the whole list.

        Returns
        -------
        Scenario
            The new scenario; the original is unchanged.
        """
        raw = self.model_dump(mode="python")
        for section, values in overrides.items():
            if isinstance(values, dict):
                raw.setdefault(section, {}).update(values)
            else:  # a list such as [[phases]] is replaced whole
                raw[section] = values
        return scenario_from_dict(raw, source=self.source)


def annuity_factor(rate: float, years: int) -> float:
    """
    Capital recovery factor: the yearly payment per yuan of one-off cost.

    Parameters
    ----------
    rate
        Discount rate per year (0.05 for 5 %).
    years
        Lifetime in years.

    Returns
    -------
    float
        ``rate / (1 - (1 + rate) ** -years)``, or ``1 / years`` when ``rate`` is 0.
    """
    if rate == 0:
        return 1.0 / years
    if rate < 1e-6:  # noqa: PLR2004 - 1 - (1 + r)^-n cancels to 0 for a tiny rate: no cancellation
        return rate / -math.expm1(-years * math.log1p(rate))
    return rate / (1.0 - (1.0 + rate) ** -years)


def _known_keys(model: type[BaseModel]) -> list[str]:
    return [name for name in model.model_fields if name != "source"]


def _section_model(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] = Scenario
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        if field is None or not isinstance(field.annotation, type):
            return None
        if not issubclass(field.annotation, BaseModel):
            return None
        model = field.annotation
    return model


_TYPE_HINTS = {  # pydantic error type -> what the key must be, in TOML terms
    "model_type": "must be a table (a [section] with key = value lines)",
    "model_attributes_type": "must be a table (a [section] with key = value lines)",
    "dict_type": "must be a table (a [section] with key = value lines)",
    "tuple_type": "must be a list of [[phases]] tables",
    "list_type": "must be a list",
    "path_type": "must be a path in quotes",
    "bool_type": "must be true or false (without quotes)",
    "string_type": "must be text in quotes",
}


def _home_section(key: str) -> str | None:
    """Find the section that has ``key`` (for a key written at the top of the file by mistake)."""
    for section, field in Scenario.model_fields.items():
        model = field.annotation
        if isinstance(model, type) and issubclass(model, BaseModel) and key in model.model_fields:
            return section
    return None


def _describe_error(err: dict[str, Any], where: str) -> str:
    loc = tuple(err["loc"])
    if not loc:
        return f"{where}: {err['msg'].removeprefix('Value error, ')}; fix the scenario"
    key = ".".join(str(p) for p in loc[1:])
    pretty = f"[{loc[0]}].{key}" if len(loc) > 1 else f"[{loc[0]}]"
    if err["type"] == "extra_forbidden":
        model = _section_model(loc)
        known = _known_keys(model) if model else []
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        home = _home_section(str(loc[0])) if len(loc) == 1 else None
        if home is not None:
            hint = f"'{loc[0]}' belongs in [{home}]; put it under that table"
        elif close:
            hint = f"did you mean '{close[0]}'?"
        else:
            hint = f"known keys: {', '.join(known)}"
        return f"{where} {pretty}: unknown key; {hint}"
    if err["type"] == "missing":
        return (
            f"{where} {pretty}: required key is missing; add it (see the README's scenario table)"
        )
    got = err.get("input")
    if err["type"] in _TYPE_HINTS:
        return f"{where} {pretty}: {_TYPE_HINTS[err['type']]}, got {got!r}; fix the value"
    return f"{where} {pretty}: {err['msg'].lower()}, got {got!r}; fix the value"


def scenario_from_dict(raw: dict[str, Any], *, source: Path | None = None) -> Scenario:
    """
    Validate a scenario given as nested dicts (the parsed TOML).

    Parameters
    ----------
    raw
        ``{"scenario": {...}, "service": {...}, ...}``.
    source
        The file the dict came from; relative dataset paths resolve against its folder.

    Returns
    -------
    Scenario
        The frozen, validated scenario.

    Raises
    ------
    ScenarioError
        One line naming the file, the key and the fix.
    """
    return _validate(raw, source, {})


def _validate(
    raw: dict[str, Any], source: Path | None, origin: dict[tuple[str, ...], str]
) -> Scenario:
    """Validate ``raw``; ``origin`` names the file each key came from (``extends`` chains)."""
    where = source.name if source is not None else "scenario"
    _check_numbers(raw, where, origin)
    try:
        scenario = Scenario.model_validate({**raw, "source": source})
    except ValidationError as exc:
        errors = exc.errors()
        loc = tuple(str(part) for part in errors[0]["loc"])
        msg = _describe_error(errors[0], origin.get(loc[:2]) or origin.get(loc[:1]) or where)
        if len(errors) > 1:
            msg += f" (and {len(errors) - 1} more problems)"
        raise ScenarioError(msg) from None
    if not scenario.dataset_path.is_dir():
        what = "is not a folder" if scenario.dataset_path.exists() else "does not exist"
        msg = (
            f"{origin.get(('scenario', 'dataset'), where)} [scenario].dataset: folder "
            f"{scenario.dataset_path} {what}; give the dataset folder relative to the scenario file"
        )
        raise ScenarioError(msg)
    return scenario


#: No scenario figure comes near this; a larger one is a typo or an overflow (e.g. 1e308).
LARGEST_NUMBER = 1e12


def _check_numbers(
    raw: dict[str, Any] | list[Any],
    where: str,
    origin: dict[tuple[str, ...], str],
    path: tuple[str, ...] = (),
) -> None:
    """Refuse NaN, infinities and absurd magnitudes anywhere, before any key is used."""
    items = raw.items() if isinstance(raw, dict) else enumerate(raw)
    for key, value in items:
        here = (*path, str(key))
        if isinstance(value, dict | list):
            _check_numbers(value, where, origin, here)
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        problem = None
        if not math.isfinite(value):
            problem = f"must be a finite number, got {value}"
        elif abs(value) > LARGEST_NUMBER:
            problem = f"must be at most {LARGEST_NUMBER:.0e} in size, got {value:.6g}"
        if problem is not None:
            name = f"[{here[0]}]" + "".join(f".{part}" for part in here[1:])
            file = origin.get(here[:2]) or origin.get(here[:1]) or where
            msg = f"{file} {name}: {problem}; fix the value"
            raise ScenarioError(msg)


def load_scenario(path: str | Path) -> Scenario:
    """
    Read and validate a scenario TOML file.

    Parameters
    ----------
    path
        The ``.toml`` file.

    Returns
    -------
    Scenario
        The frozen, validated scenario.

    Raises
    ------
    ScenarioError
        The file is missing or not TOML, or a key or value is wrong (named with the file of an
        ``extends`` chain that set it).
    """
    path = Path(path)
    if not path.is_file():
        what = "is a folder, not a scenario file" if path.is_dir() else "scenario file not found"
        msg = f"{path}: {what}; check the path"
        raise ScenarioError(msg)
    origin: dict[tuple[str, ...], str] = {}
    raw = _read_with_base(path.resolve(), (), origin)
    return _validate(raw, path.resolve(), origin)


def _read_toml(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    if path in seen:
        msg = f"{path.name} [scenario].extends: files extend each other in a loop; break the loop"
        raise ScenarioError(msg)
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "not found"
        msg = f"{seen[-1].name if seen else path.name} [scenario].extends: {path} {what}; check the path"
        raise ScenarioError(msg)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        msg = f"{path.name}: not a valid UTF-8 TOML file ({exc}); fix the syntax"
        raise ScenarioError(msg) from None
    except OSError as exc:
        msg = f"{path.name}: cannot be read ({exc.strerror or exc}); check the file's permissions"
        raise ScenarioError(msg) from None


def _scenario_table(raw: dict[str, Any], name: str) -> dict[str, Any]:
    """Return the ``[scenario]`` table, its paths checked as text before they are joined."""
    meta = raw.get("scenario", {})
    if not isinstance(meta, dict):
        msg = f"{name} [scenario]: must be a table with name and dataset, got {meta!r}; fix it"
        raise ScenarioError(msg)
    for key in ("dataset", "extends"):
        if key in meta and not isinstance(meta[key], str):
            msg = f"{name} [scenario].{key}: must be a path in quotes, got {meta[key]!r}; fix the value"
            raise ScenarioError(msg)
    return meta


def _read_with_base(
    path: Path, seen: tuple[Path, ...], origin: dict[tuple[str, ...], str]
) -> dict[str, Any]:
    """Read a scenario file and merge it onto the file it ``extends``, noting each key's file."""
    raw = _read_toml(path, seen)
    meta = _scenario_table(raw, path.name)
    if "dataset" in meta:  # relative to the file that names it
        meta["dataset"] = str((path.parent / meta["dataset"]).resolve())
    base_name = meta.get("extends")
    base = (
        {}
        if base_name is None
        else _read_with_base((path.parent / base_name).resolve(), (*seen, path), origin)
    )
    for section, values in raw.items():
        origin[(section,)] = path.name
        if isinstance(values, dict):
            origin.update({(section, str(key)): path.name for key in values})
        if isinstance(values, dict) and isinstance(base.get(section), dict):
            base[section] = {**base[section], **values}
        else:
            base[section] = values
    return base
