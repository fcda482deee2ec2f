"""dc2.lemma5_4: PASS under ci with every mutant killed; the digest's γ; the exact branching point of γ = η₁/η₂; the
condition on v matters numerically too."""

import numpy as np

from theorems.two_homogeneous.lemma5_4 import NeuronInstance, NonBranchingNeuron, construct_kkt
from verify.activations import Activation
from verify.checker import Context, Verdict
from verify.strategies import Dataset

from ..ci_run import passes_ci_with_every_mutant_killed


def test_ci_pass_and_every_mutant_killed():
    passes_ci_with_every_mutant_killed(NonBranchingNeuron())


def test_the_digest_s_reference_gamma():
    # d = 3, n = 8, α = 0.2, default_rng(0), X (3 × 8) drawn before z: the KKT point with μ = 0.56 has γ = 0.05036
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 8)).T
    z = rng.standard_normal(8)
    star = construct_kkt(X, z, Activation(0.2, 1), np.random.default_rng(0))
    assert star is not None and abs(star.mu - 0.56) < 5e-3
    gamma = np.abs(X @ star.u).min() / (2 * np.linalg.norm(X, axis=1).max())
    assert abs(gamma - 0.05036) < 5e-6 and abs(abs(star.v) - 2**-0.5) < 1e-15 and abs(np.linalg.norm(star.u) - 2**-0.5) < 1e-15


def test_gamma_eta1_over_eta2_reaches_a_repelling_kink_on_the_exact_example():
    checker = NonBranchingNeuron()
    assert all(o.holds for o in checker.obligations())
    doubled = next(m for m in checker.mutants if m.name == "γ = η₁/η₂").apply(checker)
    failed = {o.name: o for o in doubled.obligations() if not o.holds}
    assert set(failed) == {"example E: S inside the cone of u*", "example E: no branching point in S"}
    assert "sample 2" in failed["example E: no branching point in S"].detail  # x₂ = (4/5, −3/5), on its kink


def test_the_frozen_pattern_is_decided_and_the_factor_2_is_slack():
    checker = NonBranchingNeuron()
    evidence = checker.claim(NeuronInstance(Dataset("gaussian", 8, 3, 5), 0.1, 3, 4), Context())
    m = evidence.measurements
    assert checker.decide(evidence) is Verdict.PASS
    assert m.margin_ratio >= 0.5 - 1e-12 and m.grid_margin_ratio >= 0.5 - 1e-9  # η₁ − γη₂ = η₁/2
    assert m.flow_deviation < 1e-9 and m.conserved_drift < 1e-12 and m.limit_distance < 1e-10
    assert m.sharp_radius_ratio >= 1.0  # the ball of radius η₁/η₂ is still kink-free


def test_without_the_condition_on_v_the_flow_reaches_a_kink():
    # numerically, not only by the obligation: a point with v of the other sign changes the sign of v and meets a kink
    checker = NonBranchingNeuron()
    no_v = next(m for m in checker.mutants if m.name.startswith("S without")).apply(checker)
    evidence = no_v.claim(NeuronInstance(Dataset("gaussian", 8, 3, 5), 0.1, 3, 4), Context())
    failing = [e.label for e in evidence.entries if no_v.decide_entry(e) is Verdict.FAIL]
    assert any("pattern frozen" in x for x in failing) and any("keeps the sign of v*" in x for x in failing)
