"""dc2.lemma5_6: PASS under ci with every mutant killed; the exact numbers of the D.3 saddle; the flat-arc rule."""

import math

import pytest
import torch

from theorems.two_homogeneous.lemma5_6 import D3, SaddleInstance, SaddleStationarity, flat_arc_rule
from verify.checker import Context, Verdict
from verify.nets import DTYPE

from ..ci_run import passes_ci_with_every_mutant_killed


def test_ci_pass_and_every_mutant_killed():
    passes_ci_with_every_mutant_killed(SaddleStationarity())


def test_the_d3_saddle_s_exact_numbers():
    checker = SaddleStationarity()
    evidence = checker.claim(D3, Context())
    assert checker.decide(evidence) is Verdict.PASS
    m = evidence.measurements
    assert m.loss == pytest.approx(75.0, abs=1e-12)  # ½Σ ȳ² = 8Σ_{x1<0} x1⁴ over 50 evenly spaced angles
    assert m.norm_wn == pytest.approx(math.sqrt(5), abs=1e-14)
    assert m.grad_n * m.gradient_scale < 1e-12 and m.grad_z == 0.0  # the digest's 2.7e-14 (sum loss)
    assert m.N_at_pi == pytest.approx(37.5, abs=1e-12) and m.N_max == pytest.approx(37.5, abs=1e-12)
    assert m.escape_claimed == pytest.approx(-37.5, abs=1e-12)  # −2cN_ȳ(π) with c = ½
    for measured, rule in zip(m.arc_measured_deg, m.arc_rule_deg):
        assert abs(measured) == pytest.approx(3.6, abs=1e-9) and rule == pytest.approx(measured, abs=1e-9)


def test_the_printed_residual_factor_fails_on_d3():
    checker = SaddleStationarity()
    mutated = next(m for m in checker.mutants if m.name.startswith("residual")).apply(checker)
    evidence = mutated.claim(D3, Context())
    assert mutated.decide(evidence) is Verdict.FAIL
    failed = [e for e in evidence.entries if mutated.decide_entry(e) is Verdict.FAIL]
    assert [e.label for e in failed] == ["ȳ = y − H_n(X; w̄_n) = 5·max(0, −x1)²"]


@pytest.mark.parametrize("n", [8, 12, 50, 51])
def test_evenly_spaced_arc_is_the_gap_above_the_x2_axis(n):
    # φ_j = −π + 2πj/n: the arc's upper end is the first grid angle in the left half-plane minus π/2
    X = torch.as_tensor(SaddleInstance("even", n, 1, 2, "equal", "sum", 1.0, 1.0, 0).inputs_array(), dtype=DTYPE)
    left = [(-math.pi + 2 * math.pi * j / n) % (2 * math.pi) for j in range(n)]
    gap = min(p for p in left if math.cos(p) < 0) - math.pi / 2
    low, high = flat_arc_rule(X)
    assert high == pytest.approx(gap, abs=1e-12)
    evidence = SaddleStationarity().claim(SaddleInstance("even", n, 3, 5, "equal", "mean", 2.0, 3.0, 0), Context())
    assert evidence.measurements.arc_measured_deg[1] == pytest.approx(math.degrees(gap), abs=1e-9)
