"""Imports point one way down the data flow; solvers and maps stay in their modules."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).parents[1] / "src" / "ruralnet"

# a module may import, at module level, only modules listed before it
ORDER = [
    "errors",
    "_files",
    "scenario",
    "gtfs",
    "data",
    "problem",
    "route_data",
    "verify_routes",
    "network",
    "buses",
    "assemble",
    "model",
    "solve",
    "verify",
    "plan",
    "pipeline",
    "routes",
    "routes_pricing",
    "report",
    "readback",
    "gis",
    "export",
    "maps",
    "compare",
    "batch",
    "cli",
]
ORTOOLS_ALLOWED = {"model", "solve"}
GEO_FREE = {"problem", "model", "solve", "verify", "route_data", "verify_routes"}


def module_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:  # module level only
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_imports_point_down_the_flow():
    for i, name in enumerate(ORDER):
        path = SRC / f"{name}.py"
        allowed = {f"ruralnet.{m}" for m in ORDER[:i]} | {"ruralnet"}
        for imported in module_imports(path):
            if imported.startswith("ruralnet.") and imported.split(".")[1] in ORDER:
                assert imported in allowed, f"{name}.py imports {imported}"


def test_solver_and_geodata_boundaries():
    for path in SRC.glob("*.py"):
        imports = module_imports(path)
        if path.stem not in ORTOOLS_ALLOWED:
            assert not any(i.startswith("ortools") for i in imports), path.name
        if path.stem in GEO_FREE:
            assert not imports & {"geopandas", "shapely", "pyogrio", "folium"}, path.name
        assert "folium" not in imports, path.name  # imported inside maps' functions only


def test_verify_shares_no_code_with_the_model():
    imports = module_imports(SRC / "verify.py")
    assert imports <= {"__future__", "dataclasses", "numpy", "ruralnet.problem"}
