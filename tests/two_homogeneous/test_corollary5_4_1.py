"""dc2.corollary5_4_1: PASS under ci with every mutant killed; a net with two growing blocks and a vanishing one passes
block by block, each growing block aligned with its own KKT point."""

from theorems.two_homogeneous.corollary5_4_1 import SeparableDirections
from theorems.two_homogeneous.squared_relu import SquaredReLULayer
from verify.checker import Context, Verdict
from verify.strategies import Dataset

from ..ci_run import passes_ci_with_every_mutant_killed


def test_ci_pass_and_every_mutant_killed():
    passes_ci_with_every_mutant_killed(SeparableDirections())


def test_two_growing_blocks_and_a_vanishing_one():
    # Figure 1's labels (y > 0): the p = +1 neurons grow, the p = −1 neuron vanishes
    checker = SeparableDirections()
    instance = (SquaredReLULayer((1, 1, -1), 2, 0.2), "fig1", Dataset("circle", 12, 2, 0), 0.1, 0)
    evidence = checker.claim(instance, Context())
    m = evidence.measurements
    assert m.cases == ("A", "A", "B") and checker.decide(evidence) is Verdict.PASS
    bound = 1 - (1 + 3 / (2 * m.eta)) * m.eps
    for norms, cosines in zip(m.block_norm_T, m.block_cosine, strict=True):
        assert norms[2] <= 2 * m.eps and min(cosines[:2]) >= bound and min(norms[:2]) >= m.eta
