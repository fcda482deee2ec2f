"""homcheck's engine: homogeneous networks, NCF machinery, strategies, checkers, runner, reports.

The names most users need are re-exported here; the modules are small and flat (see README).
"""

from verify.checker import Checker, Context, Evidence, Mutant, Obligation, Verdict, register
from verify.errors import InputError
from verify.ncf import constrained_ncf_max, kkt_residual, ncf, polish_kkt, stationarity
from verify.nets import Activation, FeedForward, homogeneity_degree, resolve_device
from verify.pursuit import NeuronPursuitRegressor, SmallInitGDRegressor

__all__ = [
    "Activation",
    "Checker",
    "Context",
    "Evidence",
    "FeedForward",
    "InputError",
    "Mutant",
    "NeuronPursuitRegressor",
    "Obligation",
    "SmallInitGDRegressor",
    "Verdict",
    "constrained_ncf_max",
    "homogeneity_degree",
    "kkt_residual",
    "ncf",
    "polish_kkt",
    "register",
    "resolve_device",
    "stationarity",
]
