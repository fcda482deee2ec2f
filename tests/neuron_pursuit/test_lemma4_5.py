"""np.lemma4 and np.lemma5: PASS under ci with every mutant killed; the tracking order and the zero block's order are
fitted with their standard errors; an instance with no zero neuron is undecided for np.lemma5, not a pass."""

from tests.ci_run import passes_ci_with_every_mutant_killed
from theorems.neuron_pursuit.lemma4 import EscapeTracking
from theorems.neuron_pursuit.lemma5 import SparsityUntilSaddle
from verify.checker import Context, Verdict
from verify.nets import Activation, FeedForward
from verify.strategies import Dataset, NCFProblem


def test_lemma4_ci_pass_and_every_mutant_killed():
    passes_ci_with_every_mutant_killed(EscapeTracking())


def test_lemma5_ci_pass_and_every_mutant_killed():
    passes_ci_with_every_mutant_killed(SparsityUntilSaddle())


def test_squared_net_tracks_at_order_one_and_the_printed_depth_shift_fails():
    instance = (NCFProblem(FeedForward((2, 2, 1), Activation(0.5, 2)), Dataset("gaussian", 8, 2, 4), 5, "teacher"), 3, 0.1)
    checker = EscapeTracking()
    evidence = checker.claim(instance, Context())
    m = evidence.measurements
    assert checker.decide(evidence) is Verdict.PASS
    assert abs(m.beta - 1) < 0.1 and m.beta_stderr < 0.05
    depth = next(mu for mu in checker.mutants if mu.name == "depth L in T_esc").apply(checker)
    assert depth.decide(depth.claim(instance, Context())) is Verdict.FAIL


def test_linear_net_has_no_zero_neuron_for_lemma5():
    instance = (NCFProblem(FeedForward((2, 2, 1), Activation(1.0, 1)), Dataset("gaussian", 8, 2, 4), 5, "teacher"), 3, 0.1)
    assert SparsityUntilSaddle().decide(SparsityUntilSaddle().claim(instance, Context())) is Verdict.INCONCLUSIVE
