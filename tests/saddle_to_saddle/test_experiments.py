"""s2s experiments (Figures 2, 5 and 6, the depth sweep) at scale ci, and the s2s and dc2 ledgers."""

import pickle

import pytest

from verify.experiments import experiments, run_experiment
from verify.ledger import ledgers

from ..reportcheck import check_report_directory, load_strict_json

S2S = ("s2s.fig2", "s2s.fig5", "s2s.depth_sweep")


@pytest.mark.parametrize("name", S2S)
def test_experiment_at_ci_writes_a_well_formed_report_and_depends_only_on_its_seed(name, tmp_path):
    exp = experiments()[name]
    run = run_experiment(exp, scale="ci", seed=3, device="cpu", out_dir=tmp_path, cache_dir=tmp_path / "cache")
    check_report_directory(tmp_path)
    data = load_strict_json(tmp_path / f"{name}.json")
    assert data["scale"] == "ci" and data["seed"] == 3 and data["status"] == run.status and data["outcomes"]
    assert run.status != "not reproduced"
    for fig in data["figures"]:
        assert (tmp_path / fig).is_file()
    cached = pickle.loads(next((tmp_path / "cache").rglob("*.pkl")).read_bytes())["result"]
    assert pickle.dumps(exp.run("ci", 3, "cpu")) == pickle.dumps(cached)  # same seed, same result
    assert pickle.dumps(exp.run("ci", 4, "cpu")) != pickle.dumps(cached)  # the seed is used


def test_the_s2s_ledger_lists_the_papers_items_in_order():
    items = ledgers()["s2s"].items
    labels = [i.label for i in items]
    assert len(set(labels)) == len(labels)
    for k in range(1, 7):
        assert f"Figure {k}" in labels
    assert labels.index("Proposition 2.2 (= A.2)") < labels.index("Theorem 3.1 (= A.7)") < labels.index("Example 1")
    assert labels.index("Example 1") < labels.index("Figure 2") < labels.index("Lemma A.6") < labels.index("Figure 5")
    covered = {i.checker or i.experiment for i in items} - {None}
    assert covered == {"s2s.prop2_2", "s2s.propA_1", "s2s.prop3_2", "s2s.example1", "s2s.fig2", "s2s.fig5", "s2s.depth_sweep"}


def test_the_dc2_ledger_lists_every_numbered_result_and_what_covers_each():
    items = ledgers()["dc2"].items
    labels = [i.label for i in items]
    expected = ["Theorem 5.1", "Lemma 5.2", "Lemma 5.3", "Lemma 5.4", "Corollary 5.4.1", "Theorem 5.5", "Lemma 5.6",
                *(f"Lemma A.{k}" for k in range(1, 5)), "Lemma B.1", "Corollary B.1.1", *(f"Lemma C.{k}" for k in range(1, 8)),
                "Lemma D.1", "Lemma E.1", "Lemma E.2", "Lemma H.1", "Lemma I.1", "Lemma I.2", "Lemma J.1",
                *(f"Figure {k}" for k in range(1, 5))]
    assert set(expected) <= set(labels) and len(set(labels)) == len(labels)
    assert labels.index("Theorem 5.1") < labels.index("Lemma 5.2") < labels.index("Theorem 5.5") < labels.index("Lemma D.1")
    assert all(i.note for i in items)
    covered = {i.checker for i in items} - {None}
    assert covered == {"dc2.appendixG", "dc2.lemmaC3", "dc2.lemmaC4", "dc2.lemmaC6", "dc2.lemmaC7", "dc2.lemmaE1",
                       "dc2.lemmaE2", "dc2.lemmaH1", "dc2.lemmaI1", "dc2.lemmaI2", "dc2.lemma5_2", "dc2.lemma5_3",
                       "dc2.lemma5_4", "dc2.lemma5_6", "dc2.theorem5_1", "dc2.theorem5_5", "dc2.corollary5_4_1"}
