"""edc Theorems 3/4 (theorem3.py, theorem4.py and their support modules) and the reduced-problem machinery (arrangements.py).

The checkers themselves run under the ci profile in test_checkers.py; these are the unit, property
and error-path tests of the pieces, and the ReLU point that only a Clarke certificate recognises.
"""

from math import comb

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from theorems.early_directional.arrangements import activation_patterns, face_kkt_point, reduced_values, relu_reduced_global_max
from theorems.early_directional.kkt_points import find_kkt_points, kappa, necessary_conditions, rho
from theorems.early_directional.rank_one_claim import RankOneInstance
from theorems.early_directional.rank_one_template import (
    THEOREM,
    RankOneFactors,
    draw_directions,
    explicit_subgradient_residual,
    kkt_certificate,
    rank_one_point,
    theorem_factors,
)
from theorems.early_directional.reduced_problem import reduced_kkt_points
from theorems.early_directional.theorem3 import RankOneReLU
from theorems.early_directional.theorem4 import RankOnePolynomial
from verify.checker import Context, Verdict
from verify.errors import InputError
from verify.nets import DTYPE, Activation, FeedForward
from verify.strategies import Dataset


def _data(n, d, seed):
    g = np.random.default_rng(seed)
    return torch.as_tensor(g.standard_normal((n, d))), torch.as_tensor(g.standard_normal(n))


def _construct(net, X, y, seed=0, form=THEOREM, equal=False):
    L, act = net.depth, net.activation
    b1 = [k for k in reduced_kkt_points(act, L, X, y, form.reduced_radius(L, act.p), seed=seed) if k.residual < 1e-12][0]
    rng = np.random.default_rng(seed)
    dirs = draw_directions(net, rng, equal_entries=equal, nonnegative=act.alpha != 1.0)
    factors = theorem_factors(net, b1.u, [torch.as_tensor(v) for v in dirs], [1.0] * (L - 2) + [-1.0], form)
    return b1, factors, rank_one_point(net, factors)


def test_relu_kkt_point_autograd_large_clarke_tiny_and_the_checker_calls_it_stationary():
    # a 3-layer ReLU instance whose reduced KKT point b_1 sits on a kink (found once by a seed search)
    checker = RankOneReLU()
    inst = RankOneInstance(Dataset("gaussian", 12, 3, 3), 3, 3, (3, 2), 0.0, 1, 2, (2,), 3)
    ev = checker.claim(inst, Context())
    relu = next(c for c in ev.measurements.sufficiency if c.activation == "relu")
    assert relu.built and relu.autograd_residual > 1e-3 and relu.kkt_residual < 1e-8
    assert checker.decide(ev) is Verdict.PASS
    # every condition checked is its own labelled entry, a distance from the statement
    labels = [e.label for e in ev.entries]
    assert len(set(labels)) == len(labels) and all(e.violation >= 0 for e in ev.entries)
    for case in ("relu", "x"):
        assert {f"sufficiency σ={case} L=3, constructed W̄: {part}" for part in ("KKT residual", "N2 ‖w̄‖²")} <= set(labels)
    assert any(label.startswith("necessity σ=relu L=2, KKT point 1 (") and label.endswith("R b_1 KKT") for label in labels)


def test_a_case_with_nothing_to_build_is_undecided_not_dropped():
    class NothingToBuild(RankOneReLU):
        def construct(self, *args):
            return None

        def necessity_cases(self, inst):
            return []

    inst = RankOneInstance(Dataset("gaussian", 6, 2, 0), 0, 2, (2,), 0.0, 1, 2, (2,), 0)
    ev = NothingToBuild().claim(inst, Context())
    assert [e.label for e in ev.entries] == [f"sufficiency σ={s} L=2: no certified non-zero KKT point b_1 of the reduced problem"
                                             for s in ("relu", "x")]
    assert NothingToBuild().decide(ev) is Verdict.INCONCLUSIVE

    class NothingAtAll(NothingToBuild):
        def sufficiency_cases(self, inst):
            return []

    ev = NothingAtAll().claim(inst, Context())
    assert NothingAtAll().decide(ev) is Verdict.INCONCLUSIVE and ev.note == "nothing was certified"


