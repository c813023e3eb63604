"""Problem -> MathOpt model with typed variable handles. No I/O, no geodata.

The full specification, with every preprocessing rule an auditor needs to rebuild a plan,
is ``docs/model.md``; this docstring is its short form.

Formulation
-----------
Data (all from :class:`~ruralnet.problem.Problem`):
    V villages with inbound/outbound parcels per day q_in[v], q_out[v], q[v] = q_in + q_out
    S station sites: yearly cost F[s], capacity K[s]
    C centre sites in townships t(c): yearly cost G[c], capacity L[c]
    H hubs, fixed or candidate: yearly cost E[h], capacity M[h]
    A access arcs (v, s) the coverage rule allows: v's own sites (一村一站), or sites within the
      service distance where villages may share (多村一站); cost a[v,s] per parcel
    O feeder options o = (c -> s, mode, line), cost k[o] per parcel
    R trunk options r = (h -> c, mode, line), cost k[r] per parcel
    D days per year; hs, hc handling cost per parcel at a station, a centre

Variables:
    y[s], z[c], w[h] in {0,1}      open station / centre / hub (w[h] = 1 for fixed hubs)
    x[v,s] in {0,1}                village v is served by station s
    cov[v] in {0,1}                village v is served (fixed to 1 when the target is 100 %)
    u[s,c], t[c,h] in {0,1}        station s is fed by centre c; centre c by hub h
    fin[o], fout[o], gin[r], gout[r] >= 0   parcels per day on each option, in and out

Model:
    min  sum F y + sum G z + sum E w
         + D * ( sum_(v,s) (a[v,s] + hs) q[v] x[v,s]
                 + sum_o (k[o] + hc) (fin[o] + fout[o]) + sum_r k[r] (gin[r] + gout[r]) )
    (1) cover[v]:       sum_s x[v,s] = cov[v];     sum_v cov[v] >= ceil(target |V|)
    (2) serve[v,s]:     x[v,s] <= y[s]
    (3) station_cap[s]: sum_v q[v] x[v,s] <= K[s] y[s]
    (4) feed[s]:        sum_c u[s,c] = y[s];       u[s,c] <= z[c]
    (5) station_in[s]:  sum_(o into s) fin[o] = sum_v q_in[v] x[v,s]   (likewise out)
    (6) single[o]:      fin[o] + fout[o] <= K'[s] u[s,c(o)]   (K' = min(K, reachable demand))
    (7) centre_cap[c]:  sum_(o from c) (fin[o] + fout[o]) <= L[c] z[c]
    (8) township[t]:    sum_(c in t) z[c] >= 1
    (9) supply[c]:      sum_h t[c,h] = z[c];       t[c,h] <= w[h]
    (10) centre_in[c]:  sum_(r into c) gin[r] = sum_(o from c) fin[o]      (likewise out)
    (11) trunk[r]:      gin[r] + gout[r] <= L[c] t[c,h(r)]
    (12) hub_cap[h]:    sum_(r from h) (gin[r] + gout[r]) <= M[h] w[h]
    (13) new_hubs:      sum_(candidate h) w[h] <= max_new_hubs
    (14) bus_leg[l,k,d]: parcels riding leg k of line l in direction d <= hold x trips

Phases (a multi-year plan, every variable above once per phase p with that phase's demand and
coverage target; objective: sum_p years[p] x yearly cost of phase p):
    (15) stay:          y[s,p] <= y[s,p+1], likewise z, w and cov
    (16) budget[p]:     sum of one-off costs of facilities first opened in phase p <= budget[p]
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from ortools.math_opt.python import mathopt

from ruralnet.problem import LinkOptions, Problem, Solution

__all__ = [
    "BuiltModel",
    "ChoiceModel",
    "ChoiceProblem",
    "Vars",
    "build_choice_model",
    "build_model",
]


@dataclass(frozen=True)
class Vars:
    """Variable handles, in the order of the problem's arrays."""

    open_station: list[mathopt.Variable]
    open_centre: list[mathopt.Variable]
    open_hub: list[mathopt.Variable]
    serve: list[mathopt.Variable]  # one per access arc
    covered: list[mathopt.Variable]
    feed_pairs: list[tuple[int, int]]  # (station, centre)
    feed: list[mathopt.Variable]
    supply_pairs: list[tuple[int, int]]  # (centre, hub)
    supply: list[mathopt.Variable]
    feeder_in: list[mathopt.Variable]
    feeder_out: list[mathopt.Variable]
    trunk_in: list[mathopt.Variable]
    trunk_out: list[mathopt.Variable]
    tag: str = ""  # "@phase" in a phased model: keeps constraint names unique


