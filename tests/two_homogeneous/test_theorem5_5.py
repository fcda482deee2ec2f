"""dc2.theorem5_5: PASS under ci with every mutant killed; the rescaled rows are the training flow near the saddle and
the δ = 0 row is the residual's NCF flow; Figure 4's own network (10 zero neurons) passes; the printed bound Cδ² fails
at t = 0; 4N_max ≤ 2M₂ (the corrected window can hold)."""

import math

import numpy as np
import torch

from theorems.two_homogeneous.lemma5_6 import D3, SaddleInstance, network
from theorems.two_homogeneous.squared_relu import SquaredReLULayer
from theorems.two_homogeneous.theorem5_5 import SaddleDirections, SaddleStart, saddle_and_constants, saddle_flow
from verify.checker import Context, Verdict
from verify.flow import integrate, integrate_batch, random_start
from verify.nets import DTYPE

from ..ci_run import passes_ci_with_every_mutant_killed

SMALL = SaddleInstance("random", 12, 2, 4, "random", "sum", 3.0, 2.0, 7)


def test_ci_pass_and_every_mutant_killed():
    passes_ci_with_every_mutant_killed(SaddleDirections())


def test_a_row_is_the_training_flow_and_the_limit_row_the_residual_ncf_flow():
    s, _ = saddle_and_constants(SMALL)
    K, m_z = s.w_n.shape[0], s.m_z
    zeta_n, zeta_z = random_start(2 * K, 1, 1.0), random_start(2 * m_z, 2, 1.0)
    delta, T = 0.01, 0.05
    rows = torch.stack([torch.cat([zeta_n, zeta_z, torch.tensor([d], dtype=DTYPE)]) for d in (0.0, delta)])
    end = integrate_batch(saddle_flow(s), rows, T, rtol=1e-12, atol=1e-14).u_end[:, :-1].numpy()
    # the plain loss ½‖H − y‖² of the whole layer (labels H_n(X; w̄_n) + ȳ: ȳ's rounding-level entries are 0 there)
    layer = SquaredReLULayer((1,) * (K + m_z), 2)
    labels = network(s.w_n, s.X) + s.residual
    w0 = torch.cat([s.w_n.reshape(-1) + delta * zeta_n, delta * zeta_z])
    w = integrate(layer.loss_flow(s.X, labels), w0, T, rtol=1e-12, atol=1e-16).u[-1]
    rescaled = np.concatenate([(w[:2 * K] - s.w_n.reshape(-1).numpy()) / delta, w[2 * K:] / delta])
    assert np.abs(end[1] - rescaled).max() <= 1e-8
    u = integrate(SquaredReLULayer((1,) * m_z, 2).ncf_flow(s.X, s.residual), zeta_z, T, rtol=1e-12, atol=1e-14).u[-1]
    assert np.abs(end[0, 2 * K:] - u).max() <= 1e-9 * max(1.0, np.abs(u).max())


def test_figure_4_network_passes():
    s, const = saddle_and_constants(D3)  # the paper's 20 neurons: 10 kept, 10 zero
    loss = 0.5 * float(((network(s.w_n, s.X) - s.y) ** 2).sum())
    assert abs(loss - 75.0) < 1e-10 and abs(float(s.w_n.norm()) - math.sqrt(5)) < 1e-12 and s.m_z == 10
    checker = SaddleDirections()
    evidence = checker.claim(SaddleStart(D3, 0.3, 0), Context())
    assert checker.decide(evidence) is Verdict.PASS, [e for e in evidence.entries if checker.decide_entry(e) is not Verdict.PASS]
    m = evidence.measurements
    assert abs(m.z_order - 2) < 0.05 and abs(m.wn_order - 1) < 0.05 and m.deviation_order > 0.9


def test_the_printed_bound_fails_at_t0_and_the_corrected_window_can_hold():
    instance = SaddleStart(SMALL, 0.3, 3)
    printed = SaddleDirections.mutants[0].apply(SaddleDirections())
    evidence = printed.claim(instance, Context())
    assert printed.decide(evidence) is Verdict.FAIL
    assert min(evidence.measurements.envelope_excess) >= math.log(2) - 1e-12  # Z(0) = 2δ² > Cδ² as C → 1
    for seed in range(5):
        _, const = saddle_and_constants(SaddleInstance("clusters", 16, 1, 2, "equal", "sum", 0.5, 500.0, seed))
        assert const.M2 < 4 * const.N_max <= 2 * const.M2  # the printed exponent M₂ is too small, 2M₂ is not
