"""np.lemma3: only certified KKT points count, and the balance mutants are killed at KKT points (issue 12)."""

import math

import torch

import verify.clarke as clarke
from theorems.neuron_pursuit.lemma3 import KKTBalance
from verify.checker import Context, Verdict
from verify.clarke import Polish
from verify.kkt import certify_kkt
from verify.nets import DTYPE, Activation, FeedForward
from verify.strategies import Dataset, NCFProblem


def _instance(alpha=0.0, p=2, widths=(3, 3, 2, 1), seed=4):
    return NCFProblem(FeedForward(widths, Activation(alpha, p)), Dataset("gaussian", 10, widths[0], seed), seed + 1), seed + 2


def test_uncertified_points_do_not_count(monkeypatch):
    # issue 12: a polished point with residual 8.3e-3 counted as a pass; a point the polish does not certify must not
    def uncertified(net, u, X, z, **kwargs):
        u = u / u.norm()
        return Polish(u, 1.0, 8.3e-3, False)

    monkeypatch.setattr(clarke, "polish_kkt", uncertified)
    checker = KKTBalance()
    evidence = checker.claim(_instance(), Context())
    assert evidence.measurements.kkt_points == 0 and evidence.measurements.uncertified_points > 0
    assert not any(e.label.startswith("KKT point") for e in evidence.entries)
    assert math.isnan(evidence.entries[-1].violation) and checker.decide(evidence) is Verdict.INCONCLUSIVE
    assert "not certified" in evidence.note


def test_a_certificate_above_the_threshold_does_not_count(monkeypatch):
    problem, _ = _instance()
    X, z = torch.as_tensor(problem.X, dtype=DTYPE), torch.as_tensor(problem.z, dtype=DTYPE)
    u = problem.net.random_unit(1, torch.Generator().manual_seed(0))[0]
    monkeypatch.setattr(clarke, "polish_kkt", lambda net, u, X, z, **kw: Polish(u, 1.0, 5e-10, True))
    assert certify_kkt(problem.net, u, X, z, max_residual=1e-10) is None


def test_certified_points_carry_the_polish_certificate():
    for act in (Activation(0.0, 1), Activation(0.5, 2)):
        problem, seed = _instance(act.alpha, act.p)
        evidence = KKTBalance().claim((problem, seed), Context())
        m = evidence.measurements
        assert m.kkt_points >= 1 and m.kkt_residual <= KKTBalance.certified_residual
        assert KKTBalance().decide(evidence) is Verdict.PASS


def test_balance_mutants_are_killed_only_at_kkt_points():
    # issue 12: every 'factor' mutant used to be killed by the rescaling identity at a random point. The mechanism now
    # has its own factor: the balance mutants leave it true and only the certified KKT points can refute them
    instance = _instance(0.0, 2)
    for name in ("factor p+1", "factor 1", "norms, not squares"):
        mutant = next(m for m in KKTBalance.mutants if m.name == name).apply(KKTBalance())
        evidence = mutant.claim(instance, Context())
        failed = [e for e in evidence.entries if mutant.decide_entry(e) is Verdict.FAIL]
        assert failed and all(e.label.startswith("KKT point") for e in failed), name
        assert mutant.obligations() and all(o.holds for o in mutant.obligations())
    mechanism = next(m for m in KKTBalance.mutants if m.name == "mechanism factor p+1").apply(KKTBalance())
    failed = [e for e in mechanism.claim(instance, Context()).entries if mechanism.decide_entry(e) is Verdict.FAIL]
    assert failed and all("mechanism" in e.label for e in failed)
