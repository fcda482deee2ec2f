"""edc.flows at scale ci through the experiment runner, and its pieces: the circle's exact KKT points, the batched blow-up
against verify.flow.blow_up, neuron alignment, the balance floor, and a bounded start that does not converge to 0."""

import dataclasses
import math
import pickle

import numpy as np
import torch

import theorems.early_directional.flows as flows  # registers edc.flows (until the package's __init__ imports it)
from verify.experiments import experiments, run_experiment
from verify.flow import FlowStatus, blow_up, integrate, integrate_batch, ncf_flow
from verify.ncf import ncf
from verify.nets import DTYPE, FeedForward
from verify.sphere import value_and_grad

from ..reportcheck import check_report_directory, load_strict_json

OUTCOMES = ("every escaping flow converges in direction", "T* ≤", "N(u0) > 0 ⇒ the flow escapes",
            "a flow that does not escape stays bounded", "np Lemma 1", "stable-set masses")


def test_ci_run_writes_a_report_with_its_outcomes_and_one_figure_per_setting(tmp_path):
    exp = experiments()["edc.flows"]
    run = run_experiment(exp, scale="ci", seed=3, device="cpu", out_dir=tmp_path, cache_dir=tmp_path / "cache")
    check_report_directory(tmp_path)
    data = load_strict_json(tmp_path / "edc.flows.json")
    assert data["scale"] == "ci" and data["seed"] == 3 and data["status"] == run.status
    outcomes = data["outcomes"]
    assert [next(i for i, w in enumerate(OUTCOMES) if o["what"].startswith(w)) for o in outcomes] == list(range(6))
    # edc Lemma 2's conclusions (P7 limits, P4 bound, P1 escape) are decided and hold; the masses have no paper number
    assert [o["reproduced"] for o in outcomes[:3]] == [True, True, True]
    assert outcomes[5]["paper"] == "paper: no number" and outcomes[5]["reproduced"] is None
    markdown = (tmp_path / "edc.flows.md").read_text()
    assert len(data["figures"]) == 3
    for fig, key in zip(data["figures"], ("circle", "neuron", "net")):
        assert fig.endswith(f"edc.flows-{key}.png") and (tmp_path / fig).is_file() and fig in markdown
    result = pickle.loads(next((tmp_path / "cache").rglob("*.pkl")).read_bytes())["result"]
    for part in result.parts:  # the batched integrations agree with the scipy reference on the re-integrated rows
        assert part.reference and all(a <= 1e-8 and c <= 1e-12 for _, a, c in part.reference)
        assert all(r.kind != "escape" or r.point >= 0 for r in part.runs)


def test_the_circle_part_depends_only_on_its_seed():
    s = dataclasses.replace(flows.SCALES["ci"], references=0, path_points=10)

    def part(seed):
        rng = np.random.default_rng(seed)
        X, z = flows._plane_data(rng, s.n_plane)
        return pickle.dumps(flows._circle(X, z, 4, s, rng))

    assert part(5) == part(5) and part(5) != part(6)


def test_the_circle_kkt_points_are_every_critical_angle_and_the_field_is_the_gradient():
    X, z = flows._plane_data(np.random.default_rng(1), 9)
    points, flats = flows.circle_kkt_points(X.numpy(), z.numpy())
    theta = np.linspace(-np.pi, np.pi, 200_001)
    U = torch.as_tensor(np.stack([np.cos(theta), np.sin(theta)], axis=1))
    value, grad = flows.circle_flow(X, z).value_and_grad(U)
    torch.testing.assert_close(grad, value_and_grad(flows.circle_ncf(X, z), U)[1], rtol=1e-12, atol=1e-12)
    slope = (grad[:, 1] * U[:, 0] - grad[:, 0] * U[:, 1]).numpy()  # N′(θ) = ∇N·e_θ
    crossings = theta[1:][np.sign(slope[1:]) != np.sign(slope[:-1])]
    assert not flats and len(points) == len(crossings) and len(points) % 2 == 0
    for th, v, local_max in points:
        k = np.argmin(np.abs(np.angle(np.exp(1j * (crossings - th)))))
        assert abs(math.remainder(crossings[k] - th, 2 * math.pi)) < 1e-4
        u = torch.tensor([[math.cos(th), math.sin(th)]], dtype=DTYPE)
        assert abs(float(flows.circle_ncf(X, z)(u)[0]) - v) < 1e-12
        i = int(np.argmin(np.abs(theta - math.remainder(th, 2 * math.pi))))
        assert local_max == (slope[max(i - 50, 0)] > 0 > slope[min(i + 50, len(theta) - 1)])


