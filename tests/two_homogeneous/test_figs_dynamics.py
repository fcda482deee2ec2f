"""dc2.figs1_3_4 (Figures 1, 3 and 4: squared-ReLU neurons near the origin and near the D.3 saddle) at scale ci."""

import pickle

import numpy as np

import theorems.two_homogeneous.figs1_3_4 as figs
from verify.experiments import experiments, run_experiment

from ..reportcheck import check_report_directory, load_strict_json

NAME = "dc2.figs1_3_4"


def test_experiment_at_ci_writes_a_well_formed_report_and_depends_only_on_its_seed(tmp_path):
    exp = experiments()[NAME]
    run = run_experiment(exp, scale="ci", seed=3, device="cpu", out_dir=tmp_path, cache_dir=tmp_path / "cache")
    check_report_directory(tmp_path)
    data = load_strict_json(tmp_path / f"{NAME}.json")
    assert data["scale"] == "ci" and data["seed"] == 3 and data["status"] == run.status
    assert run.status == "undecided" and all(o["reproduced"] is None for o in data["outcomes"])  # ci decides nothing
    assert len(data["figures"]) == 3 and all((tmp_path / fig).is_file() for fig in data["figures"])
    cached = pickle.loads(next((tmp_path / "cache").rglob("*.pkl")).read_bytes())["result"]
    assert pickle.dumps(exp.run("ci", 3, "cpu")) == pickle.dumps(cached)  # same seed, same result
    assert pickle.dumps(exp.run("ci", 4, "cpu")) != pickle.dumps(cached)  # the seed is used


def test_at_seed_0_the_digest_sample_and_the_neurons_follow_their_ncf_flows():
    r = experiments()[NAME].run("ci", 0, "cpu")
    assert [round(th, 2) for th, _ in r.ncf.maxima()] == [14.48, 175.08]  # the digest's quoted maxima (errata §7)
    assert [(round(th, 9), round(v, 9)) for th, v in r.even_ncf.maxima()] == [(0.0, 46.875), (180.0, 37.5)]
    for n in (r.fig1_neurons, r.fig4_neurons):  # near the origin / the saddle each neuron turns like its own NCF flow
        assert figs._gap(n.end, n.ncf_at_end).max() < 1.0
    assert r.fig1.loss[-1] / r.fig1.loss[0] > 0.9 and r.printed[0].loss[-1] / r.printed[0].loss[0] < 1e-3  # T20
    assert np.isclose(r.saddle_norm, np.sqrt(5))


def test_flat_arcs_join_across_activation_patterns_and_the_wrap():
    arcs = figs._merge([(0.1, 0.2), (0.2, 0.3), (6.2, 2 * np.pi), (0.0, 0.05)])
    assert len(arcs) == 2
    joined = arcs[0]
    assert np.isclose(joined[0], np.degrees(6.2) - 360) and np.isclose(joined[1], np.degrees(0.05))
    assert figs._in_arcs(0.0, arcs) and not figs._in_arcs(90.0, arcs)
    assert figs._wrap(-180.0) == 180.0 and figs._wrap(540.0) == 180.0


def test_a_neuron_off_its_limit_is_a_failure_only_when_its_ncf_flow_has_arrived():
    paths = figs.NeuronPaths(np.array([[0.0, 0.0], [10.0, 50.0], [10.0, 90.0]]), np.array([10.0, 50.0]), np.array([10.0, 90.0]),
                             np.array([0, 1]), 1)  # read at checkpoint 1, not the last
    assert paths.verdict() is None  # the second neuron's own NCF flow is 40° short of its limit too
    arrived = figs.NeuronPaths(paths.trained, np.array([10.0, 89.0]), paths.ncf_limit, paths.limit_point, 1)
    assert arrived.verdict() is False
    done = figs.NeuronPaths(paths.trained, arrived.ncf_at_end, paths.ncf_limit, paths.limit_point, 2)
    assert done.verdict() is True
