"""edc.lemma18: PASS under ci with every mutant killed; the digest's T9 witness; β exact; each mutant refuted numerically."""

import math

import numpy as np
import torch

from theorems.early_directional.lemma18 import DENSE, DIAGONAL, TwoHomogeneousFinite, dense_linear, diagonal_linear, witness
from verify.checker import Context, Verdict
from verify.flow import ncf_flow
from verify.nets import DTYPE, Activation, FeedForward
from verify.strategies import Dataset, NCFProblem

from ..ci_run import passes_ci_with_every_mutant_killed


def test_ci_pass_and_every_mutant_killed():
    passes_ci_with_every_mutant_killed(TwoHomogeneousFinite())


def test_t9_witness_u1u2_from_10_10():
    # N(u) = u1u2 (β = ½, ‖z‖ = 1), u0 = (10, 10), T = 1: ‖u(1)‖² = 200e² ≈ 1478, the printed bound 200 + e² ≈ 207
    problem = witness()
    X, z = torch.as_tensor(problem.X, dtype=DTYPE), torch.as_tensor(problem.z, dtype=DTYPE)
    flow = ncf_flow(problem.net, X, z)
    u0 = torch.tensor([10.0, 10.0], dtype=DTYPE)
    assert float(flow.potential(u0[None])[0][0]) == 100.0  # N(u0) = u1u2
    checker = TwoHomogeneousFinite()
    entries, growth, slack, _, note = checker.along(flow, u0, np.array([1.0]), 0.5, "witness")
    assert not note and all(checker.decide_entry(e) is Verdict.PASS for e in entries)
    assert math.isclose(200 * growth[0], 200 * math.e**2, rel_tol=1e-10) and abs(slack) < 1e-10  # tight
    printed = next(m for m in checker.mutants if m.name.startswith("printed")).apply(checker)
    assert math.isclose(printed.envelope(200.0, 0.5), 200 + math.e**2)
    entries, *_ = printed.along(flow, u0, np.array([1.0]), 0.5, "witness")
    assert any(printed.decide_entry(e) is Verdict.FAIL for e in entries)


def test_beta_is_attained_and_not_exceeded():
    X = torch.as_tensor(Dataset("gaussian", 7, 4, 3).X, dtype=DTYPE)
    gen = torch.Generator().manual_seed(0)
    for net in (dense_linear(FeedForward((4, 3, 2), Activation(1.0, 1)), X), diagonal_linear(X)):
        assert math.isclose(float(net.w_beta.norm()), 1.0) and math.isclose(float(net.H_beta.norm()), net.beta, rel_tol=1e-14)
        flow = net.flow_for(torch.zeros_like(net.H_beta))
        assert flow.degree == 2
        w = torch.randn(2000, net.n_params, generator=gen, dtype=DTYPE)
        w = w / w.norm(dim=1, keepdim=True)
        if net.kind.startswith("dense"):
            Ws = FeedForward((4, 3, 2), Activation(1.0, 1)).split(w)
            H = X @ Ws[0].transpose(-1, -2) @ Ws[1].transpose(-1, -2)
        else:
            H = (w[:, :4] * w[:, 4:]) @ X.T
        assert float(H.flatten(1).norm(dim=1).max()) <= net.beta * (1 + 1e-12)


def test_every_mutant_is_refuted_by_the_flow_not_only_symbolically():
    checker = TwoHomogeneousFinite()
    for arch in (DENSE, DIAGONAL):
        problem = NCFProblem(FeedForward((3, 2, 1), Activation(1.0, 1)), Dataset("gaussian", 6, 3, 1), 2)
        instance = (problem, arch, 5)
        assert checker.decide(checker.claim(instance, Context())) is Verdict.PASS
        for mutant in checker.mutants:
            mutated = mutant.apply(checker)
            assert mutated.decide(mutated.claim(instance, Context())) is Verdict.FAIL, (arch, mutant.name)


def test_vanishing_data_is_undecided():
    problem = NCFProblem(FeedForward((2, 2, 1), Activation(1.0, 1)), Dataset("gaussian", 4, 2, 1), 0, "given", np.zeros((4, 1)))
    checker = TwoHomogeneousFinite()
    assert checker.decide(checker.claim((problem, DENSE, 0), Context())) is Verdict.INCONCLUSIVE