@pytest.mark.parametrize("alpha", [2.0, 0.1, -0.5])
def test_explicit_subgradient_certifies_leaky_points(alpha):
    X, y = _data(15, 3, 4)
    net = FeedForward((3, 3, 2, 2, 1), Activation(alpha, 1))
    b1, _, u = _construct(net, X, y, seed=1)
    residual, lam = explicit_subgradient_residual(net, u, X, y, b1)
    cert = kkt_certificate(net, u, X, y)
    assert residual < 1e-12
    assert lam == pytest.approx(net.degree * cert.value, rel=1e-12)


def test_theorem4_construction_is_a_kkt_point_with_multiplier_phat_N():
    X, y = _data(10, 3, 5)
    for act in (Activation(0.0, 2), Activation(1.0, 2), Activation(1.0, 3), Activation(-0.5, 3)):
        net = FeedForward((3, 3, 4, 1), act)
        _, factors, u = _construct(net, X, y, equal=True)
        cert = kkt_certificate(net, u, X, y)
        assert float(u @ u) == pytest.approx(1.0, abs=1e-14)
        assert cert.residual < 1e-12 and cert.lam == pytest.approx(net.degree * cert.value, rel=1e-12)
        assert float(factors.wbar.norm()) ** 2 == pytest.approx(1 / net.degree, rel=1e-12)


def test_unequal_entries_break_theorem4_but_not_theorem3():
    X, y = _data(10, 3, 6)
    for p, expected_kkt in ((1, True), (2, False)):
        net = FeedForward((3, 4, 1), Activation(0.0, p))
        b1, _, u = _construct(net, X, y, equal=False)
        residual = explicit_subgradient_residual(net, u, X, y, b1)[0] if p == 1 else kkt_certificate(net, u, X, y).residual
        assert (residual < 1e-12) is expected_kkt


# --- bad input to the public construction


def _net():
    return FeedForward((3, 2, 2, 1), Activation(0.0, 1))


def _balanced():
    a = [torch.tensor([0.6, 0.8], dtype=DTYPE), torch.tensor([1.0, 0.0], dtype=DTYPE)]
    b = [torch.tensor([0.0, 0.6, 0.8], dtype=DTYPE), torch.tensor([0.8, 0.6], dtype=DTYPE)]
    return RankOneFactors(a, b, torch.tensor([0.5, 0.5], dtype=DTYPE))


def test_rank_one_point_builds_the_template():
    u = rank_one_point(_net(), _balanced())
    W1, W2, w3 = _net().split(u)
    torch.testing.assert_close(W1, torch.outer(torch.tensor([0.6, 0.8]), torch.tensor([0.0, 0.6, 0.8])).to(DTYPE))
    assert kappa([W1, W2]) == pytest.approx(0.0, abs=1e-15) and rho([W1, W2]) == 0.0


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda f: f.b.__setitem__(1, 2 * f.b[1]), "not balanced"),
        (lambda f: f.a.__setitem__(0, torch.ones(3) / 3**0.5), "has shape"),
        (lambda f: setattr(f, "wbar", torch.ones(3)), "has shape"),
        (lambda f: f.b.pop(), "needs 2 vectors"),
        (lambda f: f.a.__setitem__(1, torch.tensor([float("nan"), 1.0])), "NaN"),
        (lambda f: (f.a.__setitem__(1, torch.zeros(2)), f.b.__setitem__(1, torch.zeros(2))), "zero"),
    ],
)
def test_rank_one_point_rejects_bad_factors(change, message):
    factors = _balanced()
    change(factors)
    with pytest.raises(InputError, match=message):
        rank_one_point(_net(), factors)


def test_rank_one_point_rejects_vector_outputs_and_theorem_factors_rejects_bad_signs():
    with pytest.raises(InputError, match="scalar-output"):
        rank_one_point(FeedForward((3, 2, 2), Activation(0.0, 1)), _balanced())
    dirs = [torch.ones(2), torch.ones(2)]
    with pytest.raises(InputError, match="inner signs"):
        theorem_factors(_net(), torch.ones(3), dirs, [-1.0, 1.0])
    with pytest.raises(InputError, match="±1"):
        theorem_factors(_net(), torch.ones(3), dirs, [1.0, 0.5])


