"""s2s.prop3_2: every θ and every property of the construction is an entry, plus the depth anchor on Example 1's data."""

import copy
import math

import torch

import theorems.saddle_to_saddle.prop3_2
from theorems.saddle_to_saddle.prop3_2 import DeepeningInstance, DepthMonotonicity
from verify.checker import Context, Verdict


def test_prop3_2_checks_every_theta_and_the_depth_anchor():
    checker = copy.copy(DepthMonotonicity())
    checker.thetas_per_instance = 2
    evidence = checker.claim(DeepeningInstance((3, 2, 2, 1), 6, 2, 3, 4), Context())
    labels = [e.label for e in evidence.entries]
    thetas = evidence.measurements.thetas
    assert labels[0] == "depth of θ' = L+k" and len(labels) == len(set(labels))
    # per θ: 6 norm / loss checks, rank W'_l and Z'_l for l = 3..5, Z'_l = Z'^σ_l for l = 3, 4
    assert sum(label.startswith("θ ") for label in labels) == thetas * (6 + 2 * 3 + 2)
    assert labels[-1] == "s*(3) vs s*(2) on Example 1's data"
    assert all(e.violation >= 0 for e in evidence.entries) and checker.decide(evidence) is Verdict.PASS
    m = evidence.measurements
    assert m.s3_lower == 0.5 and math.sqrt(2) - 1 <= m.s2_upper < math.sqrt(2) - 1 + 1e-6


def test_the_decreasing_mutant_is_refuted_by_the_anchor_alone():
    checker = DepthMonotonicity()
    mutant = next(m for m in DepthMonotonicity.mutants if m.name == "s*(L+1) < s*(L)").apply(checker)
    evidence = mutant.claim(DeepeningInstance((3, 2, 1), 5, 1, 2, 0), Context())
    failed = [e.label for e in evidence.entries if mutant.decide_entry(e) is Verdict.FAIL]
    assert failed == ["s*(3) vs s*(2) on Example 1's data"]


def test_prop3_2_without_an_escaping_theta_is_undecided(monkeypatch):
    monkeypatch.setattr(theorems.saddle_to_saddle.prop3_2, "random_escaping_parameters",
                        lambda net, *args: torch.zeros(0, net.n_params))
    checker = DepthMonotonicity()
    evidence = checker.claim(DeepeningInstance((3, 2, 1), 4, 1, 2, 0), Context())
    assert checker.decide(evidence) is Verdict.INCONCLUSIVE and "hypothesis not met" in evidence.note