def test_the_batched_blow_up_agrees_with_the_scipy_reference():
    net = FeedForward((3, 3, 1), flows.SQUARED_RELU)
    g = torch.Generator().manual_seed(2)
    X, z = torch.randn(8, 3, generator=g, dtype=DTYPE), torch.randn(8, generator=g, dtype=DTYPE)
    U = net.random_unit(12, g)
    U = U[ncf(net, U, X, z) > 0][:2]
    flow = ncf_flow(net, X, z)
    batch = flows.batched_blow_up(flow, U, grid=20)
    assert batch.finished.all() and np.all(batch.T_star <= batch.bound)
    for i in range(len(U)):
        ref = blow_up(flow, U[i])
        assert abs(ref.T_star - batch.T_star[i]) <= 1e-8 * ref.T_star
        assert 1 - float(ref.direction @ batch.direction[i]) <= 1e-12
        t, s = batch.paths[i]
        assert t[0] == 0 and abs(t[-1] - 1) < 1e-9 and np.allclose(np.linalg.norm(s, axis=1), 1)


def test_aligned_cosine_undoes_a_permutation_of_hidden_neurons_and_the_balance_floor_holds_along_the_flow():
    net = FeedForward((3, 4, 1), flows.SQUARED_RELU)
    g = torch.Generator().manual_seed(4)
    u = net.random_unit(1, g)[0]
    W1, W2 = net.split(u)
    perm = torch.tensor([2, 0, 3, 1])
    v = net.flatten([W1[perm], W2[:, perm]])
    c, aligned = flows.aligned_cosine(net, u.numpy(), v.numpy())
    assert abs(c - 1) < 1e-14 and np.allclose(aligned, u.numpy())
    X, z = torch.randn(6, 3, generator=g, dtype=DTYPE), torch.randn(6, generator=g, dtype=DTYPE)
    tr = integrate(ncf_flow(net, X, z), u, 0.3)
    floor = flows.balance_floor(net, u.numpy())
    invariants = [(Wa.square().sum(1) - 2 * Wb[0].square()).numpy() for Wa, Wb in (net.split(torch.as_tensor(w)) for w in tr.u)]
    assert np.allclose(invariants, invariants[0], atol=1e-9)
    assert floor > 0 and np.all(np.linalg.norm(tr.u, axis=1) >= floor * (1 - 1e-12))


def test_a_neuron_start_over_a_negative_maximum_stays_bounded_away_from_zero():
    """np Lemma 1 says a flow that does not escape converges to 0: v·relu(uᵀx)² started with 2v² > ‖u‖², v > 0 and u at
    a local maximum of g(u) = Σ z_i relu(x_iᵀu)² with g < 0 keeps N < 0, while u → 0 and v → √(v0² − ‖u0‖²/2) > 0."""
    X, z = flows._plane_data(np.random.default_rng(0), 8)
    points, _ = flows.circle_kkt_points(X.numpy(), z.numpy())
    th = next(th for th, v, local_max in points if local_max and v < 0)
    net = FeedForward((2, 1, 1), flows.SQUARED_RELU)
    u0 = torch.tensor([0.3 * math.cos(th + 0.05), 0.3 * math.sin(th + 0.05), 0.9], dtype=DTYPE)
    u0 = u0 / u0.norm()
    assert float(ncf(net, u0, X, z)) < 0
    bt = integrate_batch(ncf_flow(net, X, z), u0[None], 100.0, rtol=flows.RTOL, atol=flows.T_ATOL, blow_up_norm=2.0)
    end = bt.u_end[0]
    assert bt.status == [FlowStatus.SUCCESS] and float(end[:2].norm()) < 1e-12
    assert abs(float(end[2]) - flows.balance_floor(net, u0.numpy())) < 1e-9
