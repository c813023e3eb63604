"""Scenario files: TOML in, a validated, frozen :class:`Scenario` out.

The tables and their defaults (each citing its ``DOMAIN.md`` row) are in
:mod:`ruralnet.settings` and :mod:`ruralnet.policy_settings`; this module puts them together,
reads TOML files (with ``extends``) and turns validation errors into one-line messages.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, model_validator

from ruralnet.errors import ScenarioError
from ruralnet.policy_settings import (
    BrandSettings,
    ColdChainSettings,
    DemonstrationSettings,
    LockerSettings,
    ParkSettings,
)
from ruralnet.settings import (
    BusSettings,
    CentreCosts,
    DemandSettings,
    FinanceSettings,
    HubCosts,
    NetworkSettings,
    Phase,
    ReportSettings,
    RouteRules,
    ScenarioMeta,
    ServiceSettings,
    SettingsTable,
    SolverSettings,
    StationCosts,
    VanSettings,
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


class Scenario(SettingsTable):
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
