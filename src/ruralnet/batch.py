"""Plan many counties at once on Dask: one independent job per scenario.

Each job runs :func:`ruralnet.pipeline.solve` and :func:`ruralnet.export.write_plan` into
``out_dir / <scenario stem>`` on a Dask worker: a :class:`distributed.LocalCluster` of worker
processes (one thread each) by default, or the workers of a running scheduler. A job that fails
is reported with its error and does not stop the others. The combined table is written to
``out_dir / batch_summary.csv``.

Counties are planned independently: no link, centre or hub is shared across county borders.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ruralnet._files import write_text_atomic
from ruralnet.errors import OutputError, ScenarioError, one_line

__all__ = ["SUMMARY_COLUMNS", "SUMMARY_FILE", "BatchResult", "JobResult", "run_batch"]

log = logging.getLogger(__name__)

#: File name of the combined table in the output folder.
SUMMARY_FILE = "batch_summary.csv"
#: File names of the per-county targets tables and the map of every county.
TARGETS_FILE, MAP_FILE = "targets.md", "map.html"
#: Columns of :attr:`BatchResult.summary` and ``batch_summary.csv``.
SUMMARY_COLUMNS = (
    "scenario",
    "status",
    "total_cost_yuan_per_year",
    "stations_opened",
    "centres_opened",
    "coverage_share",
    "solver_status",
    "gap",
    "solve_seconds",
    "job_seconds",
    "output",
    "error_type",
    "error",
)


@dataclass(frozen=True)
class JobResult:
    """The outcome of one scenario's job.

    Attributes
    ----------
    scenario
        The scenario file.
    ok
        True when the plan was solved, verified and written.
    out_dir
        Where its outputs were written (``out_dir / <stem>``).
    summary
        The plan's ``summary.json`` content, or None when the job failed.
    seconds
        Wall-clock seconds of the job on its worker (0 when it never ran).
    error_type, error
        The exception's class name and one-line message; empty when ``ok``.
    warnings
        Warning messages raised during the job (e.g. points snapped far from the roads).
    """

    scenario: Path
    ok: bool
    out_dir: Path
    summary: dict[str, Any] | None = None
    seconds: float = 0.0
    error_type: str = ""
    error: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class BatchResult:
    """The outcome of a batch: every job, in the order of the scenarios, and the summary table."""

    jobs: tuple[JobResult, ...]
    summary: pd.DataFrame
    summary_path: Path

    @property
    def ok(self) -> bool:
        """True when every job succeeded."""
        return all(job.ok for job in self.jobs)

    @property
    def failed(self) -> tuple[JobResult, ...]:
        """The jobs that failed."""
        return tuple(job for job in self.jobs if not job.ok)


def _routed_plan(path: Path) -> Any:
    """Solve a scenario as ``ruralnet run`` does: vans routed, re-priced for ``[routes].rounds``."""
    from dataclasses import replace

    from ruralnet.pipeline import solve
    from ruralnet.routes.pricing import solve_with_routes
    from ruralnet.scenario import load_scenario

    scenario = load_scenario(path)
    if scenario.routes.rounds:
        plan, routes, _rounds = solve_with_routes(scenario)
        plan = replace(plan, routes=routes)
    else:
        plan = solve(scenario)
        plan = plan if plan.solution.status.value == "interrupted" else plan.with_routes()
    if scenario.cold_chain.enabled and plan.solution.status.value != "interrupted":
        plan = plan.with_cold_chain()  # [cold_chain], as 'ruralnet run' adds it
    if scenario.lockers.enabled and plan.solution.status.value != "interrupted":
        plan = plan.with_lockers()  # [lockers], as 'ruralnet run' adds them
    return plan


def _run_job(scenario: str, out_dir: str, with_map: bool) -> dict[str, Any]:
    """Solve one scenario and write its plan; runs on a worker and never raises."""
    from ruralnet.export import write_plan

    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            plan = _routed_plan(Path(scenario))
            write_plan(plan, Path(out_dir), with_map=with_map)
            summary = plan.summary()
        except Exception as exc:  # reported per job; the batch goes on
            return {
                "ok": False,
                "error_type": type(exc).__name__,
                "error": one_line(exc),
                "seconds": time.perf_counter() - start,
                "warnings": _messages(caught),
            }
    return {
        "ok": True,
        "summary": summary,
        "seconds": time.perf_counter() - start,
        "warnings": _messages(caught),
    }


def _messages(caught: list[warnings.WarningMessage]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(w.message) for w in caught))


def expand_scenarios(scenarios: list[Path] | list[str]) -> list[Path]:
    """
    Scenario files of a batch: files as given, folders replaced by their ``*.toml`` files.

    Parameters
    ----------
    scenarios
        Scenario TOML files and folders of them ("every county of a province").

    Returns
    -------
    list of pathlib.Path
        Absolute paths; a folder's files sorted by name; duplicates dropped.

    Raises
    ------
    ScenarioError
        When a folder holds no ``*.toml`` file, or nothing is given.
    """
    files: list[Path] = []
    for item in map(Path, scenarios):
        if item.is_dir():
            found = sorted(item.glob("*.toml"))
            if not found:
                msg = f"{item}: the folder holds no scenario (*.toml) file"
                raise ScenarioError(msg)
            files.extend(found)
        else:
            files.append(item)  # a missing file fails as its own job
    if not files:
        msg = "no scenario given; name scenario TOML files or folders of them"
        raise ScenarioError(msg)
    return list(dict.fromkeys(p.resolve() for p in files))


def _job_folders(files: list[Path], out_dir: Path) -> list[Path]:
    folders = [out_dir / p.stem for p in files]
    seen: dict[Path, Path] = {}
    for scenario, folder in zip(files, folders, strict=True):
        if folder in seen:
            msg = (
                f"{seen[folder]} and {scenario} would both write to {folder}; "
                "give the scenario files different names"
            )
            raise OutputError(msg)
        seen[folder] = scenario
    if out_dir.exists() and not out_dir.is_dir():
        msg = f"{out_dir}: exists and is not a folder; choose another output folder"
        raise OutputError(msg)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"{out_dir}: cannot create the output folder ({exc.strerror}); choose another"
        raise OutputError(msg) from None
    return folders


def _row(job: JobResult) -> dict[str, Any]:
    s = job.summary or {}
    solver = s.get("solver", {})
    return {
        "scenario": job.scenario.stem,
        "status": "ok" if job.ok else "failed",
        "total_cost_yuan_per_year": s.get("total_cost_yuan_per_year"),
        "stations_opened": s.get("stations_opened"),
        "centres_opened": s.get("centres_opened"),
        "coverage_share": s.get("coverage_share"),
        "solver_status": solver.get("status"),
        "gap": solver.get("gap"),
        "solve_seconds": solver.get("seconds"),
        "job_seconds": round(job.seconds, 2),
        "output": job.out_dir.name if job.ok else "",
        "error_type": job.error_type,
        "error": job.error,
    }


def summary_table(jobs: tuple[JobResult, ...] | list[JobResult]) -> pd.DataFrame:
    """
    One row per job with its figures (see :data:`SUMMARY_COLUMNS`).

    Parameters
    ----------
    jobs
        Job results.

    Returns
    -------
    pandas.DataFrame
        ``status`` is ``ok`` or ``failed``; figures of failed jobs are empty.
    """
    frame = pd.DataFrame([_row(job) for job in jobs], columns=list(SUMMARY_COLUMNS))
    for column in ("stations_opened", "centres_opened"):
        frame[column] = frame[column].astype("Int64")
    return frame


@contextlib.contextmanager
def _quiet_dask() -> Iterator[None]:
    """Keep Dask's start-up and shut-down chatter (INFO) off stderr during the batch."""
    import distributed  # noqa: F401 - sets up its loggers on import; adjust them afterwards

    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(max(logging.WARNING, logger.getEffectiveLevel()))
    try:
        yield
    finally:
        logger.setLevel(level)