@dataclass(frozen=True)
class BuiltModel:
    """A MathOpt model ready to solve, with its variables and the problem it encodes.

    ``phase_vars``, ``phase_objectives`` (yearly cost expressions) and ``phase_problems`` have
    one entry per phase; a problem without phases has one.
    """

    model: mathopt.Model
    phase_vars: tuple[Vars, ...]
    phase_objectives: tuple[mathopt.LinearExpression, ...]
    phase_problems: tuple[Problem, ...]
    problem: Problem

    @property
    def vars(self) -> Vars:
        """The variables of the last (or only) phase."""
        return self.phase_vars[-1]


def _flows(
    model: mathopt.Model,
    prefix: str,
    options: LinkOptions,
    up_ids: tuple[str, ...],
    down_ids: tuple[str, ...],
    most: float,
) -> list[mathopt.Variable]:
    """Parcels per day on each option, at most ``most`` (finite bounds, as CP-SAT needs)."""
    return [
        model.add_variable(lb=0.0, ub=most, name=f"{prefix}[{up_ids[u]},{down_ids[d]},{k}]")
        for k, (u, d) in enumerate(zip(options.upstream, options.downstream, strict=True))
    ]


def _add_coverage(model: mathopt.Model, p: Problem, v: Vars) -> None:
    by_village: dict[int, list[mathopt.Variable]] = defaultdict(list)
    for a, village in enumerate(p.access.village):
        by_village[int(village)].append(v.serve[a])
    for i, vid in enumerate(p.village_ids):
        model.add_linear_constraint(
            mathopt.fast_sum(by_village[i]) == v.covered[i], name=f"cover[{vid}]{v.tag}"
        )
    model.add_linear_constraint(
        mathopt.fast_sum(v.covered) >= p.min_covered, name=f"coverage_target{v.tag}"
    )
    for a, (village, station) in enumerate(zip(p.access.village, p.access.station, strict=True)):
        model.add_linear_constraint(
            v.serve[a] <= v.open_station[station],
            name=f"serve[{p.village_ids[village]},{p.station_ids[station]}]{v.tag}",
        )


def _station_loads(p: Problem, v: Vars) -> tuple[dict[int, list], dict[int, list], dict[int, list]]:
    load_in: dict[int, list] = defaultdict(list)
    load_out: dict[int, list] = defaultdict(list)
    load_all: dict[int, list] = defaultdict(list)
    for a, (village, station) in enumerate(zip(p.access.village, p.access.station, strict=True)):
        load_in[int(station)].append(p.inbound[village] * v.serve[a])
        load_out[int(station)].append(p.outbound[village] * v.serve[a])
        load_all[int(station)].append(p.parcels[village] * v.serve[a])
    return load_in, load_out, load_all


def _group(keys: Iterable[int], items: Sequence[Any]) -> dict[int, list[Any]]:
    """Items listed under their key (e.g. flow variables by the station they reach)."""
    out: dict[int, list[Any]] = defaultdict(list)
    for key, item in zip(keys, items, strict=True):
        out[int(key)].append(item)
    return out


def _add_one_parent(
    model: mathopt.Model,
    pairs: list[tuple[int, int]],
    links: list[mathopt.Variable],
    opened: tuple[list[mathopt.Variable], list[mathopt.Variable]],
    ids: tuple[tuple[str, ...], tuple[str, ...]],
    family: str,
    tag: str,
) -> None:
    """(4)/(9): every open child is linked to exactly one parent, and only to an open one."""
    child_open, parent_open = opened
    child_ids, parent_ids = ids
    by_child = _group((child for child, _ in pairs), links)
    for i, ident in enumerate(child_ids):
        model.add_linear_constraint(
            mathopt.fast_sum(by_child[i]) == child_open[i], name=f"{family}[{ident}]{tag}"
        )
    for link, (child, parent) in zip(links, pairs, strict=True):
        model.add_linear_constraint(
            link <= parent_open[parent],
            name=f"{family}_open[{child_ids[child]},{parent_ids[parent]}]{tag}",
        )


def _add_balance(
    model: mathopt.Model,
    ids: tuple[str, ...],
    arriving: dict[int, list],
    needed: dict[int, list],
    name: str,
) -> None:
    """(5)/(10): what arrives at each facility equals what it needs."""
    for i, ident in enumerate(ids):
        model.add_linear_constraint(
            mathopt.fast_sum(arriving[i]) == mathopt.fast_sum(needed[i]), name=f"{name}[{ident}]"
        )


