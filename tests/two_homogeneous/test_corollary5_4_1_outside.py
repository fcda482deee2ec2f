"""dc2.corollary5_4_1_outside at scale ci: a well-formed report without a verdict; the branching block keeps its direction
(0°) while the same block nudged by τ > 0 turns to 45°, the generic blocks settle at ±45° (Lemma E.2's closed form), and
the case-3 block's integration stops at its kink, at Lemma E.2's hitting time."""

import math

from theorems.two_homogeneous.corollary5_4_1_outside import Corollary541Outside
from verify.experiments import run_experiment

from ..reportcheck import check_report_directory, load_strict_json


def test_ci_report_shows_the_directions_without_a_verdict(tmp_path):
    run = run_experiment(Corollary541Outside(), scale="ci", seed=0, device="cpu", out_dir=tmp_path, cache_dir=tmp_path / "cache")
    check_report_directory(tmp_path)
    document = load_strict_json(tmp_path / "dc2.corollary5_4_1_outside.json")
    assert run.status == "no stated outcome" and document["outcomes"] == []
    data = document["data"]
    kinds = [b["kind"] for b in data["blocks"]]
    for row, settled in zip(data["angles"], data["settled"]):  # every row: δ = 0 and each δ
        assert all(flag for kind, flag in zip(kinds, settled) if kind != "reaches the kink b = 0 (case 3)")
        end = {kind: math.degrees(angles[-1]) if angles[-1] is not None else None for kind, angles in zip(kinds, row)}
        assert end["branching"] == 0.0 and abs(end["branching + τ = 1e-06"] - 45) < 0.01
        generic = [math.degrees(a[-1]) for k, a in zip(kinds, row) if k == "generic"]
        assert all(abs(abs(g) - 45) < 0.01 for g in generic)
    errors = [e for e, b in zip(data["closed_form_error"], data["blocks"]) if b["case"] in (1, 2)]
    assert errors and max(errors) < 1e-6  # the integrated NCF flow is Lemma E.2's solution
    assert all(abs(t - data["kink_time"]) < 1e-3 for t in data["kink_reached"])
