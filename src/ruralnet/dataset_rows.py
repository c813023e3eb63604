"""The county dataset format for the machine: one pydantic row model per layer, and the row checks.

The README's "County dataset format" section states the same format for people. The checks
turn a layer's attribute table into validated values (defaults for empty cells, ids stripped)
or into :class:`~ruralnet.errors.DataError` s naming the file, row, feature and fix;
:mod:`ruralnet.data` reads the files and checks geometry and references.
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from ruralnet.errors import DataError

__all__ = [
    "LAYER_ROWS",
    "BusLineRow",
    "LayerRow",
    "check_rows",
    "check_unique",
    "normalise_rows",
]

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

# Sanity bounds (EST), far beyond any real village, site or bus line: a larger value is a typo
# or an overflow (1e308), refused at the door rather than passed to the solver.
_PEOPLE_MAX = 1_000_000  # residents of one administrative village (the largest have ~50,000)
_PARCELS_MAX = 1e7  # parcels per day of one village, site or hub (a county handles ~1e4-1e5)
_TRIPS_MAX = 1_000  # bus trips per day and direction
_HOLD_MAX = 1e5  # parcels per bus trip
_FEE_MAX = 1e4  # yuan per parcel
_SEQ_MAX = 1_000_000  # stop sequence numbers

Parcels = Annotated[float, Field(ge=0, le=_PARCELS_MAX)]
Capacity = Annotated[float, Field(gt=0, le=_PARCELS_MAX)]


class LayerRow(BaseModel):
    """A row of any dataset layer; the layers' models add their columns."""

    # finite numbers only: NaN or infinity in a column is an error, an empty cell is "not given"
    model_config = ConfigDict(
        extra="ignore", frozen=True, coerce_numbers_to_str=True, allow_inf_nan=False
    )


class VillageRow(LayerRow):
    """One administrative village (行政村)."""

    village_id: Id
    name: Id
    township_id: Id
    population: Annotated[int, Field(ge=0, le=_PEOPLE_MAX)] | None = None
    inbound_parcels_per_day: Parcels | None = None
    outbound_parcels_per_day: Parcels | None = None
    producing: bool = False
    source: str = ""

    @model_validator(mode="after")
    def _has_demand(self) -> VillageRow:
        if self.population is None and self.inbound_parcels_per_day is None:
            msg = "needs population or inbound_parcels_per_day"
            raise ValueError(msg)
        return self


class TownshipRow(LayerRow):
    """One township-level unit (乡镇/街道)."""

    township_id: Id
    name: Id
    source: str = ""


class StationSiteRow(LayerRow):
    """One candidate village service station site."""

    site_id: Id
    kind: Literal["existing", "new"]
    village_id: Id | None = None
    capacity_parcels_per_day: Capacity | None = None
    source: str = ""


class CentreSiteRow(LayerRow):
    """One candidate township co-delivery centre site."""

    site_id: Id
    township_id: Id
    kind: Literal["existing", "new"]
    capacity_parcels_per_day: Capacity | None = None
    source: str = ""


class HubRow(LayerRow):
    """One county hub, fixed or candidate."""

    hub_id: Id
    status: Literal["fixed", "candidate"]
    name: str = ""
    capacity_parcels_per_day: Capacity | None = None  # not given: no limit
    source: str = ""


class RoadRow(LayerRow):
    """One road line."""

    highway: Id
    oneway: bool = False
    name: str = ""
    source: str = ""


class BusStopRow(LayerRow):
    """One stop of a bus line, in order."""

    line_id: Id
    seq: Annotated[int, Field(ge=1, le=_SEQ_MAX)]
    stop_id: Id
    name: str = ""


class BusLineRow(LayerRow):
    """One bus line's service figures; empty cells take the scenario defaults."""

    line_id: Id
    name: str = ""
    trips_per_day: Annotated[float, Field(gt=0, le=_TRIPS_MAX)] | None = None
    capacity_parcels_per_trip: Annotated[float, Field(gt=0, le=_HOLD_MAX)] | None = None
    fee_yuan_per_parcel: Annotated[float, Field(ge=0, le=_FEE_MAX)] | None = None
    source: str = ""