def _add_stations(model: mathopt.Model, p: Problem, v: Vars) -> None:
    load_in, load_out, load_all = _station_loads(p, v)
    for s, sid in enumerate(p.station_ids):
        model.add_linear_constraint(
            mathopt.fast_sum(load_all[s]) <= p.station_capacity[s] * v.open_station[s],
            name=f"station_cap[{sid}]{v.tag}",
        )
    _add_one_parent(
        model,
        v.feed_pairs,
        v.feed,
        (v.open_station, v.open_centre),
        (p.station_ids, p.centre_ids),
        "feed",
        v.tag,
    )
    _add_balance(
        model,
        p.station_ids,
        _group(p.feeder.downstream, v.feeder_in),
        load_in,
        f"station_in{v.tag}",
    )
    _add_balance(
        model,
        p.station_ids,
        _group(p.feeder.downstream, v.feeder_out),
        load_out,
        f"station_out{v.tag}",
    )


def _reachable_load(p: Problem) -> np.ndarray:
    reach = np.zeros(len(p.station_ids))
    np.add.at(reach, p.access.station, p.parcels[p.access.village])
    return np.minimum(reach, p.station_capacity)


def _add_single_sourcing(model: mathopt.Model, p: Problem, v: Vars) -> None:
    pair_index = {pair: k for k, pair in enumerate(v.feed_pairs)}
    bound = _reachable_load(p)
    for o, (c, s) in enumerate(zip(p.feeder.upstream, p.feeder.downstream, strict=True)):
        k = pair_index[(int(s), int(c))]
        model.add_linear_constraint(
            v.feeder_in[o] + v.feeder_out[o] <= bound[s] * v.feed[k], name=f"single[{o}]{v.tag}"
        )
    supply_index = {pair: k for k, pair in enumerate(v.supply_pairs)}
    for r, (h, c) in enumerate(zip(p.trunk.upstream, p.trunk.downstream, strict=True)):
        k = supply_index[(int(c), int(h))]
        model.add_linear_constraint(
            v.trunk_in[r] + v.trunk_out[r] <= p.centre_capacity[c] * v.supply[k],
            name=f"trunk[{r}]{v.tag}",
        )


def _add_centres(model: mathopt.Model, p: Problem, v: Vars) -> None:
    out_of = _group(
        np.repeat(p.feeder.upstream, 2),
        [x for pair in zip(v.feeder_in, v.feeder_out, strict=True) for x in pair],
    )
    for c, cid in enumerate(p.centre_ids):
        model.add_linear_constraint(
            mathopt.fast_sum(out_of[c]) <= p.centre_capacity[c] * v.open_centre[c],
            name=f"centre_cap[{cid}]{v.tag}",
        )
    for t, tid in enumerate(p.township_ids):
        members = [v.open_centre[c] for c in np.flatnonzero(p.centre_township == t)]
        model.add_linear_constraint(mathopt.fast_sum(members) >= 1, name=f"township[{tid}]{v.tag}")
    _add_one_parent(
        model,
        v.supply_pairs,
        v.supply,
        (v.open_centre, v.open_hub),
        (p.centre_ids, p.hub_ids),
        "supply",
        v.tag,
    )
    for flows_in, trunk, name in (
        (v.feeder_in, v.trunk_in, "centre_in"),
        (v.feeder_out, v.trunk_out, "centre_out"),
    ):
        _add_balance(
            model,
            p.centre_ids,
            _group(p.trunk.downstream, trunk),
            _group(p.feeder.upstream, flows_in),
            f"{name}{v.tag}",
        )


def _add_hubs(model: mathopt.Model, p: Problem, v: Vars) -> None:
    out_of: dict[int, list] = defaultdict(list)
    for r, h in enumerate(p.trunk.upstream):
        out_of[int(h)].extend([v.trunk_in[r], v.trunk_out[r]])
    for h, hid in enumerate(p.hub_ids):
        model.add_linear_constraint(
            mathopt.fast_sum(out_of[h]) <= p.hub_capacity[h] * v.open_hub[h],
            name=f"hub_cap[{hid}]{v.tag}",
        )
    candidates = [v.open_hub[h] for h in np.flatnonzero(~p.hub_fixed)]
    if candidates:
        model.add_linear_constraint(
            mathopt.fast_sum(candidates) <= p.max_new_hubs, name=f"new_hubs{v.tag}"
        )


