"""``ruralnet batch`` on a real Dask cluster: a scheduler and two workers as separate programs.

The cluster is started with Dask's own command-line programs from the environment
(``dask scheduler``, ``dask worker``), on 127.0.0.1 only, without dashboards. One worker is
killed (SIGKILL, as a machine dies) while it runs a county; the batch must still finish every
county with the plan a single run gives, and leave no half-written folder.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ruralnet import cli
from ruralnet.synth import generate_synthetic, write_dataset

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[1]
BASE = (ROOT / "scenarios" / "dongchangfu.toml").as_posix()
BIN = Path(sys.executable).parent
COUNTIES = [(f"county_{i}", 110 + 15 * i, 10 + i) for i in range(6)]
COMPARED = ("plan.geojson", "villages.csv", "stations.csv", "centres.csv", "links.csv")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    with log.open("wb") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[str, dict[str, subprocess.Popen[bytes]]]]:
    """``dask scheduler`` and two single-thread ``dask worker`` processes on 127.0.0.1."""
    if not (BIN / "dask").is_file():
        pytest.skip(f"{BIN / 'dask'} is missing (pip install 'dask[distributed]')")
    from distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs: dict[str, subprocess.Popen[bytes]] = {
        "scheduler": _start(
            [
                str(BIN / "dask"),
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-dashboard",
                "--no-show",
            ],
            tmp_path / "scheduler.log",
        )
    }
    try:
        deadline = time.monotonic() + 60
        while True:  # wait for the scheduler to listen
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or procs["scheduler"].poll() is not None:
                    pytest.fail((tmp_path / "scheduler.log").read_text(errors="replace"))
                time.sleep(0.2)
        for name in ("w1", "w2"):
            procs[name] = _start(
                [
                    str(BIN / "dask"),
                    "worker",
                    address,
                    "--host",
                    "127.0.0.1",
                    "--name",
                    name,
                    "--nthreads",
                    "1",
                    "--no-nanny",
                    "--no-dashboard",
                    "--death-timeout",
                    "60",
                ],
                tmp_path / f"{name}.log",
            )
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=90)
        yield address, procs
    finally:
        for proc in procs.values():
            _stop(proc)


@pytest.fixture
def province(tmp_path: Path) -> Path:
    folder = tmp_path / "province"
    for name, n, seed in COUNTIES:
        write_dataset(generate_synthetic(n, seed=seed), folder / f"data_{name}")
        (folder / f"{name}.toml").write_text(
            f'[scenario]\nextends = "{BASE}"\nname = "{name}"\ndataset = "data_{name}"\n'
            "[solver]\ntime_limit_s = 120\n",
            encoding="utf-8",
        )
    return folder


def _kill_a_busy_worker(
    address: str,
    procs: dict[str, subprocess.Popen[bytes]],
    batch: subprocess.Popen[bytes],
    out: Path,
) -> str:
    """Wait until a worker runs a job after the first county finished; SIGKILL that worker."""
    from distributed import Client

    with Client(address, timeout=30) as client:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and batch.poll() is None:
            done = len(list(out.glob("*/summary.json")))
            info = client.scheduler_info()["workers"]
            for addr, tasks in client.processing().items():
                name = info.get(addr, {}).get("name")
                if tasks and done >= 1 and name in ("w1", "w2"):
                    procs[name].send_signal(signal.SIGKILL)
                    procs[name].wait(timeout=30)
                    return name
            time.sleep(0.1)
    pytest.fail("no worker was busy after the first county finished")
    return ""


def test_batch_survives_a_killed_worker(
    cluster: tuple[str, dict[str, subprocess.Popen[bytes]]], province: Path, tmp_path: Path
) -> None:
    address, procs = cluster
    out = tmp_path / "out"
    batch = _start(
        [
            str(BIN / "ruralnet"),
            "batch",
            str(province),
            "-o",
            str(out),
            "--scheduler",
            address,
            "--no-map",
            "--quiet",
        ],
        tmp_path / "batch.log",
    )
    try:
        killed = _kill_a_busy_worker(address, procs, batch, out)
        code = batch.wait(timeout=600)
    finally:
        _stop(batch)
    log = (tmp_path / "batch.log").read_text(errors="replace")
    assert code == 0, log
    assert procs[killed].poll() is not None  # the worker really died mid-batch
    summary = (out / "batch_summary.csv").read_text(encoding="utf-8-sig").splitlines()
    assert sorted(line.split(",")[0] for line in summary[1:]) == sorted(c[0] for c in COUNTIES)
    assert all(line.split(",")[1] == "ok" for line in summary[1:])
    # nothing half-written: only complete county folders and the batch files, no staging left
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([*(c[0] for c in COUNTIES), "batch_summary.csv", "targets.md"])
    for name, _, _ in COUNTIES:
        folder = out / name
        files = {p.name for p in folder.iterdir()}
        assert {*COMPARED, "summary.json", "targets.md", "plan.gpkg"} <= files
        assert json.loads((folder / "summary.json").read_text(encoding="utf-8"))["verified"]
        single = tmp_path / "single" / name
        # the same county alone, as 'ruralnet run' plans it (routed and re-priced, as batch does)
        assert (
            cli.main(["run", str(province / f"{name}.toml"), "-o", str(single), "--no-map", "-q"])
            == 0
        )
        for file in COMPARED:
            assert (folder / file).read_bytes() == (single / file).read_bytes(), f"{name}/{file}"
