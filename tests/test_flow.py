"""verify/flow.py against closed forms: the 1-D blow-up, a hyperbolic linear flow; statuses, kinks, bad input, floors."""

import math

import numpy as np
import pytest
import torch
from scipy.linalg import expm

from verify.errors import InputError
from verify.flow import (
    POTENTIAL,
    FieldQuadrature,
    FlowStatus,
    blow_up,
    blow_up_time_bound,
    gradient_flow,
    integrate,
    integrate_batch,
    loss_flow,
    ncf_flow,
    random_start,
    rescaled_start,
    rescaled_training_flow,
    training_start,
    two_tolerances,
)
from verify.nets import DTYPE, Activation, FeedForward

C, R0 = 0.7, 1.3
TOL = dict(rtol=1e-12, atol=1e-14)


def _radial(L: int, c: float = C):
    """F(u) = c‖u‖^L: in one dimension the flow r' = cLr^{L−1} has the closed form below."""
    return gradient_flow(lambda u: c * u.norm(dim=-1) ** L, degree=L)


def _r(t, L, r0=R0, c=C):
    return (r0 ** (-(L - 2)) - L * (L - 2) * c * t) ** (-1 / (L - 2))


def _T_star(L, r0=R0, c=C):
    return r0 ** (-(L - 2)) / (L * (L - 2) * c)


@pytest.mark.parametrize("L", [3, 4, 5])
def test_one_dimensional_blow_up_closed_form(L):
    flow, Ts = _radial(L), _T_star(L)
    times = np.linspace(0, 0.99 * Ts, 6)
    exact = _r(times, L)
    ref = integrate(flow, [R0], 0.99 * Ts, t_eval=times, **TOL)
    batch = integrate_batch(flow, [[R0]], 0.99 * Ts, t_eval=times, **TOL)
    assert ref.status is FlowStatus.SUCCESS and batch.status == [FlowStatus.SUCCESS]
    assert np.max(np.abs(ref.u[:, 0] - exact) / exact) <= 1e-9
    assert np.max(np.abs(batch.u_eval[0, :, 0].numpy() - exact) / exact) <= 1e-9
    # the reparametrised integration: T* to 1e-9, the a-priori bound attained exactly in 1-D, the direction ±1
    bu = blow_up(flow, [R0], **TOL)
    assert bu.status is FlowStatus.BLOW_UP and bu.converged
    assert abs(bu.T_star - Ts) / Ts <= 1e-9 and math.isclose(blow_up_time_bound(flow, [R0]), Ts, rel_tol=1e-14)
    assert bu.direction.tolist() == [1.0] and bu.rho[-1] - math.log(R0) >= 40
    for t in (0.5 * Ts, 0.999 * Ts):  # ‖u(t)‖ from the sphere integration, in physical time
        assert abs(bu.norm_at(t) - _r(t, L)) / _r(t, L) <= 1e-9
    tau = bu.at_log_norm(math.log(R0) + 5)[0]  # T* − t from there is the blow-up time of a start of norm R0·e^5
    assert math.isclose(bu.remaining_time(tau), _T_star(L, R0 * math.exp(5)), rel_tol=1e-9)


def test_potential_quadrature_and_identity_30_in_one_dimension():
    L = 3
    bu = blow_up(_radial(L), [R0], quadratures={"F": POTENTIAL}, **TOL)
    tau = bu.at_log_norm(math.log(R0) + 2)[0]
    # 1/‖u‖^{L−2} = 1/‖u0‖^{L−2} − L(L−2)∫_0^t F(u/‖u‖) ds with F(±1) = c
    lhs = math.exp(-(L - 2) * (math.log(R0) + 2))
    assert abs(lhs - (R0 ** (-(L - 2)) - L * (L - 2) * bu.quad_at("F", tau))) <= 1e-12


