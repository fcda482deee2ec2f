"""verify.saddle (partition, H1 of np eq. 21, H_{1,l}) and verify.sphere (ascent, Newton); np.lemma8/9 numerics: tests/neuron_pursuit."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from verify.errors import InputError
from verify.kkt import constrained_ncf_max
from verify.ncf import ncf
from verify.nets import DTYPE, Activation, FeedForward
from verify.saddle import (
    SaddleExpansion,
    SaddlePartition,
    ZBlocks,
    downstream_map,
    layer_terms,
)
from verify.sphere import sphere_ascent, sphere_newton
from verify.strategies import activations, datasets


@st.composite
def split_networks(draw, alphas=(0.0, 0.1, 0.5, 1.0, -0.3, 2.0), ps=(1, 2, 3), outputs=(1, 2)):
    """A net with hidden widths 1–4 and an arbitrary G_z (possibly empty in a layer, never a whole layer)."""
    ds = draw(datasets(n=(3, 8), d=(1, 3)))
    widths, z_neurons = [], []
    for _ in range(draw(st.integers(1, 3))):
        k = draw(st.integers(1, 4))
        order = draw(st.permutations(range(k)))
        widths.append(k)
        z_neurons.append(tuple(order[: draw(st.integers(0, k - 1))]))
    if not any(z_neurons):  # G_z must not be empty: add a neuron to the widest layer
        l = int(np.argmax(widths))
        widths[l] += 1
        z_neurons[l] = (widths[l] - 1,)
    act = draw(activations(alphas=alphas, ps=ps))
    net = FeedForward((ds.d, *widths, draw(st.integers(*outputs))), act)
    return SaddlePartition(net, z_neurons), torch.as_tensor(ds.X, dtype=DTYPE), ds.seed


def _random(n, seed, shape=()):
    return torch.randn(*shape, n, generator=torch.Generator().manual_seed(seed), dtype=DTYPE)


# ------------------------------------------------------------------------------------------------
# the partition
# ------------------------------------------------------------------------------------------------


@given(split_networks())
def test_split_and_join_are_exact_inverses_and_cover_every_weight_once(case):
    partition, _, seed = case
    u = _random(partition.net.n_params, seed, (3,))
    w_n, w_z = partition.split(u)
    assert torch.equal(partition.join(w_n, w_z), u)
    positions = torch.arange(partition.net.n_params, dtype=DTYPE)
    covered = torch.cat(partition.split(positions)).sort().values
    assert torch.equal(covered, positions)
    assert torch.equal(partition.flatten_blocks(partition.blocks(w_z)), w_z)


@given(split_networks())
def test_blocks_are_the_paper_blocks_of_the_weight_matrices(case):
    partition, _, seed = case
    net, L = partition.net, partition.depth
    u = _random(net.n_params, seed)
    Ws = net.split(u)
    Ns = partition.n_net.split(partition.split(u)[0])
    blocks = partition.blocks(partition.split(u)[1])
    rows_n = [range(net.widths[0])] + [list(n) for n in partition.n_neurons] + [range(net.widths[-1])]
    rows_z = [[]] + [list(z) for z in partition.z_neurons] + [[]]
    for l in range(1, L + 1):
        W = Ws[l - 1]
        assert torch.equal(Ns[l - 1], W[rows_n[l]][:, rows_n[l - 1]])
        if l < L:
            assert torch.equal(blocks.A[l], W[rows_z[l]][:, rows_n[l - 1]])
        if l > 1:
            assert torch.equal(blocks.B[l], W[rows_n[l]][:, rows_z[l - 1]])
        if 1 < l < L:
            assert torch.equal(blocks.C[l], W[rows_z[l]][:, rows_z[l - 1]])


@given(split_networks())
def test_the_saddle_output_is_the_n_network(case):
    partition, X, seed = case
    w_n = _random(partition.n_wn, seed)
    full = partition.net(partition.join(w_n, torch.zeros(partition.n_wz, dtype=DTYPE)), X)
    torch.testing.assert_close(full, partition.n_net(w_n, X), rtol=1e-13, atol=1e-300)


def test_from_counts_takes_the_last_neurons():
    partition = SaddlePartition.from_counts(FeedForward((3, 4, 5, 1)), (2, 0))
    assert partition.z_neurons == ((2, 3), ())
    assert partition.n_neurons == ((0, 1), (0, 1, 2, 3, 4))
    assert partition.deltas == (2, 0)


def test_two_layer_decomposition_is_exact_for_every_activation():
    # np digest: for L = 2, H = N_2σ(N_1x) + B_2σ(A_1x) exactly, whatever σ
    for act in (Activation(0.0, 1), Activation(0.3, 2), Activation(2.0, 5)):
        partition = SaddlePartition(FeedForward((3, 4, 2), act), [[1, 3]])
        X = _random(3, 1, (6,))
        w_n, w_z = _random(partition.n_wn, 2), _random(partition.n_wz, 3)
        H = partition.net(partition.join(w_n, w_z), X)
        torch.testing.assert_close(H, partition.n_net(w_n, X) + SaddleExpansion(partition, w_n, X).h1(w_z), rtol=1e-12, atol=1e-12)


def test_moving_the_z_neurons_to_the_end_changes_nothing():
    # np Remark 2: G_z anywhere is G_z at the end after permuting neurons (rows of W_l, columns of W_{l+1})
    net = FeedForward((3, 4, 3, 2), Activation(0.2, 2))
    anywhere = SaddlePartition(net, [[0, 2], [1]])
    at_end = SaddlePartition.from_counts(net, (2, 1))
    perms = [[1, 3, 0, 2], [0, 2, 1]]  # n-neurons first, then the z-neurons, in order
    u, X = _random(net.n_params, 4), _random(3, 5, (7,))
    Ws = net.split(u)
    permuted = [Ws[0][perms[0]], Ws[1][perms[1]][:, perms[0]], Ws[2][:, perms[1]]]
    v = net.flatten(permuted)
    torch.testing.assert_close(net(u, X), net(v, X))
    for a, b in zip(anywhere.split(u), at_end.split(v)):
        assert torch.equal(a, b)
    w_n, w_z = anywhere.split(u)
    torch.testing.assert_close(SaddleExpansion(anywhere, w_n, X).h1(w_z), SaddleExpansion(at_end, w_n, X).h1(w_z))


# ------------------------------------------------------------------------------------------------
# H1 and H_{1,l}
# ------------------------------------------------------------------------------------------------


@given(split_networks(alphas=(0.3, 1.0, 2.0), ps=(2, 3)))
def test_sensitivities_follow_the_backward_recursion(case):
    # np eqs. (46)/(49): v_L = I, v_l = v_{l+1} N_{l+1} diag(σ'(h_l)) with h_l the n-pre-activations
    partition, X, seed = case
    n_net, act = partition.n_net, partition.net.activation
    w = _random(n_net.n_params, seed)
    Ns, hs = n_net.split(w), n_net.preactivations(w, X)
    v = torch.eye(n_net.widths[-1], dtype=DTYPE).expand(X.shape[0], -1, -1)
    for term in reversed(layer_terms(n_net, w, X)):
        torch.testing.assert_close(term.sensitivity, v, rtol=1e-12, atol=1e-12)
        l = term.layer
        v = (v @ Ns[l]) * act.derivative(hs[l - 1]).unsqueeze(-2)


@given(split_networks())
def test_neuron_terms_sum_to_h1_and_batch(case):
    partition, X, seed = case
    w_n = _random(partition.n_wn, seed)
    expansion = SaddleExpansion(partition, w_n, X)
    W = _random(partition.n_wz, seed + 1, (5,))
    total = sum(t.sum(dim=-3) for t in expansion.neuron_terms(W))
    torch.testing.assert_close(total, expansion.h1(W), rtol=1e-12, atol=1e-12)
    for i in range(5):
        torch.testing.assert_close(expansion.h1(W[i]), expansion.h1(W)[i], rtol=1e-13, atol=1e-300)
    z = _random(partition.net.widths[-1], seed + 2, (X.shape[0],))
    torch.testing.assert_close(expansion.ncf_objective(z)(W), expansion.ncf(z, W), rtol=1e-12, atol=1e-12)


@given(split_networks(outputs=(1, 3)), st.floats(0.3, 3.0))
def test_layer_term_is_p_plus_1_homogeneous_and_a_two_layer_ncf(case, c):
    partition, X, seed = case
    p = partition.net.activation.p
    z = _random(partition.net.widths[-1], seed, (X.shape[0],))
    for term in layer_terms(partition.n_net, _random(partition.n_wn, seed), X):
        b, a = _random(term.out_dim, seed + 1, (4,)), _random(term.in_dim, seed + 2, (4,))
        torch.testing.assert_close(term(c * b, c * a), c ** (p + 1) * term(b, a), rtol=1e-11, atol=1e-300)
        torch.testing.assert_close(term.ncf(z, b, a), (z * term(b, a)).sum(dim=(-2, -1)), rtol=1e-12, atol=1e-12)
        # the layer's NCF is that of the two-layer net b σ(aᵀg) on (g_{l-1}(X), correlation(z))
        two_layer = term.network(4)
        theta = two_layer.flatten([a, b.T])
        torch.testing.assert_close(ncf(two_layer, theta, term.inputs, term.correlation(z)), term.ncf(z, b, a).sum())


def test_h1_stays_differentiable_in_w_n():
    partition = SaddlePartition(FeedForward((2, 3, 3, 1), Activation(0.5, 4)), [[0], [2]])
    X, w_z = _random(2, 0, (5,)), _random(partition.n_wz, 1)
    w_n = _random(partition.n_wn, 2).requires_grad_(True)
    (g,) = torch.autograd.grad(SaddleExpansion(partition, w_n, X).h1(w_z).sum(), w_n)
    assert torch.isfinite(g).all() and float(g.norm()) > 0


# ------------------------------------------------------------------------------------------------
# sphere ascent and Newton
# ------------------------------------------------------------------------------------------------


def test_sphere_ascent_finds_the_top_eigenvector_and_newton_finishes_it():
    A = _random(6, 0, (6,))
    S = A + A.T
    top = torch.linalg.eigvalsh(S)[-1]

    def quadratic(u):
        return torch.einsum("ri,ij,rj->r", u, S, u)

    result = sphere_ascent(quadratic, _random(6, 1, (8,)), steps=3000)
    assert abs(float(result.value[0]) - float(top)) < 1e-10
    assert torch.all(result.value[:-1] >= result.value[1:])
    torch.testing.assert_close(result.u.norm(dim=-1), torch.ones(8, dtype=DTYPE))
    rough = sphere_ascent(quadratic, _random(6, 1, (1,)), steps=5)
    w, g, residual = sphere_newton(quadratic, rough.u[0])
    assert residual < 1e-13 and abs(float(w @ g) / 2 - float(top)) < 1e-10


def test_sphere_ascent_is_the_iteration_of_constrained_ncf_max():
    # same start points, same steps, no early stop: the generic ascent reproduces the engine's loop
    rng = np.random.default_rng(0)
    X, z = rng.standard_normal((12, 3)), rng.standard_normal(12)
    net = FeedForward((3, 4, 1), Activation(0.0, 2))
    init = net.random_unit(6, torch.Generator().manual_seed(1), "cpu")
    engine = constrained_ncf_max(net, X, z, init=init, steps=60, tol=1e-300, certify=False)
    Xt, zt = torch.as_tensor(X), torch.as_tensor(z)
    ours = sphere_ascent(lambda u: ncf(net, u, Xt, zt), init, steps=60, tol=1e-300)
    torch.testing.assert_close(ours.u, engine.u, rtol=0, atol=0)
    torch.testing.assert_close(ours.value, engine.value, rtol=0, atol=0)


def test_best_stops_when_the_best_restarts_are_done():
    S = torch.diag(torch.tensor([3.0, 2.9, 1.0, -1.0], dtype=DTYPE))
    result = sphere_ascent(lambda u: torch.einsum("ri,ij,rj->r", u, S, u), _random(4, 2, (6,)), steps=5000, best=1)
    assert result.steps < 5000 and float(result.kkt_residual[0]) < 1e-12


# ------------------------------------------------------------------------------------------------
# bad input
# ------------------------------------------------------------------------------------------------

NET = FeedForward((3, 3, 2, 1), Activation(0.0, 2))


@pytest.mark.parametrize("z_neurons,message", [
    ([[0]], "one index list per hidden layer"),
    ("ab", "one index list per hidden layer"),
    ([[0], 5], "must be a list of neuron indices"),
    ([[3], [0]], "out of range"),
    ([[-1], [0]], "integer >= 0"),
    ([[0, 0], [0]], "repeat"),
    ([[0, 1, 2], [0]], "keep no n-neuron"),
    ([[], []], "G_z is empty"),
    ([[0.5], [0]], "integer >= 0"),
])
def test_bad_partition(z_neurons, message):
    with pytest.raises(InputError, match=message):
        SaddlePartition(NET, z_neurons)


def test_bad_input_to_the_partition_and_h1():
    partition = SaddlePartition(NET, [[0], [1]])
    X = _random(3, 0, (4,))
    with pytest.raises(InputError, match="one count per hidden layer"):
        SaddlePartition.from_counts(NET, (1,))
    with pytest.raises(InputError, match="parameter vector"):
        partition.split(torch.zeros(5, dtype=DTYPE))
    with pytest.raises(InputError, match="w_z must be a tensor"):
        partition.join(torch.zeros(partition.n_wn, dtype=DTYPE), torch.zeros(2, dtype=DTYPE))
    with pytest.raises(InputError, match="w_z must be a tensor"):
        partition.blocks([0.0])
    blocks = partition.blocks(torch.zeros(partition.n_wz, dtype=DTYPE))
    with pytest.raises(InputError, match="block C_2"):
        partition.flatten_blocks(ZBlocks(blocks.A, blocks.B, {}))
    with pytest.raises(InputError, match="2 <= k <= L"):
        downstream_map(partition.n_net, torch.zeros(partition.n_wn, dtype=DTYPE), 1)
    with pytest.raises(InputError, match="one parameter vector"):
        layer_terms(partition.n_net, torch.zeros(3, partition.n_wn, dtype=DTYPE), X)
    with pytest.raises(InputError, match="features"):
        layer_terms(partition.n_net, torch.zeros(partition.n_wn, dtype=DTYPE), _random(2, 0, (4,)))
    with pytest.raises(InputError, match="must be a SaddlePartition"):
        SaddleExpansion(NET, torch.zeros(3), X)
    term = layer_terms(partition.n_net, torch.ones(partition.n_wn, dtype=DTYPE), X)[0]
    with pytest.raises(InputError, match=r"takes b of shape"):
        term(torch.zeros(term.out_dim + 1, dtype=DTYPE), torch.zeros(term.in_dim, dtype=DTYPE))
    with pytest.raises(InputError, match="z must have shape"):
        term.correlation(torch.zeros(7, dtype=DTYPE))
    with pytest.raises(InputError, match="width"):
        term.network(0)


@pytest.mark.parametrize("kwargs,message", [
    (dict(init=torch.zeros(3, 2, dtype=DTYPE)), "finite and non-zero"),
    (dict(init=torch.ones(4, dtype=DTYPE)), r"\(restarts, k\) tensor"),
    (dict(init=torch.full((2, 2), math.nan, dtype=DTYPE)), "finite and non-zero"),
    (dict(steps=-1), "steps must be an integer"),
    (dict(step_size=0.0), "step_size"),
    (dict(best=0), "best must be an integer"),
    (dict(objective=lambda u: u.sum()), r"must map \(R, k\) to \(R,\)"),
    (dict(objective=3), "must be callable"),
])
def test_bad_input_to_sphere_ascent(kwargs, message):
    args = dict(objective=lambda u: u[:, 0], init=torch.ones(2, 3, dtype=DTYPE)) | kwargs
    with pytest.raises(InputError, match=message):
        sphere_ascent(args.pop("objective"), args.pop("init"), **args)


def test_bad_input_to_sphere_newton():
    with pytest.raises(InputError, match="one finite non-zero vector"):
        sphere_newton(lambda u: u[:, 0], torch.zeros(3, dtype=DTYPE))
    with pytest.raises(InputError, match="must be callable"):
        sphere_newton(None, torch.ones(3, dtype=DTYPE))
