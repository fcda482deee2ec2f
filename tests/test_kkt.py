"""verify.kkt: second-order classification of certified KKT points."""

import numpy as np
import torch

from verify.kkt import ascent_directions, kkt_points
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