def test_field_quadratures_of_integrate_match_callables_and_closed_forms():
    # F(u) = c·u³ (L = 3): u(t) = _r(t); ∫F(u) dt and ∫‖u̇‖² dt from the field's own evaluation equal the callables' values,
    # and ∫‖u̇‖² = F(u(t)) − F(u0) (dF/dt = ‖∇F‖² along the ascent flow)
    L, T = 3, 0.5 * _T_star(3)
    flow = _radial(L)
    quads = {"F": POTENTIAL, "speed": FieldQuadrature(lambda _F, v: (v**2).sum(-1)),
             "F by hand": lambda u: C * u.norm(dim=-1) ** L, "speed by hand": lambda u: (C * L * u[:, 0] ** 2) ** 2}
    path = integrate(flow, [R0], T, t_eval=[T], quadratures=quads, **TOL)
    assert path.quad["F"][0] == pytest.approx(path.quad["F by hand"][0], rel=1e-12)
    assert path.quad["speed"][0] == pytest.approx(path.quad["speed by hand"][0], rel=1e-12)
    assert path.quad["speed"][0] == pytest.approx(C * _r(T, L) ** L - C * R0**L, rel=1e-9)
    with pytest.raises(InputError, match="quadrature 'bad'"):
        integrate(flow, [R0], T, quadratures={"bad": "speed"})


def test_hyperbolic_linear_flow_matches_the_matrix_exponential():
    A = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.5], [0.0, 0.5, -1.0]])  # symmetric: du/dt = Au is the gradient flow of ½uᵀAu
    At = torch.as_tensor(A, dtype=DTYPE)
    flow = gradient_flow(lambda u: 0.5 * ((u @ At) * u).sum(-1), degree=2)
    u0 = np.array([1.0, -0.5, 0.25])
    times = np.linspace(0, 3.0, 7)
    exact = np.stack([expm(t * A) @ u0 for t in times])
    ref = integrate(flow, u0, 3.0, t_eval=times, **TOL)
    batch = integrate_batch(flow, np.stack([u0, 2 * u0]), 3.0, t_eval=times, **TOL)
    scale = np.linalg.norm(exact, axis=1)
    assert np.max(np.linalg.norm(ref.u - exact, axis=1) / scale) <= 1e-9
    assert np.max(np.linalg.norm(batch.u_eval[0].numpy() - exact, axis=1) / scale) <= 1e-9
    assert np.max(np.linalg.norm(batch.u_eval[1].numpy() - 2 * exact, axis=1) / (2 * scale)) <= 1e-9
    assert np.allclose(ref.at(1.7), expm(1.7 * A) @ u0, rtol=1e-9, atol=0)


def test_batched_statuses_are_per_trajectory():
    flow = _radial(3)
    # row 0 blows up at T* = 0.366 < 1, row 1 (T* = 47.6) does not, row 2 is a different flow's speed
    out = integrate_batch(flow, [[R0], [0.1], [0.05]], 1.0, blow_up_norm=1e8, **TOL)
    assert out.status[:2] == [FlowStatus.BLOW_UP, FlowStatus.SUCCESS] and out.status[2] is FlowStatus.SUCCESS
    assert abs(float(out.t_reached[0]) - _T_star(3)) < 1e-6 and float(out.t_reached[1]) == 1.0
    assert math.isclose(float(out.u_end[1, 0]), _r(1.0, 3, 0.1), rel_tol=1e-9)
    assert int(out.steps[0]) > int(out.steps[1])  # each row its own step size

    def half_defined(u):  # a field that is NaN beyond u = 1.5
        return (u**2).sum(-1) / 2, torch.where(u < 1.5, u, torch.full_like(u, math.nan))

    from verify.flow import Flow

    bad = integrate_batch(Flow(half_defined), [[1.0], [-1.0]], 3.0, max_steps=10_000)
    assert bad.status == [FlowStatus.NON_FINITE, FlowStatus.SUCCESS]
    assert math.isclose(float(bad.t_reached[0]), math.log(1.5), rel_tol=1e-6)
    ref = integrate(Flow(half_defined), [1.0], 3.0)
    assert ref.status is FlowStatus.NON_FINITE and math.isclose(ref.t_reached, math.log(1.5), rel_tol=1e-6)
    budget = integrate_batch(flow, [[R0], [0.1]], 0.36, max_steps=5, **TOL)
    assert budget.status[0] is FlowStatus.MAX_STEPS


