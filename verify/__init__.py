"""homcheck's engine: homogeneous networks, NCF machinery, strategies, checkers, runner, reports.

The names most users need are re-exported here and imported on first use (so that
``homcheck --help`` does not pay for torch); the modules are small and flat (see README).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Checker": "verify.checker",
    "Context": "verify.checker",
    "Entry": "verify.checker",
    "Evidence": "verify.checker",
    "Mutant": "verify.checker",
    "Obligation": "verify.checker",
    "Verdict": "verify.checker",
    "entries": "verify.checker",
    "register": "verify.checker",
    "InputError": "verify.errors",
    "constrained_ncf_max": "verify.kkt",
    "kkt_points": "verify.kkt",
    "KKTPoint": "verify.kkt",
    "KKTPoints": "verify.kkt",
    "kkt_residual": "verify.sphere",
    "ncf": "verify.ncf",
    "polish_kkt": "verify.clarke",
    "sphere_ascent": "verify.sphere",
    "sphere_newton": "verify.sphere",
    "stationarity": "verify.clarke",
    "Activation": "verify.nets",
    "FeedForward": "verify.nets",
    "homogeneity_degree": "verify.nets",
    "resolve_device": "verify.nets",
    "NeuronPursuitRegressor": "verify.pursuit",
    "SmallInitGDRegressor": "verify.pursuit",
    "load_counterexample": "verify.replay",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'verify' has no attribute {name!r}")
