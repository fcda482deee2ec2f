import numpy as np
import pytest
import torch

from verify.clarke import polish_kkt, stationarity
from verify.errors import InputError
from verify.kkt import constrained_ncf_max
from verify.nets import Activation, FeedForward


def _data(n=20, d=5, seed=0, m=1):
    g = np.random.default_rng(seed)
    return g.standard_normal((n, d)), g.standard_normal((n, m))


def test_linear_two_layer_maximum_is_half_the_norm_of_Xz():
    # N(W1, W2) = W2 W1 (Xᵀz): on Σ‖W‖² = 1 the maximum of vᵀ(W1 c) is ‖c‖/2 (AM–GM)
    X, z = _data()
    net = FeedForward((5, 3, 1), Activation(1.0, 1))
    res = constrained_ncf_max(net, X, z, restarts=8, steps=500)
    expected = np.linalg.norm(X.T @ z) / 2
    assert abs(float(res.value[0]) - expected) < 1e-10
    assert float(res.kkt_residual[0]) < 1e-10
    torch.testing.assert_close(res.lam, net.degree * res.value)


def test_vector_output_linear_maximum_is_half_the_spectral_norm():
    X, Z = _data(m=3)
    net = FeedForward((5, 4, 3), Activation(1.0, 1))
    res = constrained_ncf_max(net, X, Z, restarts=8, steps=800)
    assert abs(float(res.value[0]) - np.linalg.norm(X.T @ Z, 2) / 2) < 1e-10


def test_restarts_are_sorted_and_unit_norm():
    X, z = _data()
    net = FeedForward((5, 3, 3, 1), Activation(0.0, 2))
    res = constrained_ncf_max(net, X, z, restarts=12, steps=200)
    assert res.u.shape == (12, net.n_params)
    assert torch.all(res.value[:-1] >= res.value[1:])
    torch.testing.assert_close(res.u.norm(dim=-1), torch.ones(12, dtype=torch.float64))


def test_batched_ascent_equals_one_restart_at_a_time():
    X, z = _data()
    net = FeedForward((5, 3, 1), Activation(0.0, 2))
    init = net.random_unit(4, torch.Generator().manual_seed(3), "cpu")
    batched = constrained_ncf_max(net, X, z, init=init, steps=100, tol=0.0)
    single = [constrained_ncf_max(net, X, z, init=init[i : i + 1], steps=100, tol=0.0) for i in range(4)]
    torch.testing.assert_close(torch.sort(batched.value).values, torch.sort(torch.cat([s.value for s in single])).values)


def test_smooth_polish_reaches_machine_precision():
    X, z = _data()
    net = FeedForward((5, 3, 3, 1), Activation(0.0, 2))
    res = constrained_ncf_max(net, X, z, restarts=8, steps=300)
    pol = polish_kkt(net, res.u[0], torch.as_tensor(X), torch.as_tensor(z))
    assert pol.ok and pol.residual < 1e-12


def test_relu_kkt_point_is_stationary_in_the_clarke_sense_but_not_for_autograd():
    # projected ascent chatters across the kinks: autograd's residual stays large there,
    # while the polished point carries a Clarke certificate at machine precision
    X, z = _data(n=20, d=5, seed=1)
    X, z = torch.as_tensor(X), torch.as_tensor(z)
    net = FeedForward((5, 4, 4, 1), Activation(0.0, 1))
    res = constrained_ncf_max(net, X, z, restarts=16, steps=1000, certify=False)
    assert float(res.kkt_residual[0]) > 1e-3
    polished = [polish_kkt(net, u, X, z) for u in res.u[:4]]
    ok = [p for p in polished if p.ok]
    assert ok, "no restart could be polished"
    cert = stationarity(net, ok[0].u, X, z, tau=1e-9)
    assert cert.residual < 1e-9


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(X=[[np.nan, 1.0]] * 3), "NaN or inf"),
        (dict(X=np.zeros((0, 2))), "empty"),
        (dict(X=np.ones(4)), "2-D"),
        (dict(z=np.ones(5)), r"shape \(3,\)"),
        (dict(z=[1.0, np.inf, 0.0]), "NaN or inf"),
        (dict(step_size=0.0), "step_size"),
        (dict(step_size=-1), "step_size"),
        (dict(restarts=0), "restarts"),
        (dict(X=np.ones((3, 4))), "features"),
    ],
)
def test_bad_input(kwargs, message):
    args = dict(X=np.ones((3, 2)), z=np.ones(3))
    args.update(kwargs)
    net = FeedForward((2, 2, 1), Activation(0.0, 1))
    X, z = args.pop("X"), args.pop("z")
    with pytest.raises(InputError, match=message):
        constrained_ncf_max(net, X, z, steps=5, **args)
