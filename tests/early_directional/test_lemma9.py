"""edc.lemma9 on an instance where ∇N cancels to rounding noise (found by `homcheck run --profile dev`, seed 0)."""

from theorems.early_directional.lemma9 import NCFHomogeneity
from verify.checker import Context, Verdict
from verify.nets import Activation, FeedForward
from verify.strategies import Dataset, NCFProblem


def test_gradient_scaling_is_measured_against_its_summands_not_its_cancelled_value():
    # 6 points on the circle, z alternating: N(u) and ∇N(u) cancel to ~1e-17 by symmetry, yet the identity holds exactly
    problem = NCFProblem(FeedForward((2, 1, 1), Activation(0.0, 1)), Dataset("circle", 6, 2, 0), 0, "alternating")
    checker = NCFHomogeneity()
    evidence = checker.claim((problem, 1.5, 0), Context(device="cpu"))
    assert checker.decide(evidence) is Verdict.PASS
