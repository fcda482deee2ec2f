"""The experiment runner on a toy experiment: caching, seeds, status, report files."""

from dataclasses import dataclass

import pytest

from verify.errors import InputError
from verify.experiments import Experiment, ExperimentReport, Outcome, run_experiment, status

from .reportcheck import check_report_directory, load_strict_json


@dataclass
class ToyResult:
    values: list[float]


class Toy(Experiment):
    name, title, source = "toy.fig1", "a toy figure", "toy Figure 1"
    settings_text = "n draws of U(0, 1) (an assumption of ours: the paper does not say)"
    calls = 0

    def run(self, scale, seed, device):
        import random

        Toy.calls += 1
        rng = random.Random(seed)
        return ToyResult([rng.random() for _ in range({"ci": 3, "dev": 10, "paper": 100}[scale])])

    def report(self, result, figure_dir):
        mean = sum(result.values) / len(result.values)
        return ExperimentReport(f"mean of {len(result.values)} draws: {mean:.3f} | with a pipe",
                                outcomes=[Outcome("mean is below 1", "< 1", f"{mean:.3f}", mean < 1)],
                                data={"mean": mean, "nan": float("nan")})


def test_results_are_cached_by_scale_and_seed_and_reports_are_well_formed(tmp_path):
    cache = tmp_path / "cache"
    Toy.calls = 0
    first = run_experiment(Toy(), scale="ci", seed=3, device="cpu", out_dir=tmp_path / "r", cache_dir=cache)
    again = run_experiment(Toy(), scale="ci", seed=3, device="cpu", out_dir=tmp_path / "r", cache_dir=cache)
    assert Toy.calls == 1 and not first.cached and again.cached and first.status == "reproduced"
    run_experiment(Toy(), scale="ci", seed=4, device="cpu", out_dir=tmp_path / "r", cache_dir=cache)
    run_experiment(Toy(), scale="ci", seed=3, device="cpu", out_dir=tmp_path / "r", cache_dir=cache, refresh=True)
    assert Toy.calls == 3
    data = load_strict_json(tmp_path / "r" / "toy.fig1.json")
    assert data["status"] == "reproduced" and data["scale"] == "ci" and data["seed"] == 3 and data["nonfinite"]
    md = (tmp_path / "r" / "toy.fig1.md").read_text()
    assert "Reproduction: reproduced" in md and "assumption of ours" in md
    check_report_directory(tmp_path / "r")


def test_status_of_outcomes():
    yes, no, open_ = (Outcome("a", "1", "1", v) for v in (True, False, None))
    assert status([yes, yes]) == "reproduced"
    assert status([yes, no, open_]) == "not reproduced"
    assert status([yes, open_]) == "undecided"
    assert status([]) == "no stated outcome"


def test_an_unknown_scale_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="unknown scale"):
        run_experiment(Toy(), scale="huge", seed=0, device="cpu", out_dir=tmp_path)
