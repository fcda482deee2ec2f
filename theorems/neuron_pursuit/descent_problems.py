"""Random NP problems for np.algorithm1's descent claim (np §5.1, digest X8): data from a random teacher network.

The system under test is :class:`verify.pursuit.NeuronPursuitRegressor`; :func:`descent_run` fits it once per
process and instance (mutants of np.algorithm1 change the statement, not the run, so they reuse it).
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

from verify.nets import Activation, FeedForward
from verify.pursuit import NeuronPursuitRegressor
from verify.strategies import Dataset, datasets, seeds

DESCENT_ACTIVATIONS = {"relu": (0.0, 1), "leaky": (0.5, 1), "square": (1.0, 2)}


@dataclass(frozen=True)
class DescentProblem:
    """NP on data from ``data`` with targets from a random teacher (2 neurons per hidden layer, same σ and depth).

    Targets are scaled to unit root-mean-square; the square activation is used with depth 2 only (degree
    D = 7 at depth 3 makes the escape from δ = 0.25 take ~10⁴ time units).
    """

    data: Dataset
    depth: int
    activation: str
    teacher_seed: int

    @property
    def sigma(self) -> Activation:
        return Activation(*DESCENT_ACTIVATIONS[self.activation])

    @functools.cached_property
    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        X = self.data.X
        teacher = FeedForward((self.data.d, *(2,) * (self.depth - 1), 1), self.sigma)
        u = teacher.random_unit(1, torch.Generator().manual_seed(self.teacher_seed))[0] * math.sqrt(self.depth)
        y = teacher(u, torch.as_tensor(X))[:, 0].numpy()
        rms = float(np.sqrt((y**2).mean()))
        return X, (y / rms if rms > 0 else y)

    def __str__(self) -> str:
        return f"NP L={self.depth} σ={self.sigma} on {self.data}, teacher seed={self.teacher_seed}"


DESCENT_SETTINGS = dict(restarts=4, ascent_steps=300, gd_step_size=0.02, gd_steps=2000, max_iter=4, tol=1e-3)


@st.composite
def descent_problems(draw) -> DescentProblem:
    data = draw(datasets(n=(20, 60), d=(2, 5)))
    activation = draw(st.sampled_from(sorted(DESCENT_ACTIVATIONS)))
    depth = 2 if activation == "square" else draw(st.sampled_from((2, 3)))
    return DescentProblem(data, depth, activation, draw(seeds()))


@functools.lru_cache(maxsize=64)
def descent_run(problem: DescentProblem, device: str) -> NeuronPursuitRegressor:
    X, y = problem.arrays
    alpha, p = DESCENT_ACTIVATIONS[problem.activation]
    est = NeuronPursuitRegressor(problem.depth, alpha, p, **DESCENT_SETTINGS, random_state=problem.teacher_seed, device=device)
    with warnings.catch_warnings():  # a stop is recorded in est.stop_reason_ and reported; no console noise
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)