def test_reference_detects_blow_up_and_refuses_times_beyond_it():
    flow = _radial(3)
    tr = integrate(flow, [R0], 0.999 * blow_up_time_bound(flow, [R0]), blow_up_norm=100.0, **TOL)
    assert tr.status is FlowStatus.BLOW_UP and tr.t_reached < _T_star(3)
    with pytest.raises(InputError, match="outside the integrated interval"):
        tr.at(_T_star(3))
    bu = blow_up(flow, [R0], **TOL)
    with pytest.raises(InputError, match="blows up"):
        bu.norm_at(1.0)


@pytest.mark.parametrize("call, message", [
    (lambda f: integrate(f, [math.nan], 0.1), "NaN or inf"),
    (lambda f: integrate(f, [0.0], 0.1), "is zero"),
    (lambda f: blow_up(f, [0.0]), "is zero"),
    (lambda f: integrate(f, [1.0], 0.1, rtol=0.0), "rtol"),
    (lambda f: integrate(f, [1.0], 0.1, atol=-1e-9), "atol"),
    (lambda f: blow_up(f, [1.0], rtol=math.inf), "rtol"),
    (lambda f: integrate_batch(f, [[1.0]], 0.1, rtol=-1.0), "rtol"),
    (lambda f: integrate_batch(f, [[1.0], [math.inf]], 0.1), "row 1"),
    (lambda f: integrate(f, [R0], 1.0), "beyond the blow-up time bound"),
    (lambda f: integrate(f, [R0], -1.0), "t_end"),
    (lambda f: two_tolerances(lambda r, a: 0.0, rtol=0.0), "rtol"),
    (lambda f: training_start([1.0, 2.0], 0.0), "delta"),
])
def test_bad_input_is_a_one_line_error(call, message):
    with pytest.raises(InputError, match=message) as err:
        call(_radial(3))
    assert "\n" not in str(err.value)


def test_blow_up_needs_a_positive_potential():
    flow = gradient_flow(lambda u: u[:, 0] * u[:, 1] * u[:, 2], degree=3)
    with pytest.raises(InputError, match="G\\(u0\\)"):
        blow_up(flow, [1.0, 1.0, -1.0])
    with pytest.raises(InputError, match="L > 2"):
        blow_up(gradient_flow(lambda u: (u**2).sum(-1), degree=2), [1.0, 0.0])
    # descent of −F is ascent of F: the same blow-up
    down = gradient_flow(lambda u: -C * u.norm(dim=-1) ** 3, ascent=False, degree=3)
    assert math.isclose(blow_up(down, [R0], **TOL).T_star, _T_star(3), rel_tol=1e-9)


def test_two_tolerance_floor_shrinks_with_the_tolerance():
    flow, L = _radial(4), 4
    t = 0.9 * _T_star(L)

    def measure(rtol, atol):
        return integrate(flow, [R0], t, rtol=rtol, atol=atol, t_eval=[t]).u[-1, 0]

    tt = two_tolerances(measure, rtol=1e-6, atol=1e-8)
    assert abs(tt.value - _r(t, L)) <= tt.floor and tt.floor < 1e-4
    entry = tt.entry(_r(t, L), "r(0.9 T*)")
    assert entry.converged and entry.violation <= entry.error_floor
    wrong = tt.entry(1.01 * _r(t, L), "a wrong claim")
    assert wrong.violation > 100 * wrong.error_floor


