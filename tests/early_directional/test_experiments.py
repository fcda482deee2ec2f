"""edc experiments (Tables 1–2, Figure 3, the reduced-problem certificate) at scale ci, and the edc ledger."""

import pickle

import pytest
import torch

from theorems.early_directional.kkt_points import ncf_ascent
from verify.activations import Activation
from verify.experiments import experiments, run_experiment
from verify.ledger import ledgers
from verify.ncf import ncf_and_grad
from verify.nets import DTYPE, FeedForward

from ..reportcheck import check_report_directory, load_strict_json

EDC = ("edc.tables1_2", "edc.fig3", "edc.arrangement_hits")


@pytest.mark.parametrize("name", EDC)
def test_experiment_at_ci_writes_a_well_formed_report_and_depends_only_on_its_seed(name, tmp_path):
    exp = experiments()[name]
    run = run_experiment(exp, scale="ci", seed=3, device="cpu", out_dir=tmp_path, cache_dir=tmp_path / "cache")
    check_report_directory(tmp_path)
    data = load_strict_json(tmp_path / f"{name}.json")
    assert data["scale"] == "ci" and data["seed"] == 3 and data["status"] == run.status
    assert run.status in ("undecided", "no stated outcome")  # scale ci decides no outcome of the paper
    assert all(o["reproduced"] is None for o in data["outcomes"])
    for fig in data["figures"]:
        assert (tmp_path / fig).is_file()
    cached = pickle.loads(next((tmp_path / "cache").rglob("*.pkl")).read_bytes())["result"]
    assert pickle.dumps(exp.run("ci", 3, "cpu")) == pickle.dumps(cached)  # same seed, same result
    assert pickle.dumps(exp.run("ci", 4, "cpu")) != pickle.dumps(cached)  # the seed is used


def test_ncf_ascent_is_the_fixed_then_decaying_normalised_iteration():
    net = FeedForward((3, 4, 2, 1), Activation(0.0, 1))
    g = torch.Generator().manual_seed(0)
    X, y = torch.randn(8, 3, generator=g, dtype=DTYPE), torch.randn(8, generator=g, dtype=DTYPE)
    u0 = net.random_unit(3, g)
    steps, hold, eta0, eta1 = 40, 10, 0.3, 1e-4
    u = u0.clone()
    for t in range(steps):  # the iteration the Theorem 3 checker and the tables always used
        _, grad = ncf_and_grad(net, u, X, y)
        u = u + eta0 * (eta1 / eta0) ** (max(t - hold, 0) / (steps - hold - 1)) * grad / grad.norm(dim=-1, keepdim=True)
        u = u / u.norm(dim=-1, keepdim=True)
    torch.testing.assert_close(ncf_ascent(net, X, y, u0, steps=steps, step_size=eta0, hold=hold, final_step_size=eta1), u,
                               rtol=0, atol=1e-13)


def test_the_ledger_lists_the_papers_numbered_items_in_order():
    labels = [i.label for i in ledgers()["edc"].items]
    expected = ["Theorem 1", "Lemma 2", "Theorem 3", "Theorem 4", "Lemma 5", "Lemma 9", "Lemma 19", "Remark 1",
                "Table 1", "Table 2"] + [f"Figure {k}" for k in range(1, 6)]
    assert set(expected) <= set(labels) and len(set(labels)) == len(labels)
    assert labels.index("Theorem 3") < labels.index("Figure 3") < labels.index("Table 1") < labels.index("Lemma 5")
    covered = {i.checker or i.experiment for i in ledgers()["edc"].items} - {None}
    assert covered == {"edc.lemma2", "edc.lemma9", "edc.lemma10", "edc.lemma12", "edc.lemma13", "edc.lemma18", "edc.lemma19",
                       "edc.theorem1", "edc.theorem3", "edc.theorem4", "edc.tables1_2", "edc.fig3", "edc.arrangement_hits",
                       "edc.figs1_2", "edc.figs4_5"}
