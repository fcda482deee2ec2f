"""dc2.lemma5_2: PASS under ci with every mutant killed; the batched rescaled rows are the training flow itself; the
aligned start runs near the envelope."""

import numpy as np
import torch
from hypothesis import find

from theorems.two_homogeneous.lemma5_2 import SmallInitialisationDynamics
from theorems.two_homogeneous.squared_relu import SquaredReLULayer, labels
from verify.checker import Context
from verify.flow import integrate, integrate_batch, random_start, rescaled_start, rescaled_training_flow
from verify.nets import DTYPE

from ..ci_run import passes_ci_with_every_mutant_killed


def test_ci_pass_and_every_mutant_killed():
    passes_ci_with_every_mutant_killed(SmallInitialisationDynamics())


def test_a_rescaled_row_is_w_over_delta_of_the_training_flow():
    net = SquaredReLULayer((1, -1, 1), 2, 0.2)
    Xn = np.random.default_rng(3).standard_normal((12, 2))
    X = torch.as_tensor(Xn, dtype=DTYPE)
    y = torch.as_tensor(5 * np.maximum(Xn[:, 0], 0) ** 2 + 4 * np.maximum(-Xn[:, 0], 0) ** 2, dtype=DTYPE)
    w0, delta, T = random_start(net.n_params, 4, 1.0), 0.01, 0.05
    loss = net.loss_flow(X, y)
    row = integrate_batch(rescaled_training_flow(loss, net.ncf_flow(X, y)), rescaled_start(w0, [delta]), T,
                          rtol=1e-12, atol=1e-14).u_end[0, :-1].numpy()
    w = integrate(loss, delta * w0, T, rtol=1e-12, atol=1e-16).u[-1]  # two-homogeneous: no change of time scale
    assert np.abs(row - w / delta).max() <= 1e-9


def test_the_aligned_start_grows_at_a_fixed_fraction_of_the_envelope_rate():
    checker = SmallInitialisationDynamics()
    instance = find(checker.hypotheses(), lambda inst: inst[2] == "aligned")
    net, data, _, seed = instance
    y, w0 = labels("aligned", data.X, net, seed)
    m = checker.claim(instance, Context()).measurements
    kappa = m.label_norm / m.beta_lower  # ‖y‖ = κβ: the growth is κ/(1 + κ) of the envelope's 4ββ̃ at t = 0
    assert abs(m.initial_growth_fraction - kappa / (1 + kappa)) < 1e-3 and np.linalg.norm(w0) == 1.0
    assert max(m.norm_ratio) > 0.1 and m.order > 1.9
