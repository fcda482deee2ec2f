"""edc.theorem1_outside at scale ci: a well-formed report without a verdict, fitted orders with standard errors, and the
reference net inside the hypotheses showing the derived order δ^L."""

import math

from theorems.early_directional.theorem1_outside import Theorem1Outside
from verify.experiments import run_experiment

from ..reportcheck import check_report_directory, load_strict_json


def test_ci_report_states_what_happens_without_a_verdict(tmp_path):
    run = run_experiment(Theorem1Outside(), scale="ci", seed=0, device="cpu", out_dir=tmp_path, cache_dir=tmp_path / "cache")
    check_report_directory(tmp_path)
    data = load_strict_json(tmp_path / "edc.theorem1_outside.json")
    assert run.status == "no stated outcome" and data["outcomes"] == []
    runs = {r["net"]: r for r in data["data"]["runs"]}
    inside = runs["relu² depth 2 (reference)"]
    assert not inside["failure"] and abs(inside["gap_order"] - 3) < 0.05 and math.isfinite(inside["gap_order_stderr"])
    assert all(s > 0 for s in inside["steps"])
    linear = runs["linear depth 2"]  # degree 2: the rate δ^L = δ² continues, at a time scale that does not grow
    assert not linear["failure"] and abs(linear["gap_order"] - 2) < 0.1
    markdown = (tmp_path / "edc.theorem1_outside.md").read_text()
    assert "±" in markdown and "T̄ = T/δ^{L−2}" in markdown
