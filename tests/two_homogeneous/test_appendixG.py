"""dc2.appendixG: PASS under ci with every mutant killed; the printed G.1 reading and v*² = 1/√2 fail."""

import math

from theorems.two_homogeneous.appendixG import MirroredData, MirroredDataClosedForms
from verify.checker import Context, Verdict

from ..ci_run import passes_ci_with_every_mutant_killed


def test_ci_pass_and_every_mutant_killed():
    passes_ci_with_every_mutant_killed(MirroredDataClosedForms())


def test_the_flows_agree_with_their_closed_forms_to_1e_9():
    checker = MirroredDataClosedForms()
    for case in ("G.1", "G.2"):
        evidence = checker.claim(MirroredData(case, 4, 3, 0.5, 7), Context())
        assert checker.decide(evidence) is Verdict.PASS
        assert evidence.measurements.flow_deviation <= 1e-9 and evidence.measurements.kkt_residual < 1e-12


def test_the_printed_g1_reading_is_refuted_by_numbers_too():
    checker = MirroredDataClosedForms()
    evidence = checker.claim(MirroredData("G.1", 3, 2, 0.0, 1), Context())
    assert evidence.measurements.identity_defect < 1e-13 and evidence.measurements.printed_identity_defect > 1e-2
    printed = next(m for m in checker.mutants if m.name == "G.1 as printed").apply(checker)
    assert printed.decide(printed.claim(MirroredData("G.1", 3, 2, 0.0, 1), Context())) is Verdict.FAIL


def test_the_printed_v_star_is_not_a_kkt_point():
    checker = MirroredDataClosedForms()
    printed = next(m for m in checker.mutants if m.name == "G.2 v*² = 1/√2 (printed)").apply(checker)
    evidence = printed.claim(MirroredData("G.2", 3, 2, 0.1, 3), Context())
    assert printed.decide(evidence) is Verdict.FAIL and math.isclose(evidence.measurements.closed_form_max,
                                                                    evidence.measurements.best_certified, rel_tol=1e-9)


def test_a_singular_m_has_kkt_eigenvectors_of_eigenvalue_zero():
    # d > n/2: M = Σ y_i x_i x_iᵀ has a null space; its eigenvectors are KKT points with λ* = 0 (found by dev, seed 0)
    checker = MirroredDataClosedForms()
    assert checker.decide(checker.claim(MirroredData("G.1", 2, 4, 0.5, 0), Context())) is Verdict.PASS
