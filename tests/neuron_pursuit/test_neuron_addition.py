"""The numerics behind np.lemma13: the dominant neuron of NP Algorithm 1 lines 18–32 and the decrease in mpmath."""

import math

import numpy as np
import torch

from theorems.neuron_pursuit.neuron_addition import (
    TrainedNetwork,
    add_dominant_neuron,
    local_orders,
    precise_decrease,
    study_neuron_addition,
)
from verify.nets import Activation, FeedForward
from verify.pursuit import append_neuron, squared_loss
from verify.strategies import Dataset


def _problem(act, widths=(3, 3, 2, 1), steps=25, seed=0):
    return TrainedNetwork(FeedForward(widths, act), Dataset("gaussian", 20, widths[0], seed), seed + 1, seed + 2, steps)


def test_the_mpmath_decrease_is_the_float64_one_where_float64_resolves_it():
    # Ŵ(δ) = base + δ·direction with the engine's append_neuron; at a large δ float64 resolves the decrease
    net = FeedForward((3, 2, 2, 1), Activation(0.3, 2))
    u = net.random_unit(1, torch.Generator().manual_seed(0), "cpu")[0]
    X, y = torch.randn(7, 3, dtype=torch.float64), torch.randn(7, 1, dtype=torch.float64)
    a, b = torch.randn(3, dtype=torch.float64), torch.randn(2, dtype=torch.float64)
    grown, base = append_neuron(net, u, 1, torch.zeros(3, dtype=torch.float64), torch.zeros(2, dtype=torch.float64))
    direction = append_neuron(net, u, 1, a, b)[1] - base
    torch.testing.assert_close(grown(base, X), net(u, X), rtol=0, atol=0)  # an inactive neuron changes nothing
    deltas = torch.tensor([0.5, 0.25], dtype=torch.float64)
    precise = precise_decrease(net, grown, u, base, direction, X, y, deltas)
    direct = squared_loss(net, u, X, y, 1.0) - squared_loss(grown, base + deltas[:, None] * direction, X, y, 1.0)
    torch.testing.assert_close(precise, direct, rtol=1e-10, atol=1e-14)


def test_last_hidden_layer_expansion_is_exact():
    # np digest L13 (derived): for l* = L-1 the new neuron adds exactly δ^{p+1} b̂ σ(âᵀg), so
    # L(W̄) − L(Ŵ(δ)) = 2ζδ^{p+1} − δ^{2(p+1)}‖H_{1,L-1}‖² for every σ
    problem = _problem(Activation(0.5, 1), widths=(3, 4, 1))
    add = study_neuron_addition(problem, 0, torch.device("cpu"))
    assert add.layer == 1 and add.zeta > 0
    q = 2
    predicted = 2 * add.zeta * add.deltas**q - add.deltas ** (2 * q) * add.h1_norm2
    torch.testing.assert_close(add.decrease, predicted, rtol=1e-9, atol=1e-30)


def test_decrease_has_order_p_plus_one_and_coefficient_two_zeta():
    add = study_neuron_addition(_problem(Activation(1.0, 2)), 3, torch.device("cpu"))
    d, D, slopes, coefs = local_orders(add, 3)
    assert len(d) >= 3 and bool((D[-3:] > 0).all())
    assert abs(float(slopes[-1]) - 3) < 1e-6
    assert abs(float(coefs[-1]) / (2 * add.zeta) - 1) < 1e-6
    assert add.first_order == 0.0  # the new coordinates enter H with degree p+1 >= 2


def test_mpmath_decrease_matches_float64_where_float64_resolves_it():
    problem = _problem(Activation(1.0, 2))
    net = problem.net
    X, y = problem.tensors(torch.device("cpu"))
    w = net.random_unit(1, torch.Generator().manual_seed(5), "cpu")[0]
    add = add_dominant_neuron(net, w, X, y, seed=0, n_deltas=4)
    grown = FeedForward((3, 4, 2, 1), net.activation) if add.layer == 1 else FeedForward((3, 3, 3, 1), net.activation)
    assert grown.n_params > net.n_params
    base = float(squared_loss(net, w, X, y, 1.0))
    assert math.isfinite(base) and np.all(np.isfinite(add.decrease.numpy()))


def test_lemma13_small_zeta_is_inconclusive_as_its_text_says(monkeypatch):
    # issue 12: text and code disagreed on instances whose ζ is not positive to float64 accuracy; both now say
    # inconclusive (a hypothesis reject() inside a claim would have been recorded as a crash of the checker)
    import dataclasses

    import theorems.neuron_pursuit.lemma13 as lemma13
    from verify.checker import Context, Verdict

    real = study_neuron_addition
    monkeypatch.setattr(lemma13, "study_neuron_addition", lambda *a: dataclasses.replace(real(*a), zeta=0.0))
    checker = lemma13.NeuronAdditionDescent()
    evidence = checker.claim((_problem(Activation(1.0, 2)), 3), Context())
    assert checker.decide(evidence) is Verdict.INCONCLUSIVE and "not positive to float64 accuracy" in evidence.note
    assert "inconclusive" in checker.hypotheses_text and "discarded" not in checker.hypotheses_text
