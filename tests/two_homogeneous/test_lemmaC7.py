"""dc2.lemmaC7: PASS under ci with every mutant killed; the pattern-by-pattern path against the engine's integrator; the
three cases (and the skipped u → 0) decided on exact instances."""

import numpy as np
import torch

from theorems.two_homogeneous.lemmaC7 import (
    DeadNeurons,
    QuadraticNCF,
    UniformNormLowerBound,
    cone_data,
    dead_starts,
    kinked_ncf_path,
    quadratic_starts,
)
from verify.checker import Context, Verdict
from verify.flow import FlowStatus, integrate, ncf_flow
from verify.nets import DTYPE, Activation, FeedForward

from ..ci_run import passes_ci_with_every_mutant_killed


def test_ci_pass_and_every_mutant_killed():
    passes_ci_with_every_mutant_killed(UniformNormLowerBound())


def _leaky_problem(seed: int):
    rng = np.random.default_rng(seed)
    X, z = torch.tensor(rng.standard_normal((4, 2))), torch.tensor(rng.standard_normal(4))
    net = FeedForward((2, 2, 1), Activation(0.5, 1))
    return net, X, z, torch.tensor(rng.standard_normal(net.n_params))


def test_the_pattern_by_pattern_path_is_the_engine_s_flow_across_kinks_up_to_a_slide():
    # seed 4: three transversal crossings, then a slide at t ≈ 0.724 (the engine's reference integrates the
    # discontinuous field directly and flags the slide by its chattering)
    net, X, z, u0 = _leaky_problem(4)
    times = np.linspace(0, 1.0, 11)
    path = kinked_ncf_path(net, X, z, u0, times, 1e-11, 1e-13)
    reference = integrate(ncf_flow(net, X, z), u0, 1.0, rtol=1e-10, atol=1e-12, t_eval=times)
    assert path.crossings == 3 and path.end.startswith("sliding") and reference.status is FlowStatus.SLIDING
    reached = int(np.isfinite(path.u[:, 0]).sum())
    assert reached == len(reference.t) == 8 and np.abs(path.u[:reached] - reference.u).max() < 1e-8


def test_quadratic_cases_and_the_limit_on_the_null_space():
    # axis inputs: A = diag(z1, z2, 0) exactly, so lim u = (0, 0, u0_3) for the start without a positive component
    checker = UniformNormLowerBound()
    instance = QuadraticNCF(3, 2, "axis", "mixed", 2, 1.5)
    evidence = checker.claim(instance, Context())
    assert checker.decide(evidence) is Verdict.PASS
    m = evidence.measurements
    assert m.cases == ("2", "2", "3", "→0") and m.skipped == 1
    starts = quadratic_starts(instance)
    assert abs(m.etas[2] - abs(float(starts[2].u0[2]))) < 1e-12
    assert not any(starts[3].name in e.label for e in evidence.entries)  # u → 0: no claim, no entry
    # the start with a dip: η = ‖u(0)‖ is false there, T = 0 is false for the later t̄
    for mutant in checker.mutants[:2]:
        mutated = mutant.apply(checker)
        assert mutated.decide(mutated.claim(instance, Context())) is Verdict.FAIL


def test_a_dead_relu_neuron_rests_at_a_non_zero_point():
    checker = UniformNormLowerBound()
    instance = DeadNeurons(2, 2, 1, "positive", 0.7, 1, 2.0)
    evidence = checker.claim(instance, Context())
    assert checker.decide(evidence) is Verdict.PASS and evidence.measurements.cases == ("3",)
    start = dead_starts(instance)[0]
    times = np.linspace(0, start.horizon, 65)
    path = kinked_ncf_path(FeedForward((2, 1, 1), Activation(0.0, 1)), *(torch.as_tensor(a, dtype=DTYPE)
                           for a in cone_data(instance)[:2]), start.u0, times, 1e-11, 1e-13)
    W1 = torch.as_tensor(path.u[-1][:2], dtype=DTYPE)
    X = torch.as_tensor(cone_data(instance)[0], dtype=DTYPE)
    assert path.t_rest < times[-1] and bool((X @ W1 <= 0).all())  # every pre-activation off: u̇ = 0 from t_rest
    assert 0 < evidence.measurements.etas[0] < float(start.u0.norm())  # ‖u‖ decreased to a non-zero limit
    mutated = checker.mutants[0].apply(checker)  # η = ‖u(0)‖ fails where the norm decreases
    assert mutated.decide(mutated.claim(instance, Context())) is Verdict.FAIL
