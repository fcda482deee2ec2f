"""edc.lemma2: PASS under ci with every mutant killed, each mutant killed by the entries it targets, undecided instances,
and P6 on starts with N(u0) < 0 (at rest away from 0; turning positive, then case 1 from t1).

test_checkers.py runs every registered checker under ci as well; the run here is the same call, kept so that this file
alone shows the checker's verdict and mutants (and the per-entry kills below say *which* claim refutes each mutant).
"""

import math

import torch

from theorems.early_directional.lemma2 import NCFBlowUp
from verify.checker import Context, Verdict
from verify.flow import positive_ncf_start
from verify.ncf import ncf
from verify.nets import DTYPE, Activation, FeedForward
from verify.profiles import profile
from verify.runner import run_checker
from verify.strategies import Dataset, NCFProblem

SQUARED_RELU = Activation(0.0, 2)


def _instance(widths=(3, 4, 1), act=SQUARED_RELU, seed=3, radius=1.0):
    return NCFProblem(FeedForward(widths, act), Dataset("gaussian", 8, widths[0], 1), 2), seed, radius


def _negative(seed):
    """A one-neuron squared-ReLU net from a start with N(u0) < 0: seed 4 comes to rest at ‖u*‖ ≈ 0.7‖u0‖, seed 7 turns
    positive (then blows up)."""
    return (*_instance(widths=(2, 1, 1), seed=seed), True)


def test_passes_under_ci_and_kills_every_mutant():
    result = run_checker(NCFBlowUp(), profile=profile("ci"), seed=0)
    assert result.verdict == Verdict.PASS, result.notes + [f"{r.verdict} {r.entry}: {r.note}" for r in result.records]
    assert [m.status for m in result.mutants] == ["killed"] * len(NCFBlowUp.mutants)


def test_each_mutant_is_refuted_by_the_claim_it_changes():
    checker, instance = NCFBlowUp(), _instance()
    evidence = checker.claim(instance, Context())
    assert checker.decide(evidence) is Verdict.PASS
    m = evidence.measurements
    assert m.T_star <= m.T_bound and 1 <= m.rate_first and abs(m.rate_last - 1) < 1e-8 and m.kkt_residual < 1e-10
    # the factor sits in identity (30) and in the rate, as the digest's mutant has it
    expected = {"exponent L−1 in the rate": ("(P5)",), "factor L(L−1)": ("(P3)", "(P5)"), "‖u‖ stays bounded": ("(P1, mutant)",),
                "‖u‖ non-decreasing while N ≤ 0": ("(P6, mutant)",)}
    instances = {"‖u‖ non-decreasing while N ≤ 0": _negative(4)}  # P6 needs a start with N(u0) < 0
    for mutant in NCFBlowUp.mutants:
        mutated = mutant.apply(NCFBlowUp())
        on = instances.get(mutant.name, instance)
        failed = [e.label for e in mutated.claim(on, Context()).entries if mutated.decide_entry(e) is Verdict.FAIL]
        assert failed and all(label.startswith(expected[mutant.name]) for label in failed), (mutant.name, failed)
        assert all(any(label.startswith(p) for label in failed) for p in expected[mutant.name]), (mutant.name, failed)


def test_the_start_has_positive_ncf_or_the_instance_is_undecided():
    problem, seed, _ = _instance()
    X, z = torch.as_tensor(problem.X, dtype=DTYPE), torch.as_tensor(problem.z, dtype=DTYPE)
    for s in range(5):
        u0 = positive_ncf_start(problem.net, X, z, s, 1.5)
        assert u0 is not None and float(ncf(problem.net, u0, X, z)) > 0 and math.isclose(float(u0.norm()), 1.5)
    zero = NCFProblem(problem.net, problem.data, 0, "given", z_array=torch.zeros(8).numpy())
    evidence = NCFBlowUp().claim((zero, seed, 1.0), Context())
    assert NCFBlowUp().decide(evidence) is Verdict.INCONCLUSIVE and "N(u0) = 0" in evidence.note


def test_p6_at_rest_and_case_1_after_n_turns_positive():
    checker = NCFBlowUp()
    rest = checker.claim(_negative(4), Context())
    assert checker.decide(rest) is Verdict.PASS, [e for e in rest.entries if checker.decide_entry(e) is not Verdict.PASS]
    m = rest.measurements
    assert m.start_sign == -1 and m.N0 < 0 and m.phase == "rest" and 0.5 < m.rest_norm < 1 and m.norm_rise == 0
    labels = [e.label for e in rest.entries]
    assert labels[0].startswith("(P6) ‖u(t)‖ non-increasing") and any(lb.startswith("(P6) ∇N(u*) = 0") for lb in labels)
    escaped = checker.claim(_negative(7), Context())
    assert checker.decide(escaped) is Verdict.PASS
    m = escaped.measurements
    assert m.phase == "positive" and 0 < m.t_positive < m.T_star <= m.T_bound and abs(m.rate_last - 1) < 1e-8
    assert any(e.label.startswith("(P1)") and "from t1" in e.label for e in escaped.entries)