def _bus_riders(
    options: LinkOptions, flows_in: list, flows_out: list
) -> dict[tuple[int, int, bool], list]:
    """Flows on each (line, leg, forward?) of every bus option."""
    riders: dict[tuple[int, int, bool], list] = defaultdict(list)
    for o in np.flatnonzero(options.line >= 0):
        line, fwd = int(options.line[o]), bool(options.forward[o])
        for leg in range(int(options.leg_first[o]), int(options.leg_last[o]) + 1):
            riders[(line, leg, fwd)].append(flows_in[o])
            riders[(line, leg, not fwd)].append(flows_out[o])
    return riders


def _add_bus_hold_capacity(model: mathopt.Model, p: Problem, v: Vars) -> None:
    riders = _bus_riders(p.feeder, v.feeder_in, v.feeder_out)
    for key, flows in _bus_riders(p.trunk, v.trunk_in, v.trunk_out).items():
        riders[key].extend(flows)
    for (line, leg, fwd), flows in sorted(riders.items(), key=lambda kv: kv[0]):
        name = f"bus_leg[{p.bus.ids[line]},{leg},{'fwd' if fwd else 'back'}]{v.tag}"
        model.add_linear_constraint(mathopt.fast_sum(flows) <= p.bus.leg_capacity[line], name=name)


def _objective(p: Problem, v: Vars) -> mathopt.LinearExpression:
    days = p.days_per_year
    terms = [float(p.station_yearly_yuan[s]) * y for s, y in enumerate(v.open_station)]
    terms += [float(p.centre_yearly_yuan[c]) * z for c, z in enumerate(v.open_centre)]
    terms += [float(p.hub_yearly_yuan[h]) * w for h, w in enumerate(v.open_hub)]
    access_unit = (p.access.yuan_per_parcel + p.station_handling_yuan) * p.parcels[p.access.village]
    terms += [float(days * access_unit[a]) * x for a, x in enumerate(v.serve)]
    feeder_unit = days * (p.feeder.yuan_per_parcel + p.centre_handling_yuan)
    terms += [
        float(feeder_unit[o]) * (v.feeder_in[o] + v.feeder_out[o]) for o in range(len(p.feeder))
    ]
    trunk_unit = days * p.trunk.yuan_per_parcel
    terms += [float(trunk_unit[r]) * (v.trunk_in[r] + v.trunk_out[r]) for r in range(len(p.trunk))]
    return mathopt.fast_sum(terms)


def _fix(v: Vars, fixed: Solution, p: Problem) -> None:
    """Pin the open facilities and village assignments to those of ``fixed``."""
    pairs = [
        (vars_, values)
        for vars_, values in (
            (v.open_station, fixed.open_station),
            (v.open_centre, fixed.open_centre),
            (v.open_hub, fixed.open_hub),
            (v.serve, fixed.village_station[p.access.village] == p.access.station),
            (v.covered, fixed.village_station >= 0),
        )
    ]
    for variables, values in pairs:
        for var, value in zip(variables, values, strict=True):
            var.lower_bound = var.upper_bound = float(value)


def _phase_vars(model: mathopt.Model, p: Problem, tag: str) -> Vars:
    feed_pairs = sorted(
        {(int(s), int(c)) for c, s in zip(p.feeder.upstream, p.feeder.downstream, strict=True)}
    )
    supply_pairs = sorted(
        {(int(c), int(h)) for h, c in zip(p.trunk.upstream, p.trunk.downstream, strict=True)}
    )
    full = p.min_covered == len(p.village_ids)
    most = float(np.ceil(p.parcels.sum()))  # no link carries more than every parcel
    return Vars(
        tag=tag,
        open_station=[model.add_binary_variable(name=f"open[{i}]{tag}") for i in p.station_ids],
        open_centre=[model.add_binary_variable(name=f"centre[{i}]{tag}") for i in p.centre_ids],
        open_hub=[
            model.add_variable(lb=float(fixed), ub=1.0, is_integer=True, name=f"hub[{hid}]{tag}")
            for hid, fixed in zip(p.hub_ids, p.hub_fixed, strict=True)
        ],
        serve=[
            model.add_binary_variable(name=f"assign[{p.village_ids[vi]},{p.station_ids[si]}]{tag}")
            for vi, si in zip(p.access.village, p.access.station, strict=True)
        ],
        covered=[
            model.add_variable(lb=float(full), ub=1.0, is_integer=True, name=f"covered[{vid}]{tag}")
            for vid in p.village_ids
        ],
        feed_pairs=feed_pairs,
        feed=[
            model.add_binary_variable(name=f"feed[{p.station_ids[s]},{p.centre_ids[c]}]{tag}")
            for s, c in feed_pairs
        ],
        supply_pairs=supply_pairs,
        supply=[
            model.add_binary_variable(name=f"supply[{p.centre_ids[c]},{p.hub_ids[h]}]{tag}")
            for c, h in supply_pairs
        ],
        feeder_in=_flows(model, f"fin{tag}", p.feeder, p.centre_ids, p.station_ids, most),
        feeder_out=_flows(model, f"fout{tag}", p.feeder, p.centre_ids, p.station_ids, most),
        trunk_in=_flows(model, f"gin{tag}", p.trunk, p.hub_ids, p.centre_ids, most),
        trunk_out=_flows(model, f"gout{tag}", p.trunk, p.hub_ids, p.centre_ids, most),
    )


