"""verify/escape.py (localized loss, speed, escape directions, Prop. 3.2 construction, PGD) and the
Example 1 machinery of theorems/escape_speed.py."""

import copy
import math

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given
from hypothesis import strategies as st

import theorems.escape_speed
from theorems.escape_speed import (
    DeepeningInstance,
    DepthMonotonicity,
    Example1Instance,
    Example1RankTwo,
    check_entries,
    example1_data,
    example1_exact,
    failed_checks,
    one_neuron_certificate,
    one_neuron_scan,
    random_escaping_parameters,
    witness_parameters,
)
from verify.checker import Context, Verdict
from verify.errors import InputError
from verify.escape import (
    deepen,
    depth_sweep,
    escape_direction_check,
    escape_speed,
    estimate_optimal_speed,
    localized_loss,
    nonlinearity,
    numerical_rank,
    padded_init,
    projected_gradient_descent,
    relu_mlp,
    spectral_tail,
    to_sphere,
)
from verify.ncf import ncf, ncf_and_grad
from verify.nets import Activation, FeedForward
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


def test_padding_with_zero_neurons_is_exact():
    X, G = example1_data()
    padded, init, run_width = padded_init((1, 2, 3), 2, 2, 1, 3, torch.Generator().manual_seed(4))
    runs = projected_gradient_descent(padded, X, G, init, steps=60, lr=0.2, decay=0.99)
    assert runs.trajectory.shape == (7, 6) and runs.recorded[-1] == 60
    assert bool((runs.best_speed >= runs.trajectory.max(0).values - 1e-15).all())
    for i, w in enumerate(run_width.tolist()):
        small = relu_mlp((2, w, w, 1))
        W1, W2, W3 = padded.split(init[i])
        alone = projected_gradient_descent(small, X, G, small.flatten([W1[:w], W2[:w, :w], W3[:, :w]])[None], steps=60, lr=0.2, decay=0.99)
        assert float(alone.speed[0]) == pytest.approx(float(runs.speed[i]), abs=1e-12)
        P1, P2, P3 = padded.split(runs.theta[i])
        assert float(P1[w:].abs().sum() + P2[w:].abs().sum() + P2[:, w:].abs().sum() + P3[:, w:].abs().sum()) == 0.0


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


def _cheaper(checker, **settings):
    """A copy of a checker with a smaller experiment (fewer runs, steps, depths)."""
    checker = copy.copy(checker)
    for name, value in settings.items():
        assert hasattr(checker, name)
        setattr(checker, name, value)
    return checker


def test_every_check_is_decided_on_its_own():
    checker = Example1RankTwo()
    checked = check_entries({"small": (1e-14, 1e-14), "large": (1e-3, 1e-14), "undecided": (math.nan, 0.0)})
    assert [e.label for e in checked] == ["small", "large", "undecided"]
    assert failed_checks(checker, checked) == ["large"]
    assert [checker.decide_entry(e) for e in checked] == [Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE]


def test_example1_checks_the_witness_and_every_width_one_run():
    checker = _cheaper(Example1RankTwo(), figure2_widths=(1, 2), runs_per_width=3, pgd_steps=40)
    evidence = checker.claim(Example1Instance(5), Context())
    labels = [e.label for e in evidence.entries]
    assert labels[:3] == ["witness speed", "witness ranks", "witness Clarke residual"]
    assert labels[-3:] == [f"width-1 PGD run {i}: speed <= s1" for i in (1, 2, 3)]
    assert checker.decide(evidence) is Verdict.PASS
    # the printed witness fails on its own entries; the Figure 2 runs are then skipped
    printed = next(m for m in Example1RankTwo.mutants if m.name.startswith("eq. (2)")).apply(checker)
    evidence = printed.claim(Example1Instance(5), Context())
    assert printed.decide(evidence) is Verdict.FAIL and not any(e.label.startswith("width-1") for e in evidence.entries)
    assert "witness speed" in evidence.note


def test_prop3_2_checks_every_theta_and_every_depth_step():
    checker = _cheaper(DepthMonotonicity(), sweep_depths=(2, 3), sweep_restarts=2, sweep_steps=30, sweep_refine_steps=10,
                       thetas_per_instance=2)
    evidence = checker.claim(DeepeningInstance((3, 2, 2, 1), 6, 2, 3, 4, 5), Context())
    labels = [e.label for e in evidence.entries]
    thetas = int(evidence.measurements["thetas"])
    assert labels[0] == "depth of θ' = L+k" and len(labels) == len(set(labels))
    # per θ: 6 norm / loss checks, rank W'_l and Z'_l for l = 3..5, Z'_l = Z'^σ_l for l = 3, 4
    assert sum(label.startswith("θ ") for label in labels) == thetas * (6 + 2 * 3 + 2)
    assert labels[-3:] == ["s*(3) vs s*(2)", "lifted speed at 3 vs s*(2)", "lifted ‖θ'‖² <= 3"]
    assert all(e.violation >= 0 for e in evidence.entries) and checker.decide(evidence) is Verdict.PASS


def test_prop3_2_without_an_escaping_theta_is_undecided(monkeypatch):
    monkeypatch.setattr(theorems.escape_speed, "random_escaping_parameters", lambda net, *args: torch.zeros(0, net.n_params))
    checker = DepthMonotonicity()
    evidence = checker.claim(DeepeningInstance((3, 2, 1), 4, 1, 2, 0, 0), Context())
    assert checker.decide(evidence) is Verdict.INCONCLUSIVE and "hypothesis not met" in evidence.note


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
        (lambda: padded_init((1, 0), 2, 2, 1, 3, torch.Generator()), "width"),
        (lambda: projected_gradient_descent(_net(), np.ones((8, 2)), np.ones(8), torch.ones(1, 9), lr=0.0), "lr"),
        (lambda: escape_direction_check(_net(), torch.ones(2, 9), np.ones((8, 2)), np.ones(8)), "one parameter vector"),
        (lambda: one_neuron_certificate(np.ones((8, 3)), np.ones(8)), "2-D inputs"),
        (lambda: one_neuron_scan(np.ones((8, 2)), np.ones(7), 64, 0.0), "one finite scalar per sample"),
    ],
)
def test_bad_input_is_a_one_line_input_error(call, message):
    with pytest.raises(InputError, match=message) as info:
        call()
    assert "\n" not in str(info.value)
