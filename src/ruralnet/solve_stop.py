"""Stop requests during a solve: Ctrl-C heard at once, obeyed by the solver or the solve left.

Python runs signal handlers only in the main thread and between bytecodes, so a solve runs in
a worker thread while the main thread waits (:func:`run_heeding_stop`). A solver that stops on
request hands over its best plan; one that does not (OR-Tools' HiGHS backend) is left to run on
in the background, and the run stops without a plan (:func:`stopped_without_plan`).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from ruralnet.errors import SolverError

if TYPE_CHECKING:
    from ortools.util.python.solve_interrupter import SolveInterrupter

__all__ = [
    "STOP_WAIT_S",
    "CtrlC",
    "Stopped",
    "ctrl_c_stops",
    "run_heeding_stop",
    "stopped_without_plan",
]

log = logging.getLogger(__name__)
T = TypeVar("T")

#: After a stop request (Ctrl-C), seconds a solve is given to stop and hand over its best plan
#: before it is abandoned. OR-Tools' HiGHS backend does not hear MathOpt's interrupter (9.15,
#: measured: it runs on to its end or its time limit), so HiGHS only gets a moment in case it
#: is finishing; SCIP and CP-SAT stop within a second and read their plan back.
STOP_WAIT_S = {"highs": 3.0, "scip": 30.0, "cpsat": 30.0}
_POLL_S = 0.1  # how often the waiting main thread looks at the worker (it hears Ctrl-C at once)
_ASKED = {
    "highs": "interrupted: %s cannot be stopped inside a solve; waiting %g s in case it is "
    "finishing, then stopping without a plan (Ctrl-C again: at once)",
    "scip": "interrupted: asking %s to stop; waiting up to %g s for its best plan "
    "(Ctrl-C again: stop at once, without a plan)",
}


class Stopped(Exception):  # noqa: N818 - not an error: a stop request was obeyed
    """A stop request ended the solve without a plan to keep."""


_ABANDONED: list[threading.Thread] = []  # solves given up after Ctrl-C, running on


def _end_at_exit_if_abandoned() -> None:
    """
    At exit, end the process at once while an abandoned solve still runs.

    The normal exit tears down the solver's C++ globals under the running solve, which aborts
    the process (HiGHS: "terminate called without an active exception", exit -6, measured),
    so streams and logs are flushed and the process ends here with 130 (interrupted).
    """
    if not any(worker.is_alive() for worker in _ABANDONED):
        return
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(130)


def _abandon(worker: threading.Thread) -> None:
    if not _ABANDONED:
        atexit.register(_end_at_exit_if_abandoned)
    _ABANDONED.append(worker)


class CtrlC:
    """The Ctrl-C presses heard while solving (counted by the SIGINT handler)."""

    def __init__(self) -> None:
        self.presses = 0


@contextlib.contextmanager
def ctrl_c_stops(interrupter: SolveInterrupter) -> Iterator[CtrlC | None]:
    """While solving, make Ctrl-C (SIGINT) stop the solver instead of the program.

    Yields the presses heard (``None`` outside the main thread, where no handler can be set).
    """
    if threading.current_thread() is not threading.main_thread():
        yield None
        return
    ctrl_c = CtrlC()

    def stop(_signum: int, _frame: object) -> None:
        ctrl_c.presses += 1
        interrupter.interrupt()

    previous = signal.signal(signal.SIGINT, stop)
    try:
        yield ctrl_c
    finally:
        signal.signal(signal.SIGINT, previous)


def stopped_without_plan(detail: str, ctrl_c: CtrlC | None) -> NoReturn:
    """End a solve that a stop request left without a plan: after Ctrl-C, the program too."""
    if ctrl_c is not None and ctrl_c.presses:
        log.warning("%s", detail)
        raise KeyboardInterrupt from None
    msg = f"{detail}; nothing was written"
    raise SolverError(msg) from None


def run_heeding_stop(
    call: Callable[[], T],
    interrupter: SolveInterrupter,
    ctrl_c: CtrlC | None,
    backend: str,
) -> T:
    """
    Run ``call`` in a worker thread while this (main) thread waits, hearing Ctrl-C at once.

    The solver releases the GIL, but Python runs signal handlers only in the main thread
    and only between bytecodes: a main thread inside the solver would hear Ctrl-C at the
    solver's next log line at best. A solver that obeys the stop request hands over its
    result; one that does not (HiGHS) is abandoned after ``STOP_WAIT_S``, or at a second
    Ctrl-C: it runs on in its daemon thread to its end or time limit and is never read
    (a process that exits meanwhile ends with 130, see :func:`_end_at_exit_if_abandoned`).
    """
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["result"] = call()
        except BaseException as exc:  # handed to the waiting thread, re-raised there
            box["error"] = exc

    worker = threading.Thread(target=work, name="ruralnet-solve", daemon=True)
    worker.start()
    wait, asked = STOP_WAIT_S.get(backend, 3.0), None
    while worker.is_alive():
        worker.join(_POLL_S)
        if not worker.is_alive() or not interrupter.interrupted:
            continue
        if asked is None:
            asked = time.monotonic()
            log.warning(_ASKED.get(backend, _ASKED["scip"]), backend, wait)
        if time.monotonic() - asked >= wait or (ctrl_c and ctrl_c.presses > 1):
            _abandon(worker)
            msg = f"interrupted: {backend} did not stop; abandoned it without a plan"
            raise Stopped(msg)
    if "error" in box:
        raise box["error"]
    return box["result"]
