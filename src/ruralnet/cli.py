"""The ``ruralnet`` command line: the only module that prints or exits.

Exit codes: 0 success; 1 no trustworthy plan (infeasible, no solution, verification failed);
2 bad input (scenario, data, network, output folder). Errors are one line on stderr;
``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Column, Table

from ruralnet._files import folder_lock
from ruralnet.errors import (
    InfeasibleError,
    RuralnetError,
    SolverError,
    VerificationError,
    one_line,
)
from ruralnet.summary_table import batch_table, fleet_table, rounds_rich_table, summary_table

app = typer.Typer(
    name="ruralnet",
    help="Plan rural parcel-delivery networks: village stations, township centres, hub, vans and buses.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
out = Console()

_NO_PLAN = (InfeasibleError, SolverError, VerificationError)


# a HiGHS branch-and-bound log row: ... Expl.% | BestBound BestSol Gap | ...
_HIGHS_ROW = re.compile(r"^\s*\S?\s+\d+\s+\d+\s+\d+\s+[\d.]+%\s+(\S+)\s+(\S+)\s+(\S+)")


class _State:
    debug = False


def _exit_code(exc: Exception) -> int:
    """1: no trustworthy plan (or an internal error); 2: bad input, output or file system."""
    if isinstance(exc, RuralnetError | OSError):
        return 1 if isinstance(exc, _NO_PLAN) else 2
    return 1


@contextlib.contextmanager
def _errors_as_lines() -> Iterator[None]:
    """Turn every error into one line on stderr and an exit code (tracebacks with --debug)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        except (typer.Exit, SystemExit):
            raise
        except Exception as exc:  # ruralnet's own, the system's (disk full ...), or a bug
            if _State.debug:
                raise
            _print_warnings(caught)
            err.print(f"error: {one_line(exc)}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(_exit_code(exc)) from None
        except KeyboardInterrupt:
            err.print("error: interrupted; no output was written", markup=False)
            raise typer.Exit(130) from None
        _print_warnings(caught)


def _print_warnings(caught: list[warnings.WarningMessage]) -> None:
    seen = set()
    for w in caught:
        text = str(w.message)
        if text not in seen and issubclass(w.category, UserWarning):
            seen.add(text)
            err.print(f"warning: {text}", markup=False, highlight=False, soft_wrap=True)


@app.callback()
def _main(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks instead of one-line errors.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each step.")] = False,
) -> None:
    """Plan rural parcel-delivery networks for Chinese counties."""
    _State.debug = debug
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(name)s: %(message)s"
    )


def _progress(quiet: bool) -> tuple[Progress | None, Callable[[str], None], Callable[[str], None]]:
    from ruralnet.pipeline import STAGES

    if quiet or not err.is_terminal:  # a live display only where a person watches
        return None, lambda _s: None, lambda _s: None
    progress = Progress(
        SpinnerColumn(finished_text="[green]✓"),
        TextColumn("[bold]{task.fields[stage]}", table_column=Column(no_wrap=True, min_width=13)),
        TimeElapsedColumn(table_column=Column(min_width=7, no_wrap=True)),
        TextColumn("{task.description}", table_column=Column(no_wrap=True, overflow="ellipsis")),
        console=err,
        transient=False,
    )
    tasks = {
        name: progress.add_task("", total=1, stage=name, visible=False)
        for name in (*STAGES, "routes", "re-price", "brands", "cold chain", "lockers", "export")
    }
    state: dict[str, Any] = {"current": None}

    def on_stage(name: str) -> None:
        if state["current"] is not None:
            progress.update(tasks[state["current"]], completed=1)
        progress.update(tasks[name], visible=True)
        state["current"] = name

    def on_log(line: str) -> None:
        match = _HIGHS_ROW.match(line)
        if match and state["current"] == "solve":
            bound, best, gap = match.groups()
            progress.update(
                tasks["solve"], description=f"incumbent {best}  bound {bound}  gap {gap}"
            )

    return progress, on_stage, on_log


def _load(scenario: Path, overrides: dict[str, dict[str, Any]]) -> Any:
    from ruralnet.scenario import load_scenario

    loaded = load_scenario(scenario)
    overrides = {k: v for k, v in overrides.items() if v}
    return loaded.with_overrides(overrides) if overrides else loaded


def _lock_from_the_start(out_dir: Path) -> contextlib.AbstractContextManager[None]:
    """Hold -o DIR's lock for the whole run, so a second run on it is told at once."""
    if out_dir.parent.is_dir():
        return folder_lock(out_dir)
    return contextlib.nullcontext()  # write_plan makes the parent folder and locks then


