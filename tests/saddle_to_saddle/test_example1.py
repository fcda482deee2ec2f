"""s2s.example1: the claim checks the witness, the brackets on s1 and every rank-one search, each on its own."""

import copy
import math

import torch

from theorems.saddle_to_saddle.circle import example1_data
from theorems.saddle_to_saddle.example1 import Example1Instance, Example1RankTwo, rank_one_parameters, rank_one_search
from verify.checker import Context, Verdict
from verify.ncf import ncf


def _cheaper(checker, **settings):
    """A copy of a checker with a smaller search (fewer runs, steps)."""
    checker = copy.copy(checker)
    for name, value in settings.items():
        assert hasattr(checker, name)
        setattr(checker, name, value)
    return checker


def test_example1_checks_the_witness_the_brackets_and_every_rank_one_run():
    checker = _cheaper(Example1RankTwo(), rank_one_runs=3, rank_one_steps=40)
    evidence = checker.claim(Example1Instance(5, 2, 3), Context())
    labels = [e.label for e in evidence.entries]
    assert labels[:3] == ["witness speed", "witness ranks", "witness Clarke residual"]
    assert labels[-3:] == [f"rank-one run {i}: speed <= s1" for i in (1, 2, 3)]
    assert checker.decide(evidence) is Verdict.PASS
    assert evidence.measurements.rank_one_runs == 3 and evidence.measurements.rank_one_best <= math.sqrt(2) - 1
    assert evidence.measurements.printed_witness_speed == -0.5 and evidence.measurements.witness_speed == 0.5


def test_the_printed_witness_fails_on_its_own_entries_and_the_searches_are_skipped():
    checker = _cheaper(Example1RankTwo(), rank_one_runs=3, rank_one_steps=40)
    printed = next(m for m in Example1RankTwo.mutants if m.name.startswith("eq. (2)")).apply(checker)
    evidence = printed.claim(Example1Instance(5, 2, 3), Context())
    assert printed.decide(evidence) is Verdict.FAIL and not any(e.label.startswith("rank-one") for e in evidence.entries)
    assert "witness speed" in evidence.note and math.isnan(evidence.measurements.rank_one_best)


def test_rank_one_parameters_are_rank_one_and_the_search_reaches_s1():
    factors = torch.randn(4, 2 * 3 + 2 * 2 + 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    from theorems.saddle_to_saddle.escape import numerical_rank, relu_mlp

    net = relu_mlp((2, 3, 2, 1))
    for W in net.split(rank_one_parameters(factors, 3, 2)):
        assert bool((numerical_rank(W) == 1).all())
    X, G = (torch.as_tensor(a) for a in example1_data())
    best = rank_one_search(X, G, 3, 2, runs=16, steps=300, seed=1)
    assert float(best.max()) <= math.sqrt(2) - 1 + 1e-12 and float(best.max()) > math.sqrt(2) - 1 - 1e-4
    # the searched speed is the speed of the rank-one θ on ‖θ‖² = 3
    theta = rank_one_parameters(factors, 3, 2)
    speed = -ncf(net, math.sqrt(3) * theta / theta.norm(dim=-1, keepdim=True), X, G)
    assert bool((speed <= math.sqrt(2) - 1 + 1e-12).all())
