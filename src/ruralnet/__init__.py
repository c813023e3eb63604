"""ruralnet: plan rural parcel-delivery networks for Chinese counties.

Village delivery service stations, township co-delivery centres and a county hub, sited by
a facility-location model on OR-Tools over a road graph, checked by an independent verifier,
exported as GeoJSON and drawn with folium.
"""

from __future__ import annotations

from importlib.metadata import version as _version

__version__ = _version("ruralnet")

from ruralnet.assemble import build_problem
from ruralnet.data import Inputs, load_inputs
from ruralnet.errors import (
    DataError,
    InfeasibleError,
    NetworkError,
    OutputError,
    RuralnetError,
    RuralnetWarning,
    ScenarioError,
    SolverError,
    VerificationError,
)
from ruralnet.model import build_model
from ruralnet.pipeline import solve
from ruralnet.plan import Plan
from ruralnet.problem import Problem, Solution, SolveStatus
from ruralnet.routes.build import build_routes
from ruralnet.routes.data import RoutePlan
from ruralnet.routes.pricing import solve_with_routes
from ruralnet.routes.verify import verify_routes
from ruralnet.scenario import Scenario, load_scenario
from ruralnet.solve import solve_model
from ruralnet.verify import VerificationReport, verify

__all__ = [
    "DataError",
    "InfeasibleError",
    "Inputs",
    "NetworkError",
    "OutputError",
    "Plan",
    "Problem",
    "RoutePlan",
    "RuralnetError",
    "RuralnetWarning",
    "Scenario",
    "ScenarioError",
    "Solution",
    "SolveStatus",
    "SolverError",
    "VerificationError",
    "VerificationReport",
    "__version__",
    "build_model",
    "build_problem",
    "build_routes",
    "load_inputs",
    "load_scenario",
    "solve",
    "solve_model",
    "solve_with_routes",
    "verify",
    "verify_routes",
]