def _link_phases(model: mathopt.Model, p: Problem, phases: list[Vars]) -> None:
    """(15) what is open or served stays so; (16) one-off spending within each phase's budget."""
    for earlier, later in itertools.pairwise(phases):
        for family in ("open_station", "open_centre", "open_hub", "covered"):
            for i, (a, b) in enumerate(
                zip(getattr(earlier, family), getattr(later, family), strict=True)
            ):
                model.add_linear_constraint(a <= b, name=f"stay_{family}[{i}]{later.tag}")
    one_off = (p.station_one_off_yuan, p.centre_one_off_yuan, p.hub_one_off_yuan)
    for k, budget in enumerate(p.phases.budget_yuan):
        if not np.isfinite(budget) or any(c is None for c in one_off):
            continue
        spend = []
        for family, cost in zip(("open_station", "open_centre", "open_hub"), one_off, strict=True):
            now = getattr(phases[k], family)
            before = getattr(phases[k - 1], family) if k else [0.0] * len(now)
            spend += [float(c) * (x - y) for c, x, y in zip(cost, now, before, strict=True) if c]
        model.add_linear_constraint(
            mathopt.fast_sum(spend) <= float(budget), name=f"budget[{p.phases.names[k]}]"
        )


def build_model(
    problem: Problem, *, fixed: Solution | None = None, uncovered_penalty: float | None = None
) -> BuiltModel:
    """
    Build the MathOpt model of a problem (the formulation in this module's docstring).

    A problem with several phases gets one copy of every variable and constraint per phase
    (demand and coverage target of that phase), linked by (15) and (16); the objective sums
    the phases' yearly costs weighted by their years.

    Parameters
    ----------
    problem
        The instance.
    fixed
        A plan whose open facilities and village assignments are kept (per phase); only the
        transport (which centre feeds which station, by which mode) is optimised. Used to
        price the same network without buses.
    uncovered_penalty
        Relax coverage: every village may go unserved at this cost per village and phase
        (the coverage targets are dropped). Used to explain an infeasible problem: the
        villages left unserved are those no plan can serve together.

    Returns
    -------
    BuiltModel
        The model, its variable handles per phase and the problem.
    """
    model = mathopt.Model(name="ruralnet")
    n = len(problem.phases)
    phase_problems = [problem] if n == 1 else [problem.for_phase(k) for k in range(n)]
    phase_vars, objectives = [], []
    if uncovered_penalty is not None:
        phase_problems = [replace(p, coverage_target=0.0) for p in phase_problems]
    for k, p in enumerate(phase_problems):
        v = _phase_vars(model, p, "" if n == 1 else f"@{problem.phases.names[k]}")
        _add_coverage(model, p, v)
        _add_stations(model, p, v)
        _add_single_sourcing(model, p, v)
        _add_centres(model, p, v)
        _add_hubs(model, p, v)
        _add_bus_hold_capacity(model, p, v)
        if fixed is not None:
            _fix(v, fixed.phases[k] if fixed.phases else fixed, p)
        phase_vars.append(v)
        objective = _objective(p, v)
        if uncovered_penalty is not None:
            objective += mathopt.fast_sum(uncovered_penalty * (1 - c) for c in v.covered)
        objectives.append(objective)
    _link_phases(model, problem, phase_vars)
    # several phases: their yearly costs weighted by their years; one phase: its yearly cost
    weights = [float(y) for y in problem.phases.years] if n > 1 else [1.0]
    model.minimize(mathopt.fast_sum(weights[k] * objectives[k] for k in range(n)))
    return BuiltModel(
        model=model,
        phase_vars=tuple(phase_vars),
        phase_objectives=tuple(objectives),
        phase_problems=tuple(phase_problems),
        problem=problem,
    )


