"""dc2.lemmaC3: PASS under ci with its mutant killed; β's bracket; the tight starts run along the envelopes."""

import math

import torch
from hypothesis import find

from theorems.two_homogeneous.lemmaC3 import NCFEnvelopes, beta_bracket
from verify.checker import Context
from verify.nets import DTYPE, Activation

from ..ci_run import passes_ci_with_every_mutant_killed


def test_ci_pass_and_every_mutant_killed():
    passes_ci_with_every_mutant_killed(NCFEnvelopes())


def test_the_beta_bracket_holds_the_value_at_every_direction_and_is_narrow():
    # ReLU two-layer, 50 unit inputs at even angles: β = ½ sup_w ‖max(Xw, 0)‖ ≥ the value at any w, e.g. an input
    angles = torch.arange(50, dtype=DTYPE) * (2 * math.pi / 50)
    X = torch.stack([angles.cos(), angles.sin()], dim=1)
    beta = beta_bracket(X, Activation(0.0, 1))
    at_input = 0.5 * math.sqrt(sum(max(0.0, math.cos(a)) ** 2 for a in angles.tolist()))
    assert beta.lower >= at_input - 1e-12 and 0 <= beta.upper - beta.lower < 1e-4


def test_the_tight_starts_follow_the_envelopes():
    checker = NCFEnvelopes()
    instance = find(checker.hypotheses(), lambda inst: inst[0].net.activation.alpha == 1.0)  # a linear net
    evidence = checker.claim(instance, Context())
    lows, ups = evidence.measurements.lower_margins, evidence.measurements.upper_margins
    assert abs(lows[1]) < 1e-4 and abs(ups[2]) < 1e-4  # decay along the lower, growth along the upper envelope