def _with_brands(plan: Any, brand: str | None, on_stage: Callable[[str], None]) -> Any:
    """Add the each-brand-on-its-own baseline ([brands].enabled), or swap in one brand's plan."""
    if plan.solution.status.value == "interrupted" or not (plan.scenario.brands.enabled or brand):
        return plan
    from ruralnet.brands import one_brand_plan

    on_stage("brands")
    return one_brand_plan(plan, brand) if brand else plan.with_separate_brands()


def _with_cold_chain(plan: Any, on_stage: Callable[[str], None]) -> Any:
    """Add the verified cold chain ([cold_chain].enabled) beside the plan."""
    if plan.solution.status.value == "interrupted" or not plan.scenario.cold_chain.enabled:
        return plan
    on_stage("cold chain")
    return plan.with_cold_chain()


def _with_lockers(plan: Any, on_stage: Callable[[str], None]) -> Any:
    """Add the verified smart-locker groups ([lockers].enabled) to the plan."""
    if plan.solution.status.value == "interrupted" or not plan.scenario.lockers.enabled:
        return plan
    on_stage("lockers")
    return plan.with_lockers()


@app.command()
def run(  # noqa: PLR0913, PLR0917 - typer maps each command-line option to a parameter
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML file.")],
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Output folder (created or replaced).")
    ],
    solver: Annotated[
        str | None, typer.Option(help="Override [solver].backend: highs, scip or cpsat.")
    ] = None,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Override [solver].time_limit_s.")
    ] = None,
    no_map: Annotated[bool, typer.Option("--no-map", help="Skip map.html.")] = False,
    routes: Annotated[
        bool, typer.Option("--routes/--no-routes", help="Plan the daily van loops of every centre.")
    ] = True,
    route_rounds: Annotated[
        int | None,
        typer.Option(
            "--route-rounds",
            min=0,
            help="Re-price the van links from the routes and re-solve, up to N rounds "
            "(default [routes].rounds; 0: route the first plan only).",
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress display or table.")
    ] = False,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang", help="Language of the table, targets.md, map and report.html: en or zh."
        ),
    ] = None,
    brand: Annotated[
        str | None,
        typer.Option(
            "--brand",
            help="Write this brand's own network (a [brands].shares id) instead of the shared "
            "plan, to compare the two with 'ruralnet compare'.",
        ),
    ] = None,
) -> None:
    """Solve a scenario, verify the plan, route the vans, and write every output file."""
    from ruralnet.export import write_plan
    from ruralnet.pipeline import solve
    from ruralnet.routes.pricing import rounds_table, solve_with_routes

    with _errors_as_lines(), _lock_from_the_start(out_dir):
        overrides = {
            "solver": {
                k: v
                for k, v in {"backend": solver, "time_limit_s": time_limit}.items()
                if v is not None
            }
        }
        if lang is not None:
            overrides["report"] = {"language": lang}
        loaded = _load(scenario, overrides)
        progress, on_stage, on_log = _progress(quiet)
        with progress or contextlib.nullcontext():
            rounds_wanted = loaded.routes.rounds if route_rounds is None else route_rounds
            rounds = []
            if routes and rounds_wanted:
                plan, route_plan, rounds = solve_with_routes(
                    loaded, rounds=rounds_wanted, on_stage=on_stage, on_solver_log=on_log
                )
                plan = replace(plan, routes=route_plan)
            else:
                plan = solve(loaded, on_stage=on_stage, on_solver_log=on_log)
                if routes and plan.solution.status.value != "interrupted":
                    on_stage("routes")
                    plan = plan.with_routes()
            plan = _with_brands(plan, brand, on_stage)
            plan = _with_cold_chain(plan, on_stage)
            plan = _with_lockers(plan, on_stage)
            on_stage("export")
            written = write_plan(plan, out_dir, with_map=not no_map)
            if progress is not None:
                on_stage("export")
                for task in progress.tasks:
                    progress.update(task.id, completed=1)
        if plan.solution.status.value == "interrupted":
            err.print(
                f"warning: interrupted: wrote the best plan found so far (verified; gap {plan.solution.gap:.2%})",
                markup=False,
            )
            raise typer.Exit(130)
        if not quiet:
            summary = plan.summary()
            lang = plan.scenario.report.language
            out.print(summary_table(summary, lang=lang))
            fleet = fleet_table(summary, lang=lang)
            if fleet is not None:
                out.print(fleet)
            if rounds:
                out.print(rounds_rich_table(rounds_table(rounds), lang=lang))
            out.print(
                f"wrote {out_dir}/: {', '.join(p.name for p in written)}",
                markup=False,
                highlight=False,
            )