# --- a choice among options that share facilities and van legs (the cold chain) -------------


@dataclass(frozen=True)
class ChoiceProblem:
    """Every item takes exactly one of its options; options open facilities and load legs.

    A small capacitated facility-location model with trips: an option ``k`` of item ``i(k)``
    costs ``c[k]`` a year, needs every facility of ``option_facilities[k]`` open and puts the
    item's load ``q[i]`` (parcels/day) on those facilities and on every leg of
    ``option_legs[k]``. A facility costs ``F[f]`` a year once open and holds ``K[f]``; a leg
    costs ``T[l]`` a year per daily trip and carries ``Q[l]`` per trip::

        min  sum F o + sum c x + sum T n
        (1) one[i]:    sum_(k of i) x[k] = 1
        (2) needs:     x[k] <= o[f]                   for f in option_facilities[k]
        (3) cap[f]:    sum_(k using f) q[i(k)] x[k] <= K[f] o[f]
        (4) trips[l]:  sum_(k using l) q[i(k)] x[k] <= Q[l] n[l],   n[l] integer >= 0
    """

    item_load: np.ndarray  # q, per item
    facility_yearly_yuan: np.ndarray  # F
    facility_capacity: np.ndarray  # K
    leg_yuan_per_trip: np.ndarray  # T, yuan a year per daily trip
    leg_capacity: np.ndarray  # Q, per trip
    option_item: np.ndarray
    option_yuan: np.ndarray  # c, yuan a year
    option_facilities: tuple[tuple[int, ...], ...]
    option_legs: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class ChoiceModel:
    """A MathOpt model of a :class:`ChoiceProblem`, with its variable handles."""

    model: mathopt.Model
    problem: ChoiceProblem
    choose: list[mathopt.Variable]
    open: list[mathopt.Variable]
    trips: list[mathopt.Variable]


def build_choice_model(problem: ChoiceProblem) -> ChoiceModel:
    """
    Build the MathOpt model of a choice problem (the formulation in :class:`ChoiceProblem`).

    Parameters
    ----------
    problem
        The instance; every item needs at least one option.

    Returns
    -------
    ChoiceModel
        The model and its variables (options, facilities, leg trips).
    """
    p = problem
    model = mathopt.Model(name="choice")
    choose = [model.add_binary_variable(name=f"x[{k}]") for k in range(len(p.option_item))]
    opened = [model.add_binary_variable(name=f"o[{f}]") for f in range(len(p.facility_yearly_yuan))]
    trips = [
        model.add_integer_variable(lb=0.0, name=f"n[{leg}]")
        for leg in range(len(p.leg_yuan_per_trip))
    ]
    on_facility: dict[int, list[mathopt.LinearExpression]] = defaultdict(list)
    on_leg: dict[int, list[mathopt.LinearExpression]] = defaultdict(list)
    for k, x in enumerate(choose):
        load = float(p.item_load[p.option_item[k]])
        for f in p.option_facilities[k]:
            model.add_linear_constraint(x <= opened[f], name=f"needs[{k},{f}]")
            on_facility[f].append(load * x)
        for leg in p.option_legs[k]:
            on_leg[leg].append(load * x)
    for i, ks in _group(p.option_item.tolist(), range(len(choose))).items():
        model.add_linear_constraint(mathopt.fast_sum(choose[k] for k in ks) == 1, name=f"one[{i}]")
    for f, loads in sorted(on_facility.items()):
        cap = float(p.facility_capacity[f])
        model.add_linear_constraint(mathopt.fast_sum(loads) <= cap * opened[f], name=f"cap[{f}]")
    for leg, loads in sorted(on_leg.items()):
        cap = float(p.leg_capacity[leg])
        model.add_linear_constraint(
            mathopt.fast_sum(loads) <= cap * trips[leg], name=f"trips[{leg}]"
        )
    model.minimize(
        mathopt.fast_sum(float(F) * o for F, o in zip(p.facility_yearly_yuan, opened, strict=True))
        + mathopt.fast_sum(float(c) * x for c, x in zip(p.option_yuan, choose, strict=True))
        + mathopt.fast_sum(float(T) * n for T, n in zip(p.leg_yuan_per_trip, trips, strict=True))
    )
    return ChoiceModel(model=model, problem=p, choose=choose, open=opened, trips=trips)