def _client(scheduler: str | None, n_workers: int) -> tuple[Any, Any]:
    """Connect to the given scheduler or start a local cluster; return the client and cluster."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        msg = "ruralnet batch runs need Dask: pip install 'dask[distributed]'"
        raise ImportError(msg) from exc
    if scheduler is not None:
        return Client(scheduler), None
    cluster = LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # any free port: batches may run side by side
        silence_logs=logging.WARNING,
    )
    return Client(cluster), cluster


def _gather(futures: dict[Any, int], n: int, *, progress: bool) -> dict[int, Any]:
    """Wait for every future; map job index to its result dict or the exception it raised."""
    from distributed import as_completed

    done: dict[int, Any] = {}
    bar = None
    if progress:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        bar = Progress(
            "[bold]batch",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            "{task.description}",
            console=Console(stderr=True),
        )
        bar.start()
        task = bar.add_task("", total=n)
    try:
        for future in as_completed(list(futures)):
            index = futures[future]
            try:
                done[index] = future.result()
            except Exception as exc:  # the worker died (memory, crash) or the task was lost
                done[index] = exc
            if bar is not None:
                ok = isinstance(done[index], dict) and done[index]["ok"]
                bar.update(task, advance=1, description=f"{'done' if ok else 'FAILED'}")
    finally:
        if bar is not None:
            bar.stop()
    return done


def _submit_all(
    files: list[Path],
    folders: list[Path],
    scheduler: str | None,
    workers: int,
    *,
    with_map: bool,
    progress: bool,
) -> dict[int, Any]:
    client, cluster = _client(scheduler, workers)
    try:
        futures = {
            client.submit(_run_job, str(path), str(folder), with_map, pure=False, retries=0): index
            for index, (path, folder) in enumerate(zip(files, folders, strict=True))
        }
        done = _gather(futures, len(files), progress=progress)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return done


def _job(path: Path, folder: Path, result: dict[str, Any] | BaseException) -> JobResult:
    if isinstance(result, BaseException):  # the job never reported: its worker died
        text = " ".join(str(result).split())
        error = (
            f"the worker running this job stopped ({type(result).__name__}"
            f"{': ' + text if text else ''}); it may have run out of memory: run this scenario "
            "alone with 'ruralnet run' to see why"
        )
        job = JobResult(path, False, folder, error_type=type(result).__name__, error=error)
    else:
        job = JobResult(
            scenario=path,
            ok=result["ok"],
            out_dir=folder,
            summary=result.get("summary"),
            seconds=result["seconds"],
            error_type=result.get("error_type", ""),
            error=result.get("error", ""),
            warnings=tuple(result["warnings"]),
        )
    if not job.ok:
        log.info("batch: %s failed: %s: %s", path.name, job.error_type, job.error)
    return job


def run_batch(
    scenarios: list[Path] | list[str],
    out_dir: Path | str,
    *,
    scheduler: str | None = None,
    n_workers: int | None = None,
    progress: bool = True,
    with_map: bool = True,
) -> BatchResult:
    """
    Plan every scenario as an independent Dask job and write one output folder per scenario.

    Parameters
    ----------
    scenarios
        Scenario TOML files, or folders whose every ``*.toml`` file is a scenario.
    out_dir
        Output folder: ``out_dir / <scenario stem>`` per scenario (as ``ruralnet run -o``
        writes it, swapped in whole) and ``batch_summary.csv`` (UTF-8 with BOM).
    scheduler
        Address of a running Dask scheduler (e.g. ``tcp://10.0.0.5:8786``); its workers need
        ruralnet installed and the scenario, dataset and output paths at the same place.
        Default: a local cluster of worker processes with one thread each.
    n_workers
        Worker processes of the local cluster; default one per core (at most one per job).
    progress
        Show a progress bar on stderr.
    with_map
        Also write each plan's ``map.html``.

    Returns
    -------
    BatchResult
        Every job's outcome and the summary table.

    Raises
    ------
    ScenarioError
        When no scenario is given or a folder holds none.
    OutputError
        When the output folder cannot be made or two scenarios share a file name.
    """
    files = expand_scenarios(scenarios)
    out = Path(out_dir).resolve()
    folders = _job_folders(files, out)
    workers = n_workers or max(1, min(os.cpu_count() or 1, len(files)))
    log.info("batch: %d scenario(s) on %s", len(files), scheduler or f"{workers} local worker(s)")
    with _quiet_dask():
        done = _submit_all(files, folders, scheduler, workers, with_map=with_map, progress=progress)
    jobs = [
        _job(path, folder, done[i])
        for i, (path, folder) in enumerate(zip(files, folders, strict=True))
    ]
    table = summary_table(jobs)
    summary_path = write_text_atomic(
        out / SUMMARY_FILE, table.to_csv(index=False, lineterminator="\n"), encoding="utf-8-sig"
    )
    write_batch_reports(jobs, out, with_map=with_map)
    return BatchResult(jobs=tuple(jobs), summary=table, summary_path=summary_path)


def batch_targets_markdown(jobs: tuple[JobResult, ...] | list[JobResult]) -> str:
    """
    Report the policy targets of every county of a batch: an overview, a table per county.

    The overview counts the Qingdao plan's targets across the counties: a co-delivery centre
    in every town (centres opened / townships) and county distribution centre coverage
    (counties whose plan has a county hub feeding its town centres).

    Parameters
    ----------
    jobs
        The batch's job results.

    Returns
    -------
    str
        Markdown; failed jobs are listed with their error.
    """
    done = [job for job in jobs if job.ok and job.summary]
    lines = ["# Policy targets by county", ""]
    with_hub = sum(1 for job in done if (job.summary or {}).get("hubs_open", 0) >= 1)
    lines += [
        f"County distribution centre coverage: {with_hub} of {len(jobs)} counties have a county "
        "hub feeding every town centre (Qingdao plan: 100 % by end 2024)"
        + (f"; {len(jobs) - len(done)} failed" if len(done) < len(jobs) else "")
        + ".",
        "",
        "| county | scenario | centres / towns | centre in every town | county hub "
        "| villages covered | yuan/year |",
        "|---|---|---|---|---|---|---|",
    ]
    for job in done:
        s = job.summary or {}
        every = s.get("centres_opened", 0) >= s.get("townships", 0)
        lines.append(
            f"| {s.get('dataset', '')} | {job.scenario.stem} "
            f"| {s.get('centres_opened')} / {s.get('townships')} | {'yes' if every else '**no**'} "
            f"| {'yes' if s.get('hubs_open', 0) >= 1 else '**no**'} "
            f"| {s.get('villages_covered')} / {s.get('villages')} "
            f"| {s.get('total_cost_yuan_per_year', 0):,.0f} |"
        )
    for job in jobs:
        if not job.ok:
            lines.append(f"| — | {job.scenario.stem} | failed: {job.error_type}: {job.error} |||||")
    for job in done:
        s = job.summary or {}
        lines += ["", f"## {s.get('dataset', '')} — {s.get('scenario', job.scenario.stem)}", ""]
        if s.get("generated_data"):
            lines += [f"> Generated data: {'; '.join(s['generated_data'])}.", ""]
        lines += ["| target | source | goal | plan | met |", "|---|---|---|---|---|"]
        for row in s.get("targets", []):
            met = {True: "yes", False: "**no**"}.get(row.get("met"), "—")
            lines.append(
                f"| {row['target']} | {row['source']} | {row['goal']} | {row['value']} | {met} |"
            )
        lines += [
            "",
            f"Full report: [{job.out_dir.name}/targets.md]({job.out_dir.name}/targets.md)",
        ]
    return "\n".join(lines) + "\n"


def write_batch_reports(
    jobs: tuple[JobResult, ...] | list[JobResult], out: Path, *, with_map: bool
) -> list[Path]:
    """
    Write ``targets.md`` (every county's targets) and ``map.html`` (every county on one map).

    Parameters
    ----------
    jobs
        The batch's job results.
    out
        The batch output folder.
    with_map
        Also write the map (when at least one job succeeded).

    Returns
    -------
    list of pathlib.Path
        The files written, each atomically.
    """
    from ruralnet._files import atomic_path

    written = [write_text_atomic(out / TARGETS_FILE, batch_targets_markdown(jobs))]
    folders = [job.out_dir for job in jobs if job.ok]
    if with_map and folders:
        from ruralnet.batch_map import counties_map

        title = f"{len(folders)} counties" if len(folders) > 1 else folders[0].name
        with atomic_path(out / MAP_FILE) as tmp:
            counties_map(folders, title=title).save(str(tmp))
        written.append(out / MAP_FILE)
    return written
