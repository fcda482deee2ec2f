"""The s2s support modules: escape.py (localized loss, speed, escape directions, the Prop. 3.2
construction, projected gradient descent, the depth sweep), circle.py (Example 1's data and exact values,
the one-neuron certificate) and speed_bounds.py (brackets on s*(L))."""

import math

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given
from hypothesis import strategies as st

from theorems.saddle_to_saddle.circle import (
    example1_data,
    example1_exact,
    one_neuron_certificate,
    one_neuron_scan,
    sym_relu,
    witness_parameters,
)
from theorems.saddle_to_saddle.escape import (
    deepen,
    depth_sweep,
    escape_direction_check,
    escape_speed,
    estimate_optimal_speed,
    localized_loss,
    nonlinearity,
    numerical_rank,
    projected_gradient_descent,
    relu_mlp,
    spectral_tail,
    to_sphere,
)
from theorems.saddle_to_saddle.prop3_2 import random_escaping_parameters
from theorems.saddle_to_saddle.speed_bounds import SearchBudget, h6_bound, speed_brackets
from verify.activations import Activation
from verify.errors import InputError
from verify.ncf import ncf, ncf_and_grad
from verify.nets import FeedForward
from verify.strategies import seeds


def _problem(widths, n=7, seed=0):
    rng = np.random.default_rng(seed)
    net = relu_mlp(widths)
    X, G = rng.standard_normal((n, widths[0])), rng.standard_normal((n, widths[-1]))
    theta = torch.as_tensor(rng.standard_normal((4, net.n_params)))
    return net, X, G, theta


def test_localized_loss_is_the_trace_in_the_papers_layout():
    # Z_ℓ = W_ℓ Z^σ_{ℓ−1} with samples as columns, L0 = Tr[Gᵀ Z_L] (s2s §2)
    net, X, G, theta = _problem((3, 4, 5, 2))
    Ws = [W.numpy() for W in net.split(theta[0])]
    Z = X.T
    for l, W in enumerate(Ws):
        Z = W @ (Z if l == 0 else np.maximum(Z, 0))
    assert float(localized_loss(net, theta[0], X, G)) == pytest.approx(np.trace(G @ Z), rel=1e-12)


def test_homogeneity_speed_and_ncf_correspondence():
    net, X, G, theta = _problem((3, 4, 5, 2))
    L = net.depth
    torch.testing.assert_close(localized_loss(net, 2.5 * theta, X, G), 2.5**L * localized_loss(net, theta, X, G))
    rho = to_sphere(theta, L)
    torch.testing.assert_close((rho**2).sum(-1), torch.full((4,), float(L), dtype=torch.float64))
    torch.testing.assert_close(escape_speed(net, theta, X, G), -localized_loss(net, rho, X, G))
    u = rho / math.sqrt(L)
    torch.testing.assert_close(escape_speed(net, u, X, G), L ** (L / 2) * ncf(net, u, torch.as_tensor(X), -torch.as_tensor(G)))


def test_example1_witness_is_a_clarke_escape_direction_of_speed_one_half():
    X, G = example1_data()
    net = relu_mlp((2, 4, 1, 1))
    rho = witness_parameters(-1)
    cert = escape_direction_check(net, rho, X, G)
    assert cert.speed == pytest.approx(0.5, abs=1e-15) and cert.clarke_speed == pytest.approx(0.5, abs=1e-14)
    assert cert.residual < 1e-12 and cert.n_kinks == 12
    # autograd's subgradient alone is not −sρ there (digest T21)
    _, g = ncf_and_grad(net, rho, torch.as_tensor(X), torch.as_tensor(G))
    assert float((g + 0.5 * rho).norm() / g.norm()) > 1e-2
    # the printed output sign is not an escape: speed −½ (digest T4)
    assert float(escape_speed(net, witness_parameters(1), X, G)) == pytest.approx(-0.5, abs=1e-15)


def test_example1_exact_values():
    ex = example1_exact()
    assert sp.simplify(ex.s1 - (sp.sqrt(2) - 1)) == 0 and ex.s2 == sp.Rational(1, 2)
    assert ex.ranks == (2, 1, 1) and ex.XtG.is_zero_matrix and all(p.matches_eq6 for p in ex.pieces)


