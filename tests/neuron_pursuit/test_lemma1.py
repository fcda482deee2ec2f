"""np.lemma1: PASS under ci with every mutant killed; the printed bounded branch fails on a flow at rest away from 0;
a start with N(u0) < 0 that escapes refutes "N(u0) < 0 ⇒ φ → 0"; a non-global limit refutes the global-maximiser
mutant; the balance invariants; N ≡ 0 is undecided."""

import math

import numpy as np
import torch

from tests.ci_run import passes_ci_with_every_mutant_killed
from theorems.early_directional.lemma2 import signed_ncf_start
from theorems.neuron_pursuit.lemma1 import NCFFlowDichotomy, balance_bound
from verify.checker import Context, Verdict
from verify.flow import integrate, ncf_flow
from verify.nets import DTYPE, Activation, FeedForward
from verify.strategies import Dataset, NCFProblem

SQUARED_RELU = Activation(0.0, 2)


def _instance(widths=(2, 1, 1), seed=4, sign=-1, data_seed=1, z_seed=6):
    problem = NCFProblem(FeedForward(widths, SQUARED_RELU), Dataset("gaussian", 8, widths[0], data_seed), z_seed)
    return problem, seed, sign, 1.0


def _failed(checker, instance):
    evidence = checker.claim(instance, Context())
    return evidence, [e.label for e in evidence.entries if checker.decide_entry(e) is Verdict.FAIL]


def _mutant(name):
    return next(m for m in NCFFlowDichotomy.mutants if m.name == name).apply(NCFFlowDichotomy())


def test_ci_pass_and_every_mutant_killed():
    passes_ci_with_every_mutant_killed(NCFFlowDichotomy())


def test_bounded_flow_rests_away_from_the_origin_and_the_printed_reading_fails():
    instance = _instance()  # one squared-ReLU neuron, N(u0) < 0: it comes to rest with ‖u*‖ ≈ 0.7‖u0‖
    evidence, failed = _failed(NCFFlowDichotomy(), instance)
    m = evidence.measurements
    assert NCFFlowDichotomy().decide(evidence) is Verdict.PASS and not failed
    assert m.branch == "bounded" and m.phase == "rest" and m.start_sign == -1 and m.stationarity <= 1.01e-9
    assert m.rest_norm > 0.5 and m.balance_bound > 0.5 and m.rest_norm >= m.balance_bound * (1 - 1e-9)
    _, failed = _failed(_mutant("as printed: bounded ⇒ φ → 0"), instance)
    assert failed and all(label.startswith("(mutant, as printed)") for label in failed), failed


def test_negative_start_escapes_and_refutes_the_vanishing_and_global_mutants():
    instance = _instance(seed=4, data_seed=0, z_seed=5)  # N(u0) < 0, turns positive, reaches a non-global KKT point
    evidence, failed = _failed(NCFFlowDichotomy(), instance)
    m = evidence.measurements
    assert NCFFlowDichotomy().decide(evidence) is Verdict.PASS and not failed
    assert m.branch == "escape" and m.N0 < 0 and m.t_positive > 0 and m.kkt_residual <= 1e-9 and m.certified_distance <= 1e-8
    assert m.N_star > 0 and m.kkt_rank > 0 and m.best_value > m.N_star
    for name, prefix in (("N(u0) < 0 ⇒ φ → 0", "(mutant) N(u0) < 0"), ("limit is the global maximiser", "(mutant) u* is the global"),
                         ("λ = (D−1)·N(u*)", "(KKT) λ")):
        _, failed = _failed(_mutant(name), instance)
        assert failed and all(label.startswith(prefix) for label in failed), (name, failed)


def test_balance_invariants_are_conserved_along_the_flow():
    problem, seed, _, _ = _instance(widths=(3, 2, 2, 1), data_seed=2, z_seed=3)
    net = problem.net
    X, z = torch.as_tensor(problem.X, dtype=DTYPE), torch.as_tensor(problem.z, dtype=DTYPE)
    u0 = signed_ncf_start(net, X, z, seed, 1.0, -1)
    trajectory = integrate(ncf_flow(net, X, z), u0, 5.0, rtol=1e-11, atol=1e-13)
    bounds = [balance_bound(net, u) for u in trajectory.u]
    assert np.ptp(bounds) <= 1e-9 and bounds[0] > 0
    assert all(np.linalg.norm(u) >= b * (1 - 1e-12) for u, b in zip(trajectory.u, bounds))


def test_zero_ncf_is_undecided():
    problem, seed, sign, radius = _instance()
    zero = NCFProblem(problem.net, problem.data, 0, "given", z_array=np.zeros(8))
    evidence = NCFFlowDichotomy().claim((zero, seed, sign, radius), Context())
    assert NCFFlowDichotomy().decide(evidence) is Verdict.INCONCLUSIVE and "N(u0) = 0" in evidence.note
    assert math.isnan(evidence.entries[0].violation)
