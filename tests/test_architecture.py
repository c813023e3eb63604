"""The house rules of the package layout, checked on every module and every import.

* Every module is placed in :data:`ORDER`; a module imports only modules placed before it (a
  new module fails :func:`test_every_module_is_placed` until it is placed).
* Every import counts: module level and inside functions (``ast.walk``). Two exceptions, both
  visible in the code: imports under ``if TYPE_CHECKING:`` (types only, nothing runs), and a
  *delegation*, a function whose whole body is a docstring, the imports and one ``return`` of
  a call (``Plan.map`` -> ``maps.plan_map``, as geopandas does for ``explore``).
* Importing ``ruralnet.pkg.mod`` runs ``pkg/__init__.py`` first, so the importer must also come
  after everything that ``__init__`` imports (this catches import cycles through packages).
* Inside the package nothing imports from the root (``from ruralnet import ...``) and a name is
  imported from the module that defines it, never through a package's re-exports.
* The wings ``prepare``, ``synth`` and ``classic`` are leaves: only the faces (and the root
  ``__init__``) import them, and they import the core, their own wing, never a face or each other.
* ``ortools`` only in the model, solver and engine modules, ``folium`` only in the map modules;
  the model, solver, verifiers and route records never touch geodata; ``verify`` shares no code
  with the model.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src" / "ruralnet"

#: Every module, in the order imports may point: a module imports only modules above it.
ORDER = [
    # shared vocabulary, atomic writes, translations
    "errors",
    "_files",
    "_readers",
    "i18n",
    # the core, down the data flow
    "settings",
    "policy_settings",
    "scenario",
    "gtfs",
    "dataset_rows",
    "data",
    "problem",
    "network",
    "buses",
    "assemble",
    "model",
    "solve_stop",
    "solve",
    "option_solves",
    "verify",
    "cold_verify",
    "lockers_verify",
    # the routes wing: records and their verifier, the router, outputs, a plan's routes
    "routes.data",
    "routes.verify",
    "routes.engine",
    "routes.outputs",
    "routes.build",
    "routes.readback",
    "routes",
    # the plan and its faces
    "plan",
    "tables",
    "express_targets",
    "cold_chain",
    "pipeline",
    "routes.pricing",
    "targets",
    "report",
    "brands",
    "lockers",
    "readback",
    "gis",
    "report_html",
    "export",
    "audit",
    "map_base",
    "maps",
    "batch_map",
    "summary_table",
    # leaf wings
    "classic.near_sites",
    "classic.heuristics",
    "classic.verify",
    "classic.mip",
    "classic.pmedian",
    "classic.lagrangian",
    "classic.cut_master",
    "classic.cut_tree",
    "classic.benders",
    "classic.problems",
    "classic.lrp_verify",
    "classic.location_routing",
    "classic",
    "synth.layout",
    "synth.roads",
    "synth.real",
    "synth.layers",
    "synth.county",
    "synth.osm_tags",
    "synth.osm_extract",
    "synth",
    "prepare.coords",
    "prepare.names",
    "prepare.osm",
    "prepare.roadgraph",
    "prepare.roads",
    "prepare.inputs",
    "prepare.adcode",
    "prepare.places",
    "prepare.sites",
    "prepare.towns",
    "prepare.dataset",
    "prepare",
    # faces: two plans, many counties, the command line
    "compare",
    "compare_map",
    "batch",
    "cli",
    # the public API
    "",
]
LEAF_WINGS = ("prepare", "synth", "classic")
FACES = {"compare", "compare_map", "batch", "cli", ""}
ORTOOLS_ALLOWED = {"model", "solve", "option_solves", "routes.engine", "classic.mip"}
HIGHSPY_ALLOWED = {"classic.cut_master"}  # the warm-started Benders master LP
FOLIUM_ALLOWED = {"map_base", "maps", "batch_map", "compare_map"}
GEODATA = {"geopandas", "shapely", "pyogrio", "pyproj", "folium"}
GEO_FREE = {
    "problem",
    "model",
    "solve_stop",
    "solve",
    "option_solves",
    "verify",
    "routes.data",
    "routes.verify",
    "routes.engine",
    *(m for m in ORDER if m == "classic" or m.startswith("classic.")),
}


@dataclass(frozen=True)
class Import:
    """One import statement's target, resolved to a ruralnet module name where it is one."""

    target: str  # dotted name as written ("ruralnet.plan", "numpy", "ruralnet.classic.verify")
    line: int
    typing_only: bool
    delegation: bool
    from_root: bool  # "from ruralnet import x"
    names: tuple[str, ...] = ()


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def module_path(name: str) -> Path:
    folder = SRC.joinpath(*name.split(".")) if name else SRC
    return folder / "__init__.py" if folder.is_dir() else folder.with_suffix(".py")


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _is_delegation(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    body = list(func.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # docstring
    *imports, last = body or [None]
    return (
        bool(imports)
        and all(isinstance(s, ast.ImportFrom | ast.Import) for s in imports)
        and isinstance(last, ast.Return)
        and isinstance(last.value, ast.Call)
    )


def imports_of(source: str) -> list[Import]:
    """Every import in ``source``, with where it stands (typing block, delegation)."""
    tree = ast.parse(source)
    found: list[Import] = []

    def visit(node: ast.AST, typing_only: bool, delegation: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for stmt in child.body:
                    visit_stmt(stmt, True, delegation)
                for stmt in child.orelse:
                    visit_stmt(stmt, typing_only, delegation)
                continue
            visit_stmt(child, typing_only, delegation)

    def visit_stmt(node: ast.AST, typing_only: bool, delegation: bool) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            visit(node, typing_only, _is_delegation(node))
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(alias.name, node.lineno, typing_only, delegation, False))
            return
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative imports are not used in the package
                module = "." * node.level + module
            names = tuple(a.name for a in node.names)
            root = module == "ruralnet"
            found.append(Import(module, node.lineno, typing_only, delegation, root, names))
            return
        visit(node, typing_only, delegation)

    visit(tree, False, False)
    return found


def _ruralnet_module(imp: Import) -> list[str]:
    """The ruralnet modules an import loads ("" for the root), or [] for other libraries."""
    if imp.target.startswith("."):
        return [imp.target]
    if imp.target != "ruralnet" and not imp.target.startswith("ruralnet."):
        return []
    base = imp.target.removeprefix("ruralnet").removeprefix(".")
    submodules = [
        f"{base}.{n}" if base else n
        for n in imp.names
        if module_path(f"{base}.{n}" if base else n).exists()
    ]
    return submodules or [base]


def _package_inits(module: str) -> list[str]:
    """Packages whose ``__init__`` runs when ``module`` is imported (root excluded)."""
    parts = module.split(".")
    return [".".join(parts[:k]) for k in range(1, len(parts))]


def _wing(module: str) -> str | None:
    head = module.split(".")[0]
    return head if head in LEAF_WINGS else None


def _library_rules(module: str, imp: Import, where: str) -> list[str]:
    library = imp.target.split(".")[0]
    out = []
    if imp.typing_only:
        return out
    if library == "ortools" and module not in ORTOOLS_ALLOWED:
        out.append(f"{where}: imports ortools outside the model/solver/engine modules")
    if library == "highspy" and module not in HIGHSPY_ALLOWED:
        out.append(f"{where}: imports highspy outside the Benders master LP")
    if library == "folium" and module not in FOLIUM_ALLOWED:
        out.append(f"{where}: imports folium outside the map modules")
    if library in GEODATA and module in GEO_FREE:
        out.append(f"{where}: imports {library}; this module stays free of geodata")
    if imp.from_root and module:
        out.append(f"{where}: 'from ruralnet import ...' inside the package")
    return out


def _target_rules(module: str, imp: Import, target: str, where: str, order: list[str]) -> list[str]:
    position = {name: k for k, name in enumerate(order)}
    here = position[module]
    if target.startswith(".") or target not in position:
        return [f"{where}: imports {target!r}, which is not a placed module"]
    if imp.typing_only:
        return []
    out = []
    if position[target] >= here and not imp.delegation:
        out.append(f"{where}: imports {target or 'ruralnet'}, placed below it")
    eager = _eager_imports(order)
    late = [p for p in _package_inits(target) if eager.get(p, -1) >= here]
    if late and not module.startswith(f"{late[0]}."):
        out.append(
            f"{where}: importing {target} runs {late[0]}/__init__, which imports modules below"
        )
    if module and target and module_path(target).name == "__init__.py":
        reexported = [n for n in imp.names if not module_path(f"{target}.{n}").exists()]
        if reexported:
            out.append(
                f"{where}: imports {reexported[0]} from the package {target}; "
                "import the defining module"
            )
    wing = _wing(target)
    if wing and _wing(module) != wing and module not in FACES:
        out.append(f"{where}: imports the leaf wing {wing}; only faces may")
    if _wing(module) and target in FACES:
        out.append(f"{where}: a wing imports the face {target}")
    return out


def violations(module: str, source: str, order: list[str] = ORDER) -> list[str]:
    """Every house rule ``module`` (with ``source``) breaks, as readable lines."""
    if module not in order:
        return [f"{module or 'ruralnet'}: not placed in ORDER; add it where its imports allow"]
    out: list[str] = []
    for imp in imports_of(source):
        where = f"{module or 'ruralnet/__init__'}:{imp.line}"
        out += _library_rules(module, imp, where)
        for target in _ruralnet_module(imp):
            out += _target_rules(module, imp, target, where, order)
    return out


def _eager_imports(order: list[str]) -> dict[str, int]:
    """For each subpackage, the position of the lowest module its ``__init__`` imports."""
    position = {name: k for k, name in enumerate(order)}
    result = {}
    for name in order:
        path = module_path(name)
        if not name or path.name != "__init__.py" or not path.exists():
            continue
        loaded = [
            position.get(t, -1)
            for imp in imports_of(path.read_text(encoding="utf-8"))
            if not imp.typing_only and not imp.delegation
            for t in _ruralnet_module(imp)
        ]
        result[name] = max(loaded, default=-1)
    return result


def all_modules() -> list[str]:
    return sorted(module_name(p) for p in SRC.rglob("*.py"))


def test_every_module_is_placed():
    missing = sorted(set(all_modules()) - set(ORDER))
    stale = sorted(set(ORDER) - set(all_modules()))
    assert not missing, f"place these modules in ORDER: {missing}"
    assert not stale, f"ORDER names modules that do not exist: {stale}"
    assert len(ORDER) == len(set(ORDER))


@pytest.mark.parametrize("module", all_modules())
def test_module_keeps_the_house_rules(module: str):
    source = module_path(module).read_text(encoding="utf-8")
    assert violations(module, source) == []


def test_verify_shares_no_code_with_the_model():
    source = (SRC / "verify.py").read_text(encoding="utf-8")
    targets = {i.target for i in imports_of(source) if not i.typing_only}
    assert targets <= {"__future__", "dataclasses", "numpy", "ruralnet.problem"}


def test_route_records_and_verifier_need_no_router():
    for name in ("routes.data", "routes.verify"):
        source = module_path(name).read_text(encoding="utf-8")
        targets = {i.target.split(".")[0] for i in imports_of(source)}
        allowed = {"__future__", "collections", "dataclasses", "itertools", "math", "numpy"}
        assert targets <= allowed | {"ruralnet"}, name


# --- the checker itself catches what it should ------------------------------------------


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("model", "from ruralnet.plan import Plan\n", "placed below it"),
        ("model", "def f():\n    from ruralnet.plan import Plan\n    x = Plan\n", "placed below"),
        ("data", "import ortools.math_opt\n", "imports ortools"),
        ("data", "def f():\n    import folium\n    return folium.Map()\n", "imports folium"),
        ("verify", "import geopandas\n", "free of geodata"),
        ("report", "from ruralnet import cli\n", "from ruralnet import"),
        ("report", "from ruralnet.classic.problems import p_median\n", "leaf wing"),
        ("prepare.dataset", "from ruralnet.synth.county import generate_county\n", "leaf wing"),
        ("synth.county", "from ruralnet.batch import run_batch\n", "placed below"),
        ("report", "from ruralnet.routes import route_kpis\n", "import the defining module"),
        ("data", "from ruralnet.routes.data import RoutePlan\n", "placed below"),
        ("brand_new", "import numpy\n", "not placed in ORDER"),
    ],
)
def test_checker_finds_a_misplaced_import(module: str, source: str, expected: str):
    found = violations(module, source)
    assert any(expected in line for line in found), found


def test_checker_accepts_typing_imports_and_delegations():
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from ruralnet.plan import Plan\n"
        "def kpis(plan):\n"
        '    """One line."""\n'
        "    from ruralnet.report import kpi_table\n\n"
        "    return kpi_table(plan)\n"
    )
    assert violations("model", source) == []
    # the same import is not a delegation once the function does more than return the call
    busy = source.replace("    return kpi_table(plan)\n", "    t = kpi_table(plan)\n    return t\n")
    assert any("placed below" in line for line in violations("model", busy))


def test_checker_catches_a_cycle_through_a_package_init():
    # routes/__init__ imports routes.build; a module placed between routes.data and
    # routes.build that imports routes.data would run that __init__ too early
    order = [m for m in ORDER if m != "buses"]
    order.insert(order.index("routes.data") + 1, "buses")
    found = violations("buses", "from ruralnet.routes.data import RoutePlan\n", order)
    assert any("runs routes/__init__" in line for line in found), found
