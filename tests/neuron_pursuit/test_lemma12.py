"""np.lemma12: an identity at any unit Ŵ with ζ > 0, also decided at the certified dominant KKT point (issue 12)."""

import math

import torch

import verify.clarke as clarke
from theorems.neuron_pursuit.lemma12 import FirstIterationDescent
from verify.checker import Context, Verdict
from verify.clarke import Polish
from verify.nets import DTYPE, Activation, FeedForward
from verify.strategies import Dataset, NCFProblem


def _instance(alpha=0.0, p=1, widths=(3, 4, 1), seed=2):
    return NCFProblem(FeedForward(widths, Activation(alpha, p)), Dataset("gaussian", 12, widths[0], seed), seed + 1), seed + 2


def test_the_identity_holds_at_any_unit_point_with_positive_zeta():
    # neither dominance nor stationarity is used: a random unit point with ζ > 0 passes every entry
    problem, _ = _instance(0.5, 2, (3, 3, 2, 1))
    X, y = torch.as_tensor(problem.X, dtype=DTYPE), torch.as_tensor(problem.z, dtype=DTYPE)
    checker = FirstIterationDescent()
    units = problem.net.random_unit(32, torch.Generator().manual_seed(0))
    u = next(u for u in units if float((y * problem.net(u, X)).sum()) > 0)
    checked, m = checker._parts(problem.net, u, X, y, Context(), "random unit point")
    assert m.zeta > 0 and all(checker.decide_entry(e) is Verdict.PASS for e in checked)
    assert checker._parts(problem.net, u, X, -y, Context(), "random unit point") is None  # ζ < 0: outside the lemma


def test_the_lemma_is_decided_at_the_certified_dominant_kkt_point():
    checker = FirstIterationDescent()
    for act in (Activation(0.0, 1), Activation(1.0, 2)):
        evidence = checker.claim(_instance(act.alpha, act.p), Context())
        labels = [e.label for e in evidence.entries]
        assert any(label.startswith("certified dominant KKT point: boundary") for label in labels)
        assert any(label.startswith("unit point (ascent): boundary") for label in labels)
        m = evidence.measurements
        assert m.kkt_residual <= checker.certified_residual and m.zeta > 0 and m.zeta >= m.any_unit_zeta * (1 - 1e-9) - 1e-12
        assert checker.decide(evidence) is Verdict.PASS


def test_without_a_certified_kkt_point_the_lemma_is_undecided(monkeypatch):
    monkeypatch.setattr(clarke, "polish_kkt", lambda net, u, X, z, **k: Polish(u / u.norm(), 1.0, 8.3e-3, False))
    checker = FirstIterationDescent()
    evidence = checker.claim(_instance(), Context())
    assert math.isnan(evidence.entries[-1].violation) and checker.decide(evidence) is Verdict.INCONCLUSIVE
    assert not any(e.label.startswith("certified") for e in evidence.entries) and "not certified" in evidence.note
