"""np.theorem7: PASS under ci with every mutant killed; the vanishing and zero-KKT ('frozen') branches pass; a frozen
start refutes the full-NCF reading; the window T_ε/δ^{q−1} lets w_z escape the O(δ) regime."""

from tests.ci_run import passes_ci_with_every_mutant_killed
from theorems.neuron_pursuit.theorem7 import SaddleDynamics
from verify.checker import Context, Verdict


def test_ci_pass_and_every_mutant_killed():
    passes_ci_with_every_mutant_killed(SaddleDynamics())


def test_frozen_start_refutes_the_full_ncf_reading():
    checker = SaddleDynamics()
    instance = (1, 2, 1.2, 2.4, 0.2, 9, 0.06, "frozen")
    evidence = checker.claim(instance, Context())
    m = evidence.measurements
    assert checker.decide(evidence) is Verdict.PASS and m.branch == "rest" and abs(m.kkt_lambda) < 1e-12
    mutant = next(mu for mu in checker.mutants if mu.name == "aligned with a KKT point of the full NCF").apply(checker)
    assert mutant.decide(mutant.claim(instance, Context())) is Verdict.FAIL


def test_vanishing_branch():
    checker = SaddleDynamics()
    evidence = checker.claim((1, 2, 1.1, 2.0, 0.25, 3, 0.1, "vanish"), Context())
    m = evidence.measurements
    assert checker.decide(evidence) is Verdict.PASS and m.branch == "vanish"
    assert all(n <= 2 * m.eps for n in m.norm_end)


def test_static_lojasiewicz_entries_and_exponent_mutant():
    checker = SaddleDynamics()
    instance = (2, 2, 1.0, 2.0, 0.25, 0, 0.1, "escape")
    m = checker.claim(instance, Context()).measurements
    assert abs(m.theta_fit - 0.5) < 0.1 and m.pl_ratio >= m.mu_squared and m.wn_order > m.beta_1
    mutant = next(mu for mu in checker.mutants if mu.name.startswith("Łojasiewicz")).apply(checker)
    assert mutant.decide(mutant.claim(instance, Context())) is Verdict.FAIL