# --- necessity


def test_certified_points_satisfy_the_conditions_and_mutated_forms_do_not():
    X, y = _data(12, 3, 7)
    for checker, act in ((RankOneReLU(), Activation(1.0, 1)), (RankOnePolynomial(), Activation(0.0, 2))):
        net = FeedForward((3, 2, 3, 1), act)
        points = [f for f in find_kkt_points(net, X, y, restarts=4, seed=0) if f.certified]
        assert points
        checks = [necessary_conditions(net, f, X, y) for f in points]
        assert all(c.rank_one_nonnegative for c in checks)
        assert all(max(c.violations.values()) <= checker.bound(c.floor) for c in checks)
        # every mutant that changes a necessary condition is refuted by the found points alone
        for mutant in checker.mutants:
            form = mutant.overrides["form"]
            if form.equal_entries and form.nonnegative and form.absolute_for_even_p:
                worst = max(max(necessary_conditions(net, f, X, y, form).violations.values()) for f in points)
                assert worst > 1e-3, mutant.name


# --- the reduced problem and the arrangement


@settings(max_examples=5, deadline=None)
@given(n=st.integers(3, 12), d=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_activation_patterns_count_the_cells(n, d, seed):
    X, _ = _data(n, d, seed)
    patterns = activation_patterns(X.numpy())
    expected = 2 * sum(comb(n - 1, k) for k in range(d)) if n >= d else 2**n
    assert len(patterns) == expected == len(np.unique(patterns, axis=0))


def test_global_maximum_bounds_dense_sampling_and_matches_cvxpy():
    X, y = _data(10, 3, 8)
    best = relu_reduced_global_max(X.numpy(), y.numpy(), 0.7)
    U = np.random.default_rng(0).standard_normal((100_000, 3))
    sampled = reduced_values(X.numpy(), y.numpy(), (0.0, 1.0), 0.7 * U / np.linalg.norm(U, axis=1, keepdims=True)).max()
    assert sampled <= best.value + 1e-12 and best.value - sampled < 1e-2
    assert abs(best.gap) < 1e-12 and abs(best.cvxpy_value - best.value) < 1e-6
    face = face_kkt_point(X.numpy(), y.numpy(), (0.0, 1.0), 0.7, best.u)
    assert face is not None and face.residual < 1e-14 and face.value == pytest.approx(best.value, rel=1e-12)


@pytest.mark.parametrize(
    "X, y, message",
    [
        (np.ones((4, 2)), np.ones(4), "general position"),
        (np.zeros((0, 2)), np.ones(0), "non-empty"),
        (np.ones((4, 2)), np.ones(3), "shape"),
        (np.full((4, 2), np.nan), np.ones(4), "NaN"),
        (np.random.default_rng(0).standard_normal((60, 6)), np.ones(60), "at most"),
        (np.random.default_rng(0).standard_normal((5, 2)), -np.ones(5), "no positive value"),
    ],
)
def test_global_maximum_rejects_bad_input(X, y, message):
    with pytest.raises(InputError, match=message):
        relu_reduced_global_max(X, y)


def test_reduced_kkt_points_reject_bad_input():
    X, y = _data(6, 2, 0)
    with pytest.raises(InputError, match="radius"):
        reduced_kkt_points(Activation(0.0, 1), 2, X, y, -1.0)
    with pytest.raises(InputError, match="shape"):
        reduced_kkt_points(Activation(0.0, 1), 2, X, y[:4], 1.0)
    with pytest.raises(InputError, match="depth"):
        reduced_kkt_points(Activation(0.0, 1), 1, X, y, 1.0)


def test_face_kkt_point_rejects_bad_input():
    X, y = _data(6, 2, 0)
    with pytest.raises(InputError, match="radius"):
        face_kkt_point(X.numpy(), y.numpy(), (0.0, 1.0), 0.0, np.ones(2))
    with pytest.raises(InputError, match="u_approx"):
        face_kkt_point(X.numpy(), y.numpy(), (0.0, 1.0), 1.0, np.zeros(2))
