"""dc2.lemma5_3: PASS under ci with every mutant killed; the three outcomes of a quadratic NCF; the printed (iii) fails."""

import math

import numpy as np

from theorems.two_homogeneous.lemma5_3 import AbsProductCase, DirectionalConvergence, QuadraticCase, Start, closed_form_path
from verify.checker import Context, Verdict

from ..ci_run import passes_ci_with_every_mutant_killed


def test_ci_pass_and_every_mutant_killed():
    passes_ci_with_every_mutant_killed(DirectionalConvergence())


def test_a_quadratic_ncf_shows_all_three_outcomes():
    # growth (twice: from N(u0) > 0 and from N(u0) < 0), the top eigenvalue present exactly 0 (N → 0, u ↛ 0), decay
    checker = DirectionalConvergence()
    evidence = checker.claim(QuadraticCase(1, 3.0, 0), Context())
    m = evidence.measurements
    assert checker.decide(evidence) is Verdict.PASS
    assert m.outcomes == "growth, growth, stall, decay"
    assert m.kkt_residual < 1e-12 and m.cauchy < 1e-12 and abs(m.min_limit_value) < 1e-12  # the stall's value is 0
    assert m.c8_defect < 1e-9 and m.c9_drop < 1e-12


def test_the_printed_iii_fails_where_u_tends_to_0():
    # a negative definite part: u → 0 and the direction → the top eigenvector present, a KKT point of value −1/2·‖A‖…;
    # for u1|u2| from (−a, ±a): u = e^{−t}z, direction → a KKT point with f = −1/2
    checker = DirectionalConvergence()
    printed = next(m for m in checker.mutants if m.name == "(iii) as printed").apply(checker)
    for instance in (QuadraticCase(1, 3.0, 0), AbsProductCase(1.3, 0.4, -1.0, 1.0)):
        assert checker.decide(checker.claim(instance, Context())) is Verdict.PASS
        evidence = printed.claim(instance, Context())
        assert evidence.measurements.vanishing_limit_value < -0.1
        assert printed.decide(evidence) is Verdict.FAIL


def test_the_branching_start_of_u1_u2_both_solutions_are_decided():
    # "for any solution": from (c, 0) the resting one (N = 0, direction (1, 0)) and one escaping at T = 1
    checker = DirectionalConvergence()
    evidence = checker.claim(AbsProductCase(1.3, 0.4, 1.0, 1.0), Context())
    labels = [e.label for e in evidence.entries]
    assert any("branching start, escaping" in x for x in labels) and any("branching start, resting" in x for x in labels)
    assert checker.decide(evidence) is Verdict.PASS


def test_a_direction_that_never_settles_is_undecided_not_a_pass():
    # a path rotating for ever (not a gradient flow): closed_form_path refuses to read limits from it
    start = Start("rotation", 1.0, np.array([1.0, 0.0]), lambda s: np.zeros(len(s)), lambda s: 1.0, 1.0)
    path = closed_form_path(lambda t: (np.array([math.cos(t), math.sin(t)]), 0.0), start, 1.0, 1e3)
    assert isinstance(path, str) and "did not settle" in path