def test_one_neuron_bounds_bracket_the_exact_maximum():
    X, G = example1_data()
    cert = one_neuron_certificate(X, G)
    s1 = math.sqrt(2) - 1
    assert cert.lower <= s1 <= cert.upper and cert.upper - cert.lower < 1e-6 and cert.n_patterns == 8
    best, resolution = one_neuron_scan(X, G, 4096, 0.37)
    assert best <= s1 <= best + resolution
    # |σ(w1) − σ(−w1)| = |w1| <= 1, attained at w = (±1, 0)
    cert = one_neuron_certificate([[1.0, 0.0], [-1.0, 0.0]], [1.0, -1.0])
    assert cert.lower == pytest.approx(1.0, abs=1e-7) and cert.upper == pytest.approx(1.0, abs=1e-7)


@given(n=st.integers(1, 9), d=st.integers(1, 4), seed=seeds())
def test_one_neuron_certificate_brackets_every_sampled_neuron_in_any_dimension(n, d, seed):
    rng = np.random.default_rng(seed)
    X, g = rng.standard_normal((n, d)), rng.standard_normal(n)
    cert = one_neuron_certificate(X, g)
    W = rng.standard_normal((2000, d))
    W /= np.linalg.norm(W, axis=1, keepdims=True)
    sampled = np.abs(np.maximum(W @ X.T, 0) @ g).max()
    slack = cert.rounding + 1e-12
    assert sampled <= cert.upper + slack and cert.lower <= cert.upper + slack
    assert cert.upper - cert.lower <= 1e-9 * max(1.0, cert.upper)  # the projection is each cone's exact maximum


def test_one_neuron_certificate_works_in_the_span_of_the_data():
    # Example 1's circle in a random plane of R^3: the same arcs (8 patterns) and the same s1 = √2 − 1
    X, G = example1_data()
    Q = np.linalg.qr(np.random.default_rng(1).standard_normal((3, 2)))[0]
    cert = one_neuron_certificate(X @ Q.T, G)
    assert cert.n_patterns == 8 and abs(cert.upper - (math.sqrt(2) - 1)) < 1e-12 and cert.rounding < 1e-12
    # alternating G on 6 equally spaced points: antipodal points carry opposite G and XᵀG = 0, so no neuron escapes
    j = np.arange(1, 7)
    ring = np.stack([np.sin(2 * np.pi * j / 6), np.cos(2 * np.pi * j / 6)], 1)
    assert one_neuron_certificate(ring, (-1.0) ** j).upper < 1e-14


def test_speed_brackets_are_brackets():
    rng = np.random.default_rng(3)
    X, G = rng.standard_normal((7, 2)), rng.standard_normal(7)
    brackets = speed_brackets(X, G, (2, 3), 3, SearchBudget(4, 100, 20), seed=5)
    h6, _ = h6_bound(X, G.reshape(-1, 1))
    two, three = brackets
    assert (two.depth, three.depth) == (2, 3) and two.upper_source == "pattern enumeration" and three.upper_source == "H6"
    assert 0 <= two.lower <= two.upper + two.upper_rounding and two.pattern_lower <= two.upper + two.upper_rounding
    assert three.upper == h6 and 0 <= three.lower <= h6 and math.isnan(three.pattern_lower)
    # the lower bounds are attained speeds: the searches are deterministic in the seed
    assert speed_brackets(X, G, (2, 3), 3, SearchBudget(4, 100, 20), seed=5) == brackets


@given(L=st.integers(2, 4), k=st.integers(0, 3), hidden=st.integers(1, 5), n_new=st.integers(1, 4), seed=seeds())
def test_deepen_satisfies_proposition_3_2(L, k, hidden, n_new, seed):
    net = relu_mlp((3,) + (hidden,) * (L - 1) + (2,))
    rng = np.random.default_rng(seed)
    X, G = torch.as_tensor(rng.standard_normal((6, 3))), torch.as_tensor(rng.standard_normal((6, 2)))
    theta = random_escaping_parameters(net, X, G, 4, seed)
    if len(theta) == 0:
        return
    lift = deepen(net, theta, X, G, k, width=n_new)
    assert lift.net.depth == L + k and lift.net.widths[: L - 1] == net.widths[: L - 1]
    loss, loss_new = ncf(net, theta, X, G), ncf(lift.net, lift.theta, X, G)
    assert bool((loss_new <= loss + 1e-12 * loss.abs()).all())
    Ws = net.split(theta)
    imbalance = ((Ws[L - 2].norm(dim=-1) - Ws[L - 1].norm(dim=-2)) ** 2).sum(-1)
    torch.testing.assert_close((lift.theta**2).sum(-1) + imbalance, torch.full_like(loss, float(L + k)))
    new_Ws, new_Zs = lift.net.split(lift.theta), lift.net.preactivations(lift.theta, X)
    for l in range(L, L + k + 1):
        assert bool((numerical_rank(new_Ws[l - 1]) == 1).all()) and bool((numerical_rank(new_Zs[l - 1]) == 1).all())
        if l < L + k:
            assert bool((nonlinearity(new_Zs[l - 1]) == 0).all())


