import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from verify.errors import InputError
from verify.nets import Activation, FeedForward, homogeneity_degree, resolve_device
from verify.strategies import activations, datasets, networks


@pytest.mark.parametrize("L,p,D", [(2, 1, 2), (4, 1, 4), (2, 2, 3), (3, 2, 7), (3, 3, 13)])
def test_homogeneity_degree_matches_digest_examples(L, p, D):
    assert homogeneity_degree(L, p) == D
    assert FeedForward((3,) + (2,) * (L - 1) + (1,), Activation(0.0, p)).degree == D


@given(st.data())
def test_network_is_degree_homogeneous_in_all_weights_and_layerwise(data):
    ds = data.draw(datasets())
    net = data.draw(networks(ds.d, outputs=(1, 3)))
    c = data.draw(st.floats(0.3, 3.0))
    X = torch.as_tensor(ds.X)
    u = net.random_unit(1, torch.Generator().manual_seed(ds.seed), "cpu")[0]
    H = net(u, X)
    torch.testing.assert_close(net(c * u, X), c**net.degree * H, rtol=1e-10, atol=1e-300)
    layer = data.draw(st.integers(1, net.depth))
    Ws = net.split(u)
    Ws[layer - 1] = c * Ws[layer - 1]
    torch.testing.assert_close(net(net.flatten(Ws), X), c ** net.layer_degree(layer) * H, rtol=1e-10, atol=1e-300)


@given(st.data())
def test_batched_parameters_equal_one_at_a_time(data):
    ds = data.draw(datasets())
    net = data.draw(networks(ds.d, outputs=(1, 2)))
    X = torch.as_tensor(ds.X)
    U = net.random_unit(5, torch.Generator().manual_seed(0), "cpu")
    batched = net(U, X)
    assert batched.shape == (5, ds.n, net.widths[-1])
    for i in range(5):
        torch.testing.assert_close(batched[i], net(U[i], X), rtol=0, atol=1e-13)


def test_split_flatten_roundtrip_and_shapes():
    net = FeedForward((4, 3, 2, 2), Activation(0.1, 2))
    u = torch.arange(net.n_params, dtype=torch.float64)
    Ws = net.split(u)
    assert [tuple(W.shape) for W in Ws] == [(3, 4), (2, 3), (2, 2)]
    assert torch.equal(net.flatten(Ws), u)


def test_forward_matches_formula_for_two_layers():
    act = Activation(0.3, 2)
    net = FeedForward((2, 3, 1), act)
    u = torch.randn(net.n_params, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    X = torch.randn(7, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    W1, W2 = net.split(u)
    h = X @ W1.T
    expected = torch.where(h > 0, h, 0.3 * h) ** 2 @ W2.T
    torch.testing.assert_close(net(u, X), expected)


@given(activations(alphas=(0.0, 0.1, 0.5, 1.0, -0.3, 2.0)), st.floats(-5, 5), st.floats(0.01, 10))
def test_activation_is_positively_p_homogeneous(act, x, c):
    t = torch.tensor(x, dtype=torch.float64)
    assert math.isclose(float(act(c * t)), c**act.p * float(act(t)), rel_tol=1e-12, abs_tol=1e-300)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Activation(0.0, 1.5), "integer >= 1"),
        (lambda: Activation(0.0, 0), "integer >= 1"),
        (lambda: Activation(float("nan"), 1), "finite"),
        (lambda: FeedForward((3, 1)), "depth L >= 2"),
        (lambda: FeedForward((3, 0, 1)), "integer >= 1"),
        (lambda: FeedForward((3, 2, 1)).split(torch.zeros(5)), "length 5"),
        (lambda: FeedForward((3, 2, 1))(torch.zeros(8), torch.zeros(4, 2)), "features"),
        (lambda: resolve_device("tpu"), "unknown device"),
    ],
)
def test_bad_input_is_a_one_line_input_error(make, message):
    with pytest.raises(InputError, match=message) as info:
        make()
    assert "\n" not in str(info.value)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_gpu_is_an_input_error():
    with pytest.raises(InputError, match="no CUDA device"):
        resolve_device("cuda")


@pytest.mark.parametrize("alpha,p", [(0.0, 1), (0.5, 1), (2.0, 1), (1.0, 2), (0.0, 2), (-0.3, 3)])
@pytest.mark.parametrize("widths", [(3, 4, 2), (3, 2, 3, 1), (2, 3, 2, 2, 3)])
def test_the_written_out_pullback_is_autograd_s_vector_jacobian_product(alpha, p, widths):
    net = FeedForward(widths, Activation(alpha, p))
    g = torch.Generator().manual_seed(2)
    X = torch.randn(7, widths[0], generator=g, dtype=torch.float64)
    u = net.random_unit(3, g).requires_grad_(True)  # a batch of three parameter vectors
    delta = torch.randn(3, 7, widths[-1], generator=g, dtype=torch.float64)
    H, pullback = net.output_and_pullback(u.detach(), X)
    expected = net(u, X)
    (auto,) = torch.autograd.grad((delta * expected).sum(), u)
    assert torch.allclose(H, expected.detach(), rtol=1e-13, atol=0)
    assert torch.allclose(pullback(delta), auto, rtol=1e-11, atol=1e-13)


def test_the_pullback_takes_autograd_s_value_at_a_kink():
    net = FeedForward((2, 2, 1), Activation(0.0, 1))
    u = torch.tensor([1.0, -1.0, 0.0, 1.0, 1.0, 1.0], dtype=torch.float64, requires_grad=True)
    X = torch.tensor([[1.0, 1.0]], dtype=torch.float64)  # neuron 1 sits on its kink: h = 0
    _, pullback = net.output_and_pullback(u.detach(), X)
    (auto,) = torch.autograd.grad(net(u, X).sum(), u)
    assert torch.equal(pullback(torch.ones(1, 1, dtype=torch.float64)), auto)