LAYER_ROWS: dict[str, tuple[type[LayerRow], frozenset[str], str | None]] = {
    # layer: (row model, allowed geometry types, id column)
    "villages": (VillageRow, frozenset({"Point"}), "village_id"),
    "townships": (TownshipRow, frozenset({"Polygon", "MultiPolygon", "Point"}), "township_id"),
    "station_sites": (StationSiteRow, frozenset({"Point"}), "site_id"),
    "centre_sites": (CentreSiteRow, frozenset({"Point"}), "site_id"),
    "hubs": (HubRow, frozenset({"Point"}), "hub_id"),
    "roads": (RoadRow, frozenset({"LineString", "MultiLineString"}), None),
    "boundary": (LayerRow, frozenset({"Polygon", "MultiPolygon"}), None),
    "bus_stops": (BusStopRow, frozenset({"Point"}), None),
}


def _blank(value: object) -> bool:
    return isinstance(value, str) and not value.strip()


def _clean_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    plain = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
    plain = plain.astype(object).where(plain.notna(), None)
    # an empty cell (null, "" or blanks) means "not given": drop it so the model's default applies
    return [
        {k: v for k, v in row.items() if v is not None and not _blank(v)}
        for row in plain.to_dict(orient="records")
    ]


def check_rows(
    frame: pd.DataFrame, path: Path, model: type[LayerRow], id_col: str | None
) -> tuple[list[DataError], list[LayerRow]]:
    """Validate every row; return the problems, and the validated rows when there are none."""
    if model is LayerRow:
        return [], []
    missing = [
        name
        for name, field in model.model_fields.items()
        if field.is_required() and name not in frame.columns
    ]
    if missing:
        return [
            DataError(
                path,
                f"column {', '.join(missing)} is missing",
                "Add the column (see the README's dataset table)",
            )
        ], []
    try:
        return [], TypeAdapter(list[model]).validate_python(_clean_records(frame))
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            row = int(err["loc"][0])
            column = str(err["loc"][1]) if len(err["loc"]) > 1 else "row"
            value = frame.iloc[row].get(column) if column in frame.columns else None
            value = value.item() if isinstance(value, np.generic) else value
            feature = (
                f"{id_col}={frame.iloc[row][id_col]}"
                if id_col and id_col in frame.columns
                else None
            )
            got = f", got {value!r}" if column in frame.columns else ""
            problems.append(
                DataError(
                    path,
                    f"{column}: {err['msg'].removeprefix('Value error, ').lower()}{got}",
                    "Fix the value or drop the row",
                    row=row + 1,
                    feature=feature,
                )
            )
        return problems, []


def check_unique(rows: list[LayerRow], path: Path, id_col: str | None) -> list[DataError]:
    """Ids must differ once surrounding blanks are dropped (they are dropped when read)."""
    if id_col is None:
        return []
    seen: set[str] = set()
    problems = []
    for i, row in enumerate(rows):
        ident = getattr(row, id_col)
        if ident in seen:
            problems.append(
                DataError(
                    path,
                    f"duplicate {id_col} {ident!r}",
                    "Give every feature its own id (surrounding blanks do not count)",
                    row=i + 1,
                )
            )
        seen.add(ident)
    return problems


def _numeric(annotation: Any) -> bool:
    """Whether a row model's field holds a number (``int``/``float``, maybe optional)."""
    if annotation in (int, float):
        return True
    return any(_numeric(arg) for arg in typing.get_args(annotation)[:1] if arg is not type(None))


def normalise_rows(
    frame: gpd.GeoDataFrame, model: type[LayerRow], id_col: str | None, rows: list[LayerRow]
) -> gpd.GeoDataFrame:
    """Put the validated values in place (defaults for empty cells, ids stripped), sorted by id."""
    frame = frame.copy()
    for name, field in model.model_fields.items():
        values = pd.Series([getattr(row, name) for row in rows], index=frame.index, dtype=object)
        if _numeric(field.annotation):  # int where every cell is given, else float with NaN
            values = pd.to_numeric(values) if values.notna().all() else values.astype(float)
        elif field.annotation is bool:
            values = values.astype(bool)
        frame[name] = values
    if id_col is not None:
        frame = frame.sort_values(id_col, kind="stable").reset_index(drop=True)
    return frame