def test_deepening_the_balanced_witness_keeps_norm_and_speed():
    # Example 1's witness is neuron-balanced, so θ' lies exactly on ‖θ'‖² = 3 + k (digest §2.7)
    X, G = example1_data()
    net = relu_mlp((2, 4, 1, 1))
    for k in (0, 1, 3):
        lift = deepen(net, witness_parameters(-1), X, G, k)
        assert float(lift.theta.norm() ** 2) == pytest.approx(3 + k, abs=1e-14)
        assert float(localized_loss(lift.net, lift.theta, X, G)) == pytest.approx(-0.5, abs=1e-15)


def test_projected_gradient_descent_is_the_papers_update_through_the_engine_ascent():
    # θ ← √L(θ − η_t∇L0)/‖θ − η_t∇L0‖, η_t = lr·decay^t: the loop the Figure 2 runs always used
    X, G = example1_data()
    net = relu_mlp((2, 3, 3, 1))
    init = torch.randn(5, net.n_params, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    Xt, Gt = torch.as_tensor(X), torch.as_tensor(G)
    theta, best = to_sphere(init, 3), None
    for t in range(30):
        value, grad = ncf_and_grad(net, theta, Xt, Gt)
        best = -value if best is None else torch.maximum(best, -value)
        theta = to_sphere(theta - 0.2 * 0.99**t * grad, 3)
    best = torch.maximum(best, -ncf(net, theta, Xt, Gt))
    runs = projected_gradient_descent(net, X, G, init, steps=30, lr=0.2, decay=0.99, record_every=10)
    torch.testing.assert_close(runs.u, theta, rtol=0, atol=1e-14)
    torch.testing.assert_close(runs.value, -ncf(net, theta, Xt, Gt), rtol=0, atol=1e-14)
    torch.testing.assert_close(runs.best_value, best, rtol=0, atol=1e-14)
    assert runs.recorded == [0, 10, 20, 30] and runs.trajectory.shape == (4, 5)
    torch.testing.assert_close((runs.u**2).sum(-1), torch.full((5,), 3.0, dtype=torch.float64))


def test_padding_with_zero_neurons_is_exact():
    # inactive neurons are fixed points: a width-w run inside a wider zero-padded net is the width-w run
    X, G = example1_data()
    padded = relu_mlp((2, 3, 3, 1))
    gen = torch.Generator().manual_seed(4)
    for w in (1, 2):
        small = relu_mlp((2, w, w, 1))
        init = torch.randn(small.n_params, generator=gen, dtype=torch.float64)
        W1, W2, W3 = small.split(init)
        P1, P2, P3 = (torch.zeros(s, dtype=torch.float64) for s in padded.shapes)
        P1[:w], P2[:w, :w], P3[:, :w] = W1, W2, W3
        alone = projected_gradient_descent(small, X, G, init[None], steps=60, lr=0.2, decay=0.99)
        inside = projected_gradient_descent(padded, X, G, padded.flatten([P1, P2, P3])[None], steps=60, lr=0.2, decay=0.99)
        assert float(alone.value[0]) == pytest.approx(float(inside.value[0]), abs=1e-12)
        Q1, Q2, Q3 = padded.split(inside.u[0])
        assert float(Q1[w:].abs().sum() + Q2[w:].abs().sum() + Q2[:, w:].abs().sum() + Q3[:, w:].abs().sum()) == 0.0


def test_estimates_never_fall_below_a_warm_start_and_sweep_is_monotone():
    X, G = example1_data()
    net = relu_mlp((2, 4, 1, 1))
    est = estimate_optimal_speed(net, X, G, restarts=2, steps=30, refine_steps=30, init=witness_parameters(-1))
    assert est.speed >= 0.5 - 1e-12 and est.theta.shape == (3, net.n_params)
    torch.testing.assert_close((est.theta**2).sum(-1), torch.full((3,), 3.0, dtype=torch.float64))
    sweep = depth_sweep(X, G, depths=(2, 3, 4), width=4, restarts=2, steps=40, refine_steps=20, seed=1)
    assert all(b >= a * (1 - 1e-12) for a, b in zip(sweep.speeds, sweep.speeds[1:]))
    assert all(ls >= s * (1 - 1e-12) for s, ls in zip(sweep.speeds, sweep.lifted_speed[1:]))
    assert all(n <= L + 1e-12 for L, n in zip(sweep.depths[1:], sweep.lifted_norm_sq[1:]))


def test_spectral_measures():
    rank_one = torch.outer(torch.tensor([1.0, 2.0]), torch.tensor([3.0, 0.0, 1.0])).double()
    assert float(spectral_tail(rank_one)) == pytest.approx(0.0, abs=1e-15) and int(numerical_rank(rank_one)) == 1
    assert float(spectral_tail(torch.eye(2, dtype=torch.float64))) == pytest.approx(0.5)
    assert int(numerical_rank(torch.zeros(2, 3, dtype=torch.float64))) == 0
    Z = torch.tensor([[1.0, -1.0], [2.0, 0.0]], dtype=torch.float64)
    assert float(nonlinearity(Z)) == pytest.approx(1 / 6) and float(nonlinearity(Z.abs())) == 0.0


def _net():
    return relu_mlp((2, 3, 1))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: localized_loss(_net(), torch.ones(9), np.ones((8, 2)), np.ones(7)), "G has 7 samples .* X has 8"),
        (lambda: escape_speed(_net(), torch.ones(9), np.ones((8, 2)), np.ones((8, 2))), "G has 2 outputs"),
        (lambda: localized_loss(_net(), torch.ones(9), np.ones((8, 3)), np.ones(8)), "X has 3 features"),
        (lambda: localized_loss(_net(), torch.ones(9), np.ones((8, 2)), [np.nan] * 8), "G contains NaN"),
        (lambda: localized_loss(_net(), torch.ones(5), np.ones((8, 2)), np.ones(8)), "θ must have shape"),
        (lambda: escape_speed(_net(), torch.zeros(9), np.ones((8, 2)), np.ones(8)), "θ = 0"),
        (lambda: relu_mlp((2, 0, 1)), "width 1"),
        (lambda: localized_loss(FeedForward((2, 3, 1), Activation(0.1, 1)), torch.ones(9), np.ones((8, 2)), np.ones(8)), "ReLU"),
        (lambda: deepen(_net(), torch.ones(9), np.ones((8, 2)), np.ones(8), -1), "k"),
        (lambda: deepen(_net(), torch.ones(9), np.ones((8, 2)), np.ones(8), 1, width=0), "width"),
        (lambda: deepen(_net(), torch.zeros(9).index_fill(0, torch.tensor([0]), 1.0), np.ones((8, 2)), np.ones(8), 1), "L0"),
        (lambda: depth_sweep(np.ones((8, 2)), np.ones(8), depths=(2, 4)), "consecutive"),
        (lambda: depth_sweep(np.ones((8, 2)), np.ones(8), width=0), "width"),
        (lambda: depth_sweep(np.ones((8, 2)), np.ones(7)), "G has 7 samples"),
        (lambda: projected_gradient_descent(_net(), np.ones((8, 2)), np.ones(8), torch.ones(1, 9), lr=0.0), "lr"),
        (lambda: escape_direction_check(_net(), torch.ones(2, 9), np.ones((8, 2)), np.ones(8)), "one parameter vector"),
        (lambda: one_neuron_scan(np.ones((8, 3)), np.ones(8), 64, 0.0), "2-D inputs"),
        (lambda: one_neuron_certificate(np.random.default_rng(0).standard_normal((13, 3)), np.ones(13)), "N <= 12"),
        (lambda: speed_brackets(np.ones((8, 2)), np.ones((8, 2)), (2, 3), 2, SearchBudget(1, 1, 1), 0), "one output"),
        (lambda: one_neuron_scan(np.ones((8, 2)), np.ones(7), 64, 0.0), "one finite scalar per sample"),
    ],
)
def test_bad_input_is_a_one_line_input_error(call, message):
    with pytest.raises(InputError, match=message) as info:
        call()
    assert "\n" not in str(info.value)


def test_sym_relu_is_the_engines_activation():
    x = sp.Symbol("x", real=True)
    assert sym_relu(sp.Matrix([[x, -2, 3]])) == sp.Matrix([[sp.Max(0, x), 0, 3]])
