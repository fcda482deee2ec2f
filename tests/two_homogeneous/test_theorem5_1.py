"""dc2.theorem5_1: PASS under ci with every mutant killed; both cases of the alternative occur; the polar NCF flow is
the NCF flow."""

import math

import numpy as np
import torch
from hypothesis import find
from scipy.linalg import expm

from theorems.two_homogeneous.theorem5_1 import SmallInitialisationDirections
from verify.checker import Context, Verdict
from verify.flow import direction_flow, gradient_flow, integrate
from verify.nets import DTYPE

from ..ci_run import passes_ci_with_every_mutant_killed


def test_ci_pass_and_every_mutant_killed():
    passes_ci_with_every_mutant_killed(SmallInitialisationDirections())


def test_the_polar_flow_is_the_quadratic_flow_in_closed_form():
    # N(u) = uᵀAu: u(t) = expm(2At)u0, and e^ρ·s from verify.flow.direction_flow must equal it
    A = np.array([[1.0, 0.3, 0.0], [0.3, -0.5, 0.2], [0.0, 0.2, 0.4]])
    At = torch.as_tensor(A, dtype=DTYPE)
    flow = gradient_flow(lambda u: ((u @ At) * u).sum(-1), degree=2)
    u0 = np.array([0.2, 1.0, -0.4])
    y0 = np.concatenate([u0 / np.linalg.norm(u0), [math.log(np.linalg.norm(u0))]])
    end = integrate(direction_flow(flow), y0, 3.0, rtol=1e-12, atol=1e-14).u[-1]
    exact = expm(2 * A * 3.0) @ u0
    assert np.linalg.norm(math.exp(end[-1]) * end[:-1] / np.linalg.norm(end[:-1]) - exact) <= 1e-9 * np.linalg.norm(exact)


def test_case_b_when_every_neuron_correlates_negatively():
    checker = SmallInitialisationDirections()
    instance = find(checker.hypotheses(), lambda inst: inst[0][1] == "opposed")
    evidence = checker.claim(instance, Context())
    assert evidence.measurements.case == "B" and checker.decide(evidence) is Verdict.PASS
    assert max(evidence.measurements.norm_T) <= 2 * evidence.measurements.eps
