"""The analyst notebooks run top to bottom; their committed copies stay small.

Refresh the committed copies (execute, then drop outputs over the size limits) with::

    .venv/bin/python tests/test_notebooks.py            # both notebooks
    .venv/bin/python tests/test_notebooks.py 02_sensitivity.ipynb
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"
NAMES = ["01_walkthrough.ipynb", "02_sensitivity.ipynb"]
CELL_TIMEOUT_S = 300  # one cell; a solve is capped well below this by the notebooks' time limits
MAX_OUTPUT_BYTES = 20_000  # tables and text stay; map HTML and other blobs go
MAX_PNG_BYTES = 150_000  # one small figure per notebook stays
REMOVED = "[output of {kb:,.0f} kB left out of the committed copy: run the cell to see it]\n"


def execute(path: Path, *, timeout: int = CELL_TIMEOUT_S):
    """
    Run a notebook top to bottom in a fresh kernel, from its own folder.

    Parameters
    ----------
    path
        The ``.ipynb`` file.
    timeout
        Seconds one cell may take.

    Returns
    -------
    nbformat.NotebookNode
        The notebook with its outputs.

    Raises
    ------
    nbclient.exceptions.CellExecutionError
        When a cell raises.
    """
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    return nb


def _size(output: dict) -> int:
    return len(json.dumps(output, ensure_ascii=False).encode("utf-8"))


def _keep(output: dict) -> bool:
    data = output.get("data", {})
    if "image/png" in data:
        return len(data["image/png"]) <= MAX_PNG_BYTES and "text/html" not in data
    return _size(output) <= MAX_OUTPUT_BYTES


def strip(nb):
    """
    Drop outputs over the size limits (maps), execution timings and widget state.

    Parameters
    ----------
    nb
        An executed notebook; changed in place.

    Returns
    -------
    nbformat.NotebookNode
        ``nb``.
    """
    import nbformat

    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.outputs:
            if _keep(output):
                outputs.append(output)
            else:
                text = REMOVED.format(kb=_size(output) / 1000)
                outputs.append(nbformat.v4.new_output("stream", name="stdout", text=text))
        cell.outputs = outputs
    nb.metadata.pop("widgets", None)
    return nb


def update(names: list[str]) -> None:
    """Execute, strip and rewrite the committed notebooks."""
    import nbformat

    for name in names:
        path = NOTEBOOKS / name
        start = time.perf_counter()
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        nb = strip(execute(path))
        nbformat.write(nb, path)
        seconds = time.perf_counter() - start
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        kernel_cpu = used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime
        print(  # noqa: T201
            f"{name}: ran in {seconds:.0f} s ({kernel_cpu:.0f} s kernel CPU), "
            f"{path.stat().st_size / 1000:.0f} kB"
        )


def test_committed_copies_are_valid_and_small():
    import nbformat

    for name in NAMES:
        path = NOTEBOOKS / name
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert path.stat().st_size < 300_000, name
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(c.execution_count is not None for c in code), f"{name}: not run in order"
        assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), name
        pngs = 0
        for cell in code:
            for output in cell.outputs:
                assert output.get("output_type") != "error", name
                assert _keep(output), f"{name}: an output over the size limit"
                pngs += "image/png" in output.get("data", {})
        assert 1 <= pngs <= 2, f"{name}: {pngs} figures"


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_top_to_bottom(name: str):
    nb = execute(NOTEBOOKS / name)
    errors = [
        output
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.get("output_type") == "error"
    ]
    assert errors == []
    figures = [
        output
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    ]
    assert figures, "the notebook draws its figure"


if __name__ == "__main__":
    update(sys.argv[1:] or NAMES)
