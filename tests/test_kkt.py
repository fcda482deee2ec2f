"""verify.kkt: second-order classification of certified KKT points, lifts of shallower points, escapes."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from verify.errors import InputError
from verify.kkt import ascent_directions, kkt_points, lift
from verify.ncf import ncf_and_grad
from verify.nets import DTYPE, Activation, FeedForward


def _linear_problem():
    # a depth-2 linear net with two hidden neurons: N(u) = Σ_j w2_j⟨w1_j, g⟩ with g = Xᵀz
    rng = np.random.default_rng(0)
    X, z = torch.as_tensor(rng.standard_normal((12, 3))), torch.as_tensor(rng.standard_normal((12, 1)))
    return FeedForward((3, 2, 1), Activation(1.0, 1)), X, z


def _kkt(net, X, z, first, second):
    u = net.flatten([first, second])
    u = u / u.norm()
    _, grad = ncf_and_grad(net, u, X, z)
    return u, float(grad @ u)


def test_the_maximum_has_no_ascent_direction_and_the_minimum_has_some():
    net, X, z = _linear_problem()
    g = (X.T @ z)[:, 0]
    g = g / g.norm()
    top, lam_top = _kkt(net, X, z, torch.stack([g, g]), torch.ones(1, 2, dtype=DTYPE))  # both neurons along g: the max
    assert lam_top > 0 and ascent_directions(net, top, X, z, lam_top) == []
    low, lam_low = _kkt(net, X, z, torch.stack([g, g]), -torch.ones(1, 2, dtype=DTYPE))  # the min: every way is up
    assert lam_low < 0 and len(ascent_directions(net, low, X, z, lam_low)) > 0


def test_kkt_points_classifies_its_smooth_points():
    net, X, z = _linear_problem()
    found = kkt_points(net, X, z, restarts=6, steps=300, seed=0)
    assert found.points and all(p.local_max for p in found.points)
    assert "0 of them saddles" in found.summary()


@settings(max_examples=20, deadline=None)
@given(alpha=st.sampled_from([0.0, 0.2, -0.5, 3.0]), layer=st.integers(1, 2), seed=st.integers(0, 2**31 - 1))
def test_a_lift_keeps_the_function_up_to_scale(alpha, layer, seed):
    g = torch.Generator().manual_seed(seed)
    shallow = FeedForward((3, 4, 2), Activation(alpha, 1))
    u = shallow.random_unit(1, g)[0]
    X = torch.randn(7, 3, dtype=DTYPE, generator=g)
    deep, v = lift(shallow, u, layer)
    assert deep.depth == 3 and float(v.norm()) == pytest.approx(1.0)
    before, after = shallow(u, X).flatten(), deep(v, X).flatten()
    assert float((after / after.norm() - before / before.norm()).norm()) < 1e-12
    # the lifted layers are balanced: equal Frobenius norms
    norms = [float(W.norm()) for W in deep.split(v)]
    assert max(norms) - min(norms) < 1e-12


def test_a_lift_needs_a_piecewise_linear_sigma():
    with pytest.raises(InputError, match="max\\(x, αx\\)"):
        lift(FeedForward((3, 4, 2), Activation(0.0, 2)), torch.ones(20, dtype=DTYPE), 1)


def test_a_relu_net_gets_lifted_and_escape_starts():
    j = np.arange(1, 9)
    X = np.stack([np.sin(2 * np.pi * j / 8), np.cos(2 * np.pi * j / 8)], axis=1)
    found = kkt_points(FeedForward((2, 4, 1, 1), Activation(0.0, 1)), X, -((-1.0) ** j), restarts=8, steps=600, seed=0)
    assert found.starts["lift of a depth-2 point (identity layer 1)"] > 0
    assert any(kind.startswith("escape from saddle") for kind in found.starts)
    assert all(p.local_max is None for p in found.points)  # kinked: no second-order verdict