@app.command()
def verify(
    scenario: Annotated[Path, typer.Argument(help="The scenario the plan was made from.")],
    plan_dir: Annotated[Path, typer.Argument(help="A folder written by 'ruralnet run'.")],
) -> None:
    """Re-check a written plan against its scenario's data, independently of the solver."""
    from ruralnet.assemble import build_problem
    from ruralnet.audit import check_figures, rebuilt_plan
    from ruralnet.data import load_inputs
    from ruralnet.readback import read_solution
    from ruralnet.verify import verify as verify_plan

    with _errors_as_lines():
        loaded = _load(scenario, {})
        inputs = load_inputs(loaded.dataset_path)
        assembly = build_problem(loaded, inputs)
        problem = assembly.problem
        if len(problem.phases) > 1:  # the tables describe the last phase's network
            problem = problem.for_phase(len(problem.phases) - 1)
        solution = read_solution(problem, plan_dir)
        report = verify_plan(problem, solution)
        routes_checked = _verify_routes(loaded, assembly, plan_dir)
        if not report.ok:
            for violation in report.violations[:20]:
                err.print(f"violation: {violation}", markup=False, highlight=False)
            msg = f"{plan_dir}: the plan breaks {len(report.violations)} rule(s)"
            raise VerificationError(msg)
        plan = rebuilt_plan(loaded, inputs, assembly, problem, solution, report)
        cold_checked = _verify_cold_chain(plan, plan_dir)
        lockers_checked = _verify_lockers(loaded, problem, solution, plan_dir)
        figures = check_figures(plan, plan_dir)
        for line in figures.mismatches[:20]:
            err.print(f"violation: {line}", markup=False, highlight=False, soft_wrap=True)
        if not figures.ok:
            msg = f"{plan_dir}: {len(figures.mismatches)} figure(s) differ from what the data give"
            raise VerificationError(msg)
        out.print(
            f"ok: {plan_dir} meets every rule; recomputed cost {report.total_yuan:,.2f} yuan/year; "
            f"{figures.checked} figures match",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        if routes_checked:
            out.print(
                f"ok: {plan_dir}: the van routes serve every van-fed stop within the rules",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        if lockers_checked:
            out.print(
                f"ok: {plan_dir}: the smart lockers meet their capacity and share, costs recomputed",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        if cold_checked:
            out.print(
                f"ok: {plan_dir}: every cold parcel's path is cold-capable, costs recomputed",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )


def _checked(result: tuple[bool, list[str]], plan_dir: Path, what: str) -> bool:
    """Print each violation of a re-check and raise VerificationError if there is any."""
    checked, problems = result
    if problems:
        for line in problems[:20]:
            err.print(f"violation: {line}", markup=False, highlight=False, soft_wrap=True)
        msg = f"{plan_dir}: {what} {len(problems)} rule(s)"
        raise VerificationError(msg)
    return checked


def _verify_lockers(scenario: Any, problem: Any, solution: Any, plan_dir: Path) -> bool:
    """Re-check the written smart lockers; raise VerificationError naming each problem."""
    from ruralnet.lockers import check_written_lockers

    result = check_written_lockers(scenario, problem, solution, plan_dir)
    return _checked(result, plan_dir, "the smart lockers break")


def _verify_routes(scenario: Any, assembly: Any, plan_dir: Path) -> bool:
    """Re-check the written van routes; raise VerificationError naming each problem."""
    from ruralnet.routes.readback import check_written_routes

    return _checked(
        check_written_routes(scenario, assembly, plan_dir), plan_dir, "the van routes break"
    )


def _verify_cold_chain(plan: Any, plan_dir: Path) -> bool:
    """Re-check the written cold chain ([cold_chain]); raise VerificationError naming each problem."""
    from ruralnet.cold_chain import check_written_cold_chain

    return _checked(check_written_cold_chain(plan, plan_dir), plan_dir, "the cold chain breaks")


@app.command()
def info(
    source: Annotated[Path, typer.Argument(help="A dataset folder or a scenario TOML file.")],
) -> None:
    """Show a dataset's statistics: layers, road km by class, townships, parcels per day."""
    from ruralnet.data import dataset_stats, load_inputs

    with _errors_as_lines():
        folder = _load(source, {}).dataset_path if source.suffix == ".toml" else source
        stats = dataset_stats(load_inputs(folder))
        table = Table(title=stats["name"], show_header=False)
        for key, value in stats.items():
            if key != "name":
                table.add_row(key, str(value))
        out.print(table)


@app.command()
def batch(
    scenarios: Annotated[
        list[Path], typer.Argument(help="Scenario TOML files, or folders of them.")
    ],
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for one output folder per scenario.")
    ],
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Address of a running Dask scheduler (tcp://...)."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Local Dask workers (default 2, one thread each)."),
    ] = None,
    no_map: Annotated[bool, typer.Option("--no-map", help="Skip map.html in every job.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or table.")] = False,
) -> None:
    """Run many scenarios (every county of a province) as independent jobs on Dask."""
    from ruralnet.batch import run_batch

    with _errors_as_lines():
        result = run_batch(
            scenarios,
            out_dir,
            scheduler=scheduler,
            n_workers=workers,
            progress=not quiet,
            with_map=not no_map,
        )
        if not quiet:
            out.print(batch_table(result.summary))
            out.print(f"wrote {result.summary_path}", markup=False, highlight=False)
        for job in result.failed:
            text = (
                job.error if job.scenario.name in job.error else f"{job.scenario.name}: {job.error}"
            )
            err.print(
                f"error: {text}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        if not result.ok:
            raise typer.Exit(1)


@app.command()
def compare(
    plan_a: Annotated[Path, typer.Argument(help="A folder written by 'ruralnet run' (plan A).")],
    plan_b: Annotated[
        Path, typer.Argument(help="Another folder written by 'ruralnet run' (plan B).")
    ],
    map_path: Annotated[
        Path | None, typer.Option("--map", help="Also draw both plans on one map (HTML file).")
    ] = None,
) -> None:
    """Compare two written plans: sites only in A, only in B, in both; every figure's change (B - A)."""
    from ruralnet.compare import compare_folders

    with _errors_as_lines():
        comparison = compare_folders(plan_a, plan_b)
        out.print(comparison.to_markdown(), markup=False, highlight=False, soft_wrap=True)
        if map_path is not None:
            comparison.save_map(map_path)
            out.print(f"wrote {map_path}", markup=False, highlight=False)


@app.command()
def prepare(  # noqa: PLR0913, PLR0917 - typer maps each command-line option to a parameter
    osm: Annotated[
        Path, typer.Option("--osm", help="OpenStreetMap extract (.osm.pbf) covering the county.")
    ],
    boundary: Annotated[
        Path, typer.Option("--boundary", help="County boundary polygon (GeoJSON, WGS84).")
    ],
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Dataset folder to write (created or replaced).")
    ],
    villages: Annotated[
        Path | None, typer.Option("--villages", help="Official village list (统计用区划代码 CSV).")
    ] = None,
    points: Annotated[
        Path | None,
        typer.Option(
            "--points", help="Village or site coordinates (CSV: code12 or name, lon, lat)."
        ),
    ] = None,
    points_crs: Annotated[
        str,
        typer.Option(
            "--points-crs",
            help="Coordinate system of --points: wgs84, gcj02 (Amap/Tencent) or bd09 (Baidu).",
        ),
    ] = "wgs84",
    bus: Annotated[
        Path | None,
        typer.Option("--bus", help="Bus lines CSV (line_id, seq, stop name, lon, lat)."),
    ] = None,
    no_tracks: Annotated[
        bool, typer.Option("--no-tracks", help="Leave out highway=track roads.")
    ] = False,
    buffer_m: Annotated[
        float, typer.Option("--buffer-m", help="Keep roads this far outside the boundary, m.")
    ] = 2000.0,
    name: Annotated[
        str | None, typer.Option("--name", help="Dataset name (default: the boundary's name).")
    ] = None,
) -> None:
    """Build a county dataset from an OSM extract, the boundary and the official village list."""
    from ruralnet.prepare.dataset import PrepareOptions, prepare_dataset

    options = PrepareOptions(
        points_crs=points_crs, include_tracks=not no_tracks, buffer_m=buffer_m, name=name
    )
    with _errors_as_lines():
        report = prepare_dataset(
            osm,
            boundary,
            out_dir,
            villages_csv=villages,
            points_csv=points,
            bus_csv=bus,
            options=options,
        )
        for line in report.summary_lines():
            out.print(line, markup=False, highlight=False)


def main(argv: list[str] | None = None) -> int:
    """
    Run the command line with ``argv`` and return the exit code (for tests and embedding).

    Parameters
    ----------
    argv
        Arguments without the program name; ``sys.argv[1:]`` when omitted.

    Returns
    -------
    int
        The exit code.
    """
    try:
        code = app(args=argv if argv is not None else sys.argv[1:], standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except SystemExit as exc:  # click's own usage errors
        return int(exc.code or 0)
    except Exception as exc:  # click usage errors surface as ClickException
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            return exc.exit_code
        raise
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
