"""edc.lemma13: PASS under ci with every mutant killed; on a start with N(u0) < 0 the norm first shrinks, the entries
start at the first grid time after the crossing, and dropping the hypothesis N(u(t0)) > 0 is refuted there."""

import math

import numpy as np

from theorems.early_directional.lemma13 import PositiveNCFMonotone
from verify.activations import Activation
from verify.checker import Context, Verdict
from verify.nets import FeedForward
from verify.strategies import Dataset, NCFProblem

from ..ci_run import passes_ci_with_every_mutant_killed

PROBLEM = NCFProblem(FeedForward((2, 4, 1), Activation(0.1, 2)), Dataset("gaussian", 7, 2, 5), 6188)


def _failed(mutant_name, instance):
    mutated = next(m for m in PositiveNCFMonotone.mutants if m.name == mutant_name).apply(PositiveNCFMonotone())
    return [e.label for e in mutated.claim(instance, Context()).entries if mutated.decide_entry(e) is Verdict.FAIL]


def test_ci_pass_and_every_mutant_killed():
    passes_ci_with_every_mutant_killed(PositiveNCFMonotone())


def test_a_crossing_start_is_decided_from_the_first_time_n_is_positive():
    instance = (PROBLEM, 11, 0.5, "crossing", 0.2)
    checker = PositiveNCFMonotone()
    evidence = checker.claim(instance, Context())
    m = evidence.measurements
    assert checker.decide(evidence) is Verdict.PASS
    assert m.N0 < 0 < m.t_cross < m.t0 and m.N_t0 > 0 and m.norm_decrease_before > 1e-6  # ‖u‖ shrank while N < 0
    assert m.norm2_end > m.norm2_t0 and m.N_end > m.N_t0 and m.norm_identity < 1e-10
    # the monotonicity claimed from t = 0 fails on the norm before the crossing (and only there)
    assert (failed := _failed("monotone from t = 0", instance)) and all(label.startswith("‖u(t_") for label in failed)
    assert _failed("‖u‖ non-increasing once N > 0", instance) and _failed("d‖u‖²/dt = L·N", instance)


def test_a_positive_start_has_t0_zero_and_growing_norm():
    evidence = PositiveNCFMonotone().claim((PROBLEM, 11, 1.5, "positive", 0.2), Context())
    m = evidence.measurements
    assert PositiveNCFMonotone().decide(evidence) is Verdict.PASS
    assert m.N0 > 0 and m.t0 == 0 and math.isnan(m.t_cross) and m.norm2_end > 1.5**2 and m.norm_decrease_before == 0


def test_a_correlation_vector_of_zeros_is_undecided():
    zero = NCFProblem(PROBLEM.net, PROBLEM.data, 0, "given", z_array=np.zeros(7))
    evidence = PositiveNCFMonotone().claim((zero, 11, 1.0, "crossing", 0.2), Context())
    assert PositiveNCFMonotone().decide(evidence) is Verdict.INCONCLUSIVE and "N = 0" in evidence.note
