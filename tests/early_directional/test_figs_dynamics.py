"""edc.figs1_2 and edc.figs4_5 (Figures 1–2 and 4–5: training from a small initialisation) at scale ci."""

import pickle

import numpy as np
import pytest

import theorems.early_directional.figs1_2  # noqa: F401  (registers the experiment)
import theorems.early_directional.figs4_5  # noqa: F401
from theorems.early_directional.training_dynamics import TrainingCurves, checkpoints, phase_end
from verify.experiments import experiments, run_experiment

from ..reportcheck import check_report_directory, load_strict_json

NAMES = ("edc.figs1_2", "edc.figs4_5")


@pytest.mark.parametrize("name", NAMES)
def test_experiment_at_ci_writes_a_well_formed_report_and_depends_only_on_its_seed(name, tmp_path):
    exp = experiments()[name]
    run = run_experiment(exp, scale="ci", seed=3, device="cpu", out_dir=tmp_path, cache_dir=tmp_path / "cache")
    check_report_directory(tmp_path)
    data = load_strict_json(tmp_path / f"{name}.json")
    assert data["scale"] == "ci" and data["seed"] == 3 and data["status"] == run.status
    assert run.status == "undecided" and all(o["reproduced"] is None for o in data["outcomes"])  # ci decides nothing
    assert len(data["figures"]) == 2 and all((tmp_path / fig).is_file() for fig in data["figures"])
    cached = pickle.loads(next((tmp_path / "cache").rglob("*.pkl")).read_bytes())["result"]
    assert pickle.dumps(exp.run("ci", 3, "cpu")) == pickle.dumps(cached)  # same seed, same result
    assert pickle.dumps(exp.run("ci", 4, "cpu")) != pickle.dumps(cached)  # the seed is used


def test_gradient_descent_follows_the_flow_and_heads_for_a_rank_one_kkt_point():
    result = experiments()["edc.figs1_2"].run("ci", 0, "cpu")
    # GD's step is a time step of the flow (ci: 10× the paper's step; 1.2% at dev)
    assert result.reference.status == "success" and result.reference.gap < 0.1
    assert result.limit is not None and result.limit.converged and result.limit.residual < 1e-8
    assert result.limit_shape.nonzero_rows == 1 and result.limit_shape.kappa < 1e-8  # Theorem 4: one row of U
    assert result.phase.alignment > result.curves.alignment[0]  # the direction moved towards the KKT set


def _curves(loss):
    m = len(loss)
    z = np.zeros(m)
    return TrainingCurves(np.arange(m), np.asarray(loss, float), z + 1, z, z, np.zeros((m, 2)), 1.0, 1.0, False)


def test_the_phase_ends_before_the_loss_first_leaves_the_band():
    assert phase_end(_curves([1.0, 0.99, 0.97, 0.9, 0.99])).iteration == 2
    left = _curves([1.0, 1.0, 0.99])
    assert phase_end(left).iteration == 2 and not phase_end(left).escaped
    assert list(checkpoints(100, 3)) == [0, 1, 10, 50, 100]
