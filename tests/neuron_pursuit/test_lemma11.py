"""np.lemma11: PASS under ci with every mutant killed; the closed-form blow-up times; each wrong selection refuted on the
mode built to tell it apart (and only there); a start with G(w0) = 0 is undecided."""

import math

import numpy as np
import torch

from tests.ci_run import passes_ci_with_every_mutant_killed
from theorems.neuron_pursuit.lemma11 import BlowUpBlocks, BlowUpTimeSelection, Far, _monomial_flow, _product_flow
from verify.checker import Context, Verdict
from verify.flow import blow_up
from verify.nets import DTYPE, Activation, FeedForward
from verify.strategies import Dataset, NCFProblem


def test_ci_pass_and_every_mutant_killed():
    passes_ci_with_every_mutant_killed(BlowUpTimeSelection())


def test_closed_form_blow_up_times():
    c = 0.7
    one = blow_up(_monomial_flow(3, c), torch.ones(1, dtype=DTYPE))
    assert abs(one.T_star - 1 / (3 * c)) < 1e-9 / c  # w(t) = 1/(1 − 3ct)
    star = torch.ones(3, dtype=DTYPE) / math.sqrt(3)  # KKT point of w1w2w3, G* = 3^{−3/2}: T = 1/(3G*) on its ray
    ray = blow_up(_product_flow(3), star)
    assert abs(ray.T_star - 3**1.5 / 3) < 1e-9 and np.allclose(ray.direction, star.numpy(), atol=1e-12)


def test_each_selection_mutant_fails_on_its_own_mode_only():
    checker = BlowUpTimeSelection()
    by_name = {m.name: m.apply(checker) for m in checker.mutants}
    start = BlowUpBlocks(Far("product", 3, 0), "start", 0.25, 1)  # A wins, B has the larger G(w0)
    kkt = BlowUpBlocks(Far("product", 4, 10371), "kkt", 0.3, 2)  # B (twice) wins, A has the larger G(w*)
    for instance, refuted, spared in ((start, "largest G_i(w_i0) wins", "selection by G_i(w_i*)"),
                                      (kkt, "selection by G_i(w_i*)", "largest G_i(w_i0) wins")):
        evidence = checker.claim(instance, Context())
        assert checker.decide(evidence) is Verdict.PASS
        m = evidence.measurements
        assert m.T_A_lower < m.T_A < m.T_A_upper and abs(m.T_B - m.T_B_bracket) < 1e-8 * m.T_B
        assert abs(m.winner_share - m.winner_limit) < 1e-9 and abs(m.loser_power * (m.q - 2) - 1) < 1e-6
        assert by_name[refuted].decide(by_name[refuted].claim(instance, Context())) is Verdict.FAIL
        assert by_name[spared].decide(by_name[spared].claim(instance, Context())) is Verdict.PASS
    reversed_bracket = by_name["bracket reversed"]  # T_A is strictly inside (27), so the swapped ends exclude it
    assert reversed_bracket.decide(reversed_bracket.claim(start, Context())) is Verdict.FAIL


def test_no_positive_start_is_undecided():
    problem = NCFProblem(FeedForward((2, 2, 1), Activation(0.0, 2)), Dataset("gaussian", 5, 2, 0), 0, "given", np.zeros((5, 1)))
    checker = BlowUpTimeSelection()
    assert checker.decide(checker.claim(BlowUpBlocks(Far("ncf", 3, 0, problem), "start", 0.5, 1), Context())) is Verdict.INCONCLUSIVE