def test_ncf_and_loss_flows():
    net = FeedForward((2, 3, 1), Activation(0.0, 2))
    rng = np.random.default_rng(0)
    X, z = rng.standard_normal((6, 2)), rng.standard_normal(6)
    flow = ncf_flow(net, X, z)
    assert flow.degree == 3 and flow.kinks is None
    u = net.random_unit(1, torch.Generator().manual_seed(1))[0]
    v, g = flow.value_and_grad(u[None])
    assert math.isclose(float(g[0] @ u), 3 * float(v[0]), rel_tol=1e-12)  # Euler
    # the training loss flow from δ·w0 decreases the loss
    lf = loss_flow(net, X, z)
    w = training_start(u, 0.5)
    tr = integrate(lf, w, 2.0, t_eval=[0.0, 2.0])
    before, after = (float(lf.value_and_grad(torch.as_tensor(x)[None])[0][0]) for x in tr.u)
    assert tr.status is FlowStatus.SUCCESS and after < before and lf.degree is None


def test_relu_flows_flag_sliding_along_a_kink():
    # F(u) = −|u1| + u2 (a ReLU-type kink at u1 = 0): ascent pushes u1 to 0 from both sides, so the Filippov
    # solution slides along u1 = 0 while an explicit integrator chatters across it
    from verify.flow import Flow

    def value_and_grad(u):
        with torch.enable_grad():
            x = u.detach().requires_grad_(True)
            val = -torch.relu(x[:, 0]) - torch.relu(-x[:, 0]) + x[:, 1]
            (grad,) = torch.autograd.grad(val.sum(), x)
        return val.detach(), grad

    flow = Flow(value_and_grad, kinks=lambda u: u[:, :1])
    tr = integrate(flow, [0.3, 0.0], 2.0, rtol=1e-8, atol=1e-10)
    assert tr.status is FlowStatus.SLIDING and tr.kinks.checked and tr.kinks.sliding and 0.3 <= tr.t_reached < 2.0
    batch = integrate_batch(flow, [[0.3, 0.0], [-0.2, 1.0]], 2.0, rtol=1e-8, atol=1e-10)
    assert batch.sliding.tolist() == [True, True] and batch.status == [FlowStatus.SLIDING] * 2
    smooth = Flow(value_and_grad, kinks=lambda u: u[:, 1:] + 5.0)  # a kink the trajectory never reaches
    assert not integrate(smooth, [0.3, 0.0], 0.2).kinks.sliding
    relu_net = FeedForward((2, 3, 1), Activation(0.0, 1))
    assert ncf_flow(relu_net, np.ones((4, 2)), np.ones(4)).kinks is not None


def test_rescaled_training_flow_rows_are_the_training_flow_and_the_ncf_flow():
    # squared-ReLU two-layer net (L = 3): the δ > 0 rows are w(t/δ)/δ of the training flow itself, the δ = 0 row is the
    # NCF flow of z = −ℓ′(0, y) = Y (loss ½‖Y − H‖²), and the gap between them is O(δ^L)
    net = FeedForward((3, 4, 1), Activation(0.0, 2))
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((8, 3)), rng.standard_normal((8, 1))
    loss, ncf = loss_flow(net, X, Y, scale=0.5), ncf_flow(net, X, Y)
    w0, T, deltas = random_start(net.n_params, 1, 1.0), 0.05, [0.0, 0.1, 0.05]
    rows = integrate_batch(rescaled_training_flow(loss, ncf), rescaled_start(w0, deltas), T, **TOL).u_end.numpy()
    u = integrate(ncf, w0, T, **TOL).u[-1]
    assert np.abs(rows[:, -1] - deltas).max() == 0 and np.abs(rows[0, :-1] - u).max() <= 1e-12
    gaps = []
    for row, d in zip(rows[1:], deltas[1:], strict=True):
        w = integrate(loss, d * w0, T / d, rtol=1e-12, atol=1e-16).u[-1]
        assert np.abs(row[:-1] - w / d).max() <= 1e-9
        gaps.append(np.linalg.norm(row[:-1] - u))
    assert 7.5 <= gaps[0] / gaps[1] <= 8.5  # halving δ divides an O(δ³) gap by 8
    with pytest.raises(InputError, match="deltas"):
        rescaled_start(w0, [0.1, -0.1])
    with pytest.raises(InputError, match="descent flow"):
        rescaled_training_flow(ncf, ncf)
