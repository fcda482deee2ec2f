"""np.lemma10: PASS under ci with every mutant killed; the exact single-neuron flow against the reference integrator; each
mutant refuted numerically on a discriminating instance; a block with no positive KKT point is undecided."""

import math

import numpy as np
import torch

from tests.ci_run import passes_ci_with_every_mutant_killed
from theorems.neuron_pursuit.lemma10 import DominantKKTSelection, NeuronBlocks, QuadraticBlocks, neuron_block, neuron_flow
from verify.checker import Context, Verdict
from verify.flow import FlowStatus, integrate, ncf_flow
from verify.nets import DTYPE, Activation, FeedForward
from verify.strategies import Dataset, NCFProblem


def test_ci_pass_and_every_mutant_killed():
    passes_ci_with_every_mutant_killed(DominantKKTSelection())


def _neuron(alpha: float, seed: int):
    X = Dataset("gaussian", 8, 3, seed).X
    z = np.random.default_rng(seed + 10).standard_normal(8)
    net = FeedForward((3, 1, 1), Activation(alpha, 1))
    return net, X, z, net.random_unit(1, torch.Generator().manual_seed(seed))[0]


def test_exact_neuron_flow_agrees_with_the_reference_integrator_and_resolves_slides():
    # leaky ReLU, 6 kink crossings, no slide: the closed form region by region against scipy's DOP853 (rtol 1e-12)
    net, X, z, u0 = _neuron(0.5, 1)
    exact = neuron_flow(X, z, 0.5, u0.numpy())
    assert exact.resolved and exact.events >= 3 and exact.slides == 0
    T = exact.t_final + 3 / exact.nu
    ref = integrate(ncf_flow(net, torch.as_tensor(X), torch.as_tensor(z)), u0, T, rtol=1e-12, atol=1e-14, blow_up_norm=1e200)
    assert ref.status is FlowStatus.SUCCESS
    assert abs(math.log(np.linalg.norm(ref.u[-1])) - exact.log_norm(T)) < 1e-8
    assert np.linalg.norm(ref.u[-1] / np.linalg.norm(ref.u[-1]) - exact.direction_at(T)) < 1e-8
    # ReLU: the reference integrator stops where the flow slides along a kink; the Filippov solution goes on to a
    # certified KKT point on that kink
    net, X, z, u0 = _neuron(0.0, 2)
    ref = integrate(ncf_flow(net, torch.as_tensor(X), torch.as_tensor(z)), u0, 50.0, blow_up_norm=1e200)
    assert ref.status is FlowStatus.SLIDING
    block, note = neuron_block("n", X, z, 0.0, u0.numpy())
    exact = neuron_flow(X, z, 0.0, u0.numpy())
    assert block is not None and exact.slides >= 1 and exact.sliding, note
    assert np.abs(X[list(exact.sliding)] @ block.kkt_point[:3]).max() < 1e-12  # the limit sits on the kink


def test_each_mutant_fails_numerically_on_a_discriminating_instance():
    checker = DominantKKTSelection()
    instance = QuadraticBlocks(seed=3, m=3, winners=2, scale=1.0, discriminating=True)
    evidence = checker.claim(instance, Context())
    assert checker.decide(evidence) is Verdict.PASS
    m = evidence.measurements
    assert m.largest_start_value_lost and m.winners == 2 and m.worst_rate_defect < 1e-10
    for mutant in checker.mutants:  # the rate mutant is also refuted symbolically; here by the rates themselves
        mutated = mutant.apply(checker)
        assert mutated.decide(mutated.claim(instance, Context())) is Verdict.FAIL, mutant.name


def test_neurons_and_a_winning_one_dimensional_block():
    problem = NCFProblem(FeedForward((3, 3, 1), Activation(0.1, 1)), Dataset("gaussian", 8, 3, 4), 5)
    checker = DominantKKTSelection()
    evidence = checker.claim(NeuronBlocks(problem, 6, 1.5), Context())
    assert checker.decide(evidence) is Verdict.PASS
    assert evidence.measurements.winners == 1 and evidence.measurements.blocks == 4  # the 1-D block wins, 3 neurons lose


def test_no_positive_kkt_point_is_undecided():
    # a linear neuron with Xᵀz = 0: G ≡ 0, the field vanishes for every start, no start is in a stable set
    X = Dataset("gaussian", 6, 2, 0).X
    z = np.random.default_rng(1).standard_normal(6)
    z -= X @ np.linalg.lstsq(X, z, rcond=None)[0]
    problem = NCFProblem(FeedForward((2, 2, 1), Activation(1.0, 1)), Dataset("gaussian", 6, 2, 0), 0, "given", z[:, None])
    checker = DominantKKTSelection()
    evidence = checker.claim(NeuronBlocks(problem, 0, 0.5), Context())
    assert checker.decide(evidence) is Verdict.INCONCLUSIVE
    assert torch.as_tensor(z, dtype=DTYPE).abs().sum() > 0
