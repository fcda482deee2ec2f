"""np's experiments at scale ci: well-formed reports, and the same seed gives the same result."""

import dataclasses
import math

import numpy as np
import pytest
import torch

from theorems.neuron_pursuit.fig6 import Fig6
from theorems.neuron_pursuit.lemma8_outside import Lemma8Outside
from theorems.neuron_pursuit.lemma9_sparsity import Lemma9Sparsity
from theorems.neuron_pursuit.lemma12_decrease import Lemma12Decrease
from theorems.neuron_pursuit.lemma13_outside import Lemma13Outside
from verify.experiments import experiments, run_experiment

from ..reportcheck import check_report_directory, load_strict_json

EXPERIMENTS = [Fig6, Lemma8Outside, Lemma9Sparsity, Lemma12Decrease, Lemma13Outside]


def same(a, b, path="result") -> None:
    """a and b hold the same data (NaN equals NaN; wall-clock fields, named *seconds*, are not data)."""
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), path
        for f in dataclasses.fields(a):
            if "seconds" not in f.name:
                same(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            if "seconds" not in str(k):
                same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{path}[{i}]")
    elif isinstance(a, (np.ndarray, torch.Tensor)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=path)
    elif isinstance(a, float):
        assert a == b or (math.isnan(a) and math.isnan(b)), f"{path}: {a} != {b}"
    elif hasattr(a, "get_params"):  # a fitted scikit-learn estimator: its parameters and fitted attributes
        same(a.get_params(), b.get_params(), f"{path}.params")
        same({k: v for k, v in vars(a).items() if k.endswith("_")}, {k: v for k, v in vars(b).items() if k.endswith("_")}, path)
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def test_every_np_experiment_is_registered_under_its_name():
    registered = experiments()
    for cls in EXPERIMENTS:
        assert isinstance(registered[cls.name], cls)


@pytest.mark.parametrize("cls", EXPERIMENTS, ids=[c.name for c in EXPERIMENTS])
def test_experiment_at_scale_ci_writes_a_well_formed_report_and_is_deterministic_in_the_seed(cls, tmp_path):
    exp = cls()
    done = run_experiment(exp, scale="ci", seed=3, device="cpu", out_dir=tmp_path, cache_dir=tmp_path / "cache")
    check_report_directory(tmp_path)
    document = load_strict_json(tmp_path / f"{cls.name}.json")
    assert document["scale"] == "ci" and document["seed"] == 3 and document["status"] == done.status
    for figure in document["figures"]:
        assert (tmp_path / figure).is_file()
    again = run_experiment(exp, scale="ci", seed=3, device="cpu", out_dir=tmp_path, cache_dir=tmp_path / "cache")
    assert again.cached
    same(exp.run("ci", 3, "cpu"), exp.run("ci", 3, "cpu"))


def test_fig6_outcomes_are_undecided_at_ci_and_name_the_papers_numbers(tmp_path):
    exp = Fig6()
    result = exp.run("ci", 0, "cpu")
    report = exp.report(result, tmp_path)
    assert [o.paper for o in report.outcomes][:3] == ["2 iterations, widths (2, 1) (one run)", "2", "(2, 1)"]
    assert all(o.reproduced is None for o in report.outcomes)
    assert str(result.cases[0].run.estimator.n_iter_) == report.outcomes[1].ours
    base = result.variants[0]
    assert [r.seed for r in base.runs] == [0, 1] and base.matching == sum(r.matches_paper for r in base.runs)
    assert [v.label for v in result.variants[1:]] == ["GD: 10× step for 1/10 the steps", "R = 10",
                                                       "δ: 0.5 first, 0.05‖w‖ later", "dominant point: lowest loss after adding"]
    assert result.variants[1].settings["gd_step_size"] == 10 * base.settings["gd_step_size"]
    assert result.variants[2].settings["restarts"] == 10 and base.settings["restarts"] == 5


def test_fig6_paper_scale_is_figure_6_with_section_c11_values():
    from theorems.neuron_pursuit.fig6 import PLANS

    paper = PLANS["paper"]
    assert paper.seeds >= 20 and paper.deviates == ""
    assert {k: paper.base[k] for k in ("depth", "alpha", "restarts", "ascent_steps", "ascent_step_size", "gd_steps",
                                       "gd_step_size", "delta_first", "delta_later", "dominant", "tol")} == dict(
        depth=3, alpha=0.0, restarts=5, ascent_steps=2500, ascent_step_size=0.2, gd_steps=70_000, gd_step_size=0.005,
        delta_first=0.25, delta_later=0.01, dominant="ncf", tol=1e-3)
    dev = PLANS["dev"].base
    assert dev["gd_step_size"] * dev["gd_steps"] == pytest.approx(paper.base["gd_step_size"] * paper.base["gd_steps"])
