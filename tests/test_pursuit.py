"""Neuron Pursuit (verify.pursuit): the pieces of Algorithm 1 and the estimators' contract (np.algorithm1: tests/neuron_pursuit)."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils.estimator_checks import check_estimator

from verify.errors import InputError
from verify.nets import DTYPE, Activation, FeedForward
from verify.pursuit import (
    NeuronPursuitRegressor,
    SmallInitGDRegressor,
    append_neuron,
    descent_with_halving,
    gradient_descent,
    loss_and_grad,
    rebalance,
    squared_loss,
)

SMALL_NP = dict(restarts=4, ascent_steps=50, gd_steps=500, gd_step_size=0.05, max_iter=3, random_state=0)
SMALL_GD = dict(hidden_width=8, init_radius=0.1, step_size=0.05, max_steps=500, random_state=0)
# scikit-learn's checks fit ~150 times; these still give R² > 0.8 on its regression data (check_regressors_train)
CHECK_NP = dict(depth=2, restarts=3, ascent_steps=25, gd_steps=150, gd_step_size=0.1, max_iter=2, random_state=0)
CHECK_GD = dict(depth=2, hidden_width=8, init_radius=0.1, step_size=0.1, max_steps=200, random_state=0)


def _teacher_data(n=40, d=3, m=1, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    Y = np.maximum(X @ rng.standard_normal((d, 2)), 0.5 * (X @ rng.standard_normal((d, 2)))) @ rng.standard_normal((2, m))
    return X, (Y[:, 0] if m == 1 else Y)


@pytest.mark.parametrize("alpha,p", [(0.0, 1), (0.5, 1), (2.0, 1), (1.0, 2), (0.0, 2), (-0.3, 3)])
@pytest.mark.parametrize("widths", [(3, 4, 2), (3, 2, 3, 1), (2, 3, 2, 2, 3)])
def test_hand_written_gradient_matches_autograd(alpha, p, widths):
    net = FeedForward(widths, Activation(alpha, p))
    g = torch.Generator().manual_seed(1)
    X = torch.randn(7, widths[0], generator=g, dtype=DTYPE)
    Y = torch.randn(7, widths[-1], generator=g, dtype=DTYPE)
    u = net.random_unit(3, g).requires_grad_(True)  # a batch of three parameter vectors
    loss, grad = loss_and_grad(net, u.detach(), X, Y, 0.25)
    expected = squared_loss(net, u, X, Y, 0.25)
    (auto,) = torch.autograd.grad(expected.sum(), u)
    assert torch.allclose(loss, expected.detach(), rtol=1e-13, atol=0)
    assert torch.allclose(grad, auto, rtol=1e-11, atol=1e-13)


def test_batched_descent_equals_separate_runs():
    net = FeedForward((3, 4, 1), Activation(0.5, 1))
    X, y = _teacher_data()
    X, Y = torch.as_tensor(X), torch.as_tensor(y)[:, None]
    u0 = 0.3 * net.random_unit(3, torch.Generator().manual_seed(0))
    etas = torch.tensor([0.01, 0.02, 0.05], dtype=DTYPE)
    together = gradient_descent(net, u0, X, Y, step_size=etas, steps=300, scale=1 / 40)
    for b in range(3):
        alone = gradient_descent(net, u0[b], X, Y, step_size=float(etas[b]), steps=300, scale=1 / 40)
        assert torch.allclose(together.u[b], alone.u, rtol=1e-12, atol=1e-14)
        assert torch.allclose(together.losses[:, b], alone.losses, rtol=1e-12)


def test_descent_overflow_hands_back_the_last_finite_iterate():
    net = FeedForward((3, 4, 1), Activation(1.0, 2))
    X, y = _teacher_data()
    run = gradient_descent(net, net.random_unit(1, torch.Generator().manual_seed(0))[0], torch.as_tensor(X),
                           torch.as_tensor(y)[:, None], step_size=50.0, steps=5000, scale=1 / 40)
    assert not run.finite and torch.isfinite(run.u).all() and torch.isfinite(run.losses).all()


def test_append_neuron_is_lines_30_to_32():
    net = FeedForward((3, 2, 2, 1), Activation(0.0, 1))
    u = net.random_unit(1, torch.Generator().manual_seed(0))[0]
    a, b = torch.tensor([1.0, 2.0, 3.0], dtype=DTYPE), torch.tensor([4.0, 5.0], dtype=DTYPE)
    wider, w = append_neuron(net, u, 1, a, b)
    old, new = net.split(u), wider.split(w)
    assert wider.widths == (3, 3, 2, 1)
    assert torch.equal(new[0][:2], old[0]) and torch.equal(new[0][2], a)  # new last row of W_1
    assert torch.equal(new[1][:, :2], old[1]) and torch.equal(new[1][:, 2], b)  # new last column of W_2
    assert torch.equal(new[2], old[2])
    X = torch.randn(5, 3, dtype=DTYPE)
    _, zero = append_neuron(net, u, 2, torch.zeros(2, dtype=DTYPE), torch.zeros(1, dtype=DTYPE))
    assert torch.equal(FeedForward((3, 2, 3, 1), net.activation)(zero, X), net(u, X))  # an inactive neuron changes nothing


@pytest.mark.parametrize("alpha,p", [(0.0, 1), (0.5, 2), (1.0, 3)])
def test_rebalance_keeps_the_function_and_balances_every_neuron(alpha, p):
    net = FeedForward((4, 3, 5, 2), Activation(alpha, p))
    g = torch.Generator().manual_seed(3)
    u = net.random_unit(1, g)[0] * torch.exp(torch.randn(net.n_params, generator=g, dtype=DTYPE))
    X = torch.randn(9, 4, generator=g, dtype=DTYPE)
    v = rebalance(net, u)
    assert torch.allclose(net(v, X), net(u, X), rtol=1e-10, atol=1e-12)
    assert v.norm() <= u.norm()
    Ws = net.split(v)
    for l in range(net.depth - 1):
        incoming, outgoing = (Ws[l] ** 2).sum(-1), (Ws[l + 1] ** 2).sum(-2)
        assert torch.allclose(incoming, p * outgoing, rtol=1e-8)  # np Lemma 3's balance


def test_fit_records_every_iteration():
    X, y = _teacher_data()
    est = NeuronPursuitRegressor(depth=3, alpha=0.5, **SMALL_NP).fit(X, y)
    assert 1 <= est.n_iter_ == len(est.history_) == len(est.weights_history_) <= 3
    for t, h in enumerate(est.history_, start=1):
        assert h["iteration"] == t and (h["layer"] == 0) == (t == 1)
        assert sum(h["hidden_widths"]) == 2 + (t - 1)  # one neuron per layer, then one per iteration
        assert h["delta"] > 0 and h["ncf_max"] > 0
        assert est.loss_curve_[h["curve_start"]] == h["loss_added"]
        assert est.loss_curve_[h["curve_start"] + h["gd_steps"]] == h["loss_gd"]
    assert est.history_[0]["loss_saddle"] == pytest.approx(float(np.mean(y**2)))  # L(0)
    assert est.hidden_widths_ == est.history_[-1]["hidden_widths"]
    assert est.predict(X).shape == y.shape
    again = NeuronPursuitRegressor(depth=3, alpha=0.5, **SMALL_NP).fit(X, y)
    np.testing.assert_array_equal(again.predict(X), est.predict(X))  # every random choice from random_state


@pytest.mark.parametrize("depth,alpha,p", [(2, 0.5, 1), (2, 1.0, 2), (3, 0.5, 1)])
def test_loss_drop_when_adding_is_lemmas_12_and_13(depth, alpha, p):
    """With Algorithm 1's loss ‖y − H‖² the added weights lower the loss by 2δ^q·N_max up to a δ^{2q} term.

    q = D (Lemma 12, iteration 1) or p + 1 (Lemma 13, later iterations; exact for l* = L − 1): this ties the
    recorded N_max of the NCF steps (np eq. 5 and the H_{1,l} of verify.saddle) to the loss the run computed.
    """
    X, y = _teacher_data()
    est = NeuronPursuitRegressor(depth, alpha, p, loss_reduction="sum", **{**SMALL_NP, "gd_step_size": 0.002}).fit(X, y)
    D = sum(p**i for i in range(depth))
    for h in est.history_:
        q = D if h["layer"] == 0 else p + 1
        first_order = 2 * h["delta"] ** q * h["ncf_max"]
        gap = h["loss_added"] - (h["loss_saddle"] - first_order)  # = δ^{2q}‖H(Ŵ)‖² or δ^{2q}‖H_{1,l*}‖² (+ higher order)
        if h["layer"] in (0, depth - 1):  # exact expansions: the remainder is δ^{2q}‖·‖² >= 0
            assert gap >= -1e-9 * h["loss_saddle"]
        assert abs(gap) <= 0.05 * first_order
    assert len(est.history_) >= 2


def test_rebalance_option_balances_after_every_iteration():
    X, y = _teacher_data()
    est = NeuronPursuitRegressor(depth=3, alpha=0.5, rebalance=True, **SMALL_NP).fit(X, y)
    for Ws in est.weights_history_:
        for l in range(len(Ws) - 1):
            np.testing.assert_allclose((Ws[l] ** 2).sum(1), (Ws[l + 1] ** 2).sum(0), rtol=1e-8)  # p = 1: equal norms
    assert est.score(X, y) > 0.9


def test_vector_outputs():
    X, Y = _teacher_data(m=3)
    est = NeuronPursuitRegressor(depth=2, alpha=0.5, **SMALL_NP).fit(X, Y)
    assert est.predict(X).shape == (40, 3) and est.weights_[-1].shape[0] == 3
    assert est.score(X, Y) > 0.5


def test_classification_stop_float32_and_first_iteration_ascent():
    X, Y = _teacher_data(m=3)
    onehot = np.eye(2)[(X[:, 0] > 0).astype(int)]  # two classes, one column each
    est = NeuronPursuitRegressor(depth=2, alpha=0.5, stop_on="classification_error", **{**SMALL_NP, "max_iter": 12}).fit(X, onehot)
    errors = [h["train_classification_error"] for h in est.history_]
    assert errors[-1] == 0 and all(e > 0 for e in errors[:-1]) and est.stop_reason_ == "training classification error 0"
    with pytest.raises(InputError, match="m >= 2 outputs"):
        NeuronPursuitRegressor(stop_on="classification_error").fit(X, Y[:, 0])
    X1, y1 = _teacher_data()
    double = NeuronPursuitRegressor(depth=2, alpha=0.5, **SMALL_NP).fit(X1, y1)
    single = NeuronPursuitRegressor(depth=2, alpha=0.5, dtype="float32", **SMALL_NP).fit(X1, y1)
    assert single.weights_[0].dtype == np.float32 and single.predict(X1).dtype == np.float32
    assert single.hidden_widths_ == double.hidden_widths_ and abs(single.train_error_ - double.train_error_) < 1e-3
    first = NeuronPursuitRegressor(depth=2, alpha=0.5, ascent_steps_first=1, ascent_step_size_first=1e-3,
                                   **{**SMALL_NP, "max_iter": 1}).fit(X1, y1)
    assert first.history_[0]["kkt_residual"] > double.history_[0]["kkt_residual"]  # one tiny step: far from a KKT point
    with pytest.raises(InputError, match="dtype must be one of"):
        NeuronPursuitRegressor(dtype="float16").fit(X1, y1)


def test_descent_with_halving_restores_and_halves_when_the_loss_rises():
    X, y = _teacher_data()
    net = FeedForward((3, 4, 1), Activation(0.5, 1))
    u0 = 0.5 * net.random_unit(1, torch.Generator().manual_seed(0), "cpu")[0]
    Xt, Yt = torch.as_tensor(X), torch.as_tensor(y)[:, None]
    # a step far too large: every chunk overflows or rises, so each is discarded and the step halved until it descends
    run = descent_with_halving(net, u0, Xt, Yt, step_size=64.0, steps=400, every=100, max_halvings=12, scale=1 / 40)
    assert run.halvings >= 4 and run.finite and run.steps == 400
    assert run.losses.shape == (401,) and (torch.diff(run.losses[::100]) <= 0).all()  # every kept chunk ends lower
    same = descent_with_halving(net, u0, Xt, Yt, step_size=0.05, steps=400, every=100, max_halvings=4, scale=1 / 40)
    plain = gradient_descent(net, u0, Xt, Yt, step_size=0.05, steps=400, scale=1 / 40)
    assert same.halvings == 0 and torch.equal(same.u, plain.u)


def test_stops_clearly_when_the_dominant_ncf_value_is_not_positive():
    X, _ = _teacher_data()
    with pytest.warns(ConvergenceWarning, match="N_max = 0 is not positive"):
        est = NeuronPursuitRegressor(**SMALL_NP).fit(X, np.zeros(len(X)))
    assert "Lemmas 12/13" in est.stop_reason_ and est.history_ == [] and est.n_iter_ == 1
    assert np.all(est.predict(X) == 0)


def test_verbose_shows_a_progress_bar(capsys):
    X, y = _teacher_data()
    NeuronPursuitRegressor(depth=2, alpha=0.5, verbose=True, **SMALL_NP).fit(X, y)
    assert "Neuron Pursuit" in capsys.readouterr().err


@pytest.mark.parametrize("Estimator", [NeuronPursuitRegressor, SmallInitGDRegressor])
def test_bad_input_is_a_clear_value_error(Estimator):
    X, y = _teacher_data()
    Xnan = X.copy()
    Xnan[0, 0] = np.nan
    cases = [({}, X, y[:-1], "inconsistent"), ({}, Xnan, y, "NaN"), (dict(p=1.5), X, y, "integer"),
             (dict(depth=1), X, y, "depth")]
    if Estimator is NeuronPursuitRegressor:
        cases += [(dict(delta_first=0.0), X, y, "delta_first"), (dict(delta_later=-1.0), X, y, "delta_later")]
    for params, Xb, yb, match in cases:
        with pytest.raises(InputError, match=match):
            Estimator(**params).fit(Xb, yb)
    with pytest.raises(NotFittedError):
        Estimator().predict(X)


@pytest.mark.parametrize("estimator", [NeuronPursuitRegressor(**CHECK_NP), SmallInitGDRegressor(**CHECK_GD)],
                         ids=["NeuronPursuitRegressor", "SmallInitGDRegressor"])
def test_scikit_learn_estimator_checks(estimator):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        results = check_estimator(estimator, on_fail=None)
    failed = [(r["check_name"], repr(r["exception"])) for r in results if r["status"] == "failed"]
    assert not failed
    skipped = {r["check_name"] for r in results if r["status"] == "skipped"}
    assert skipped <= {"check_array_api_input", "check_regressor_data_not_an_array"}  # optional dependencies absent


def test_baseline_warm_start_continues():
    X, y = _teacher_data()
    gd = SmallInitGDRegressor(depth=2, warm_start=True, tol=1e-9, **{**SMALL_GD, "max_steps": 100}).fit(X, y)
    first = gd.loss_curve_.copy()
    gd.fit(X, y)
    assert gd.n_iter_ == 200 and len(gd.history_) == 2
    assert gd.loss_curve_[101] == pytest.approx(first[-1], rel=1e-12)  # the second fit starts where the first ended
