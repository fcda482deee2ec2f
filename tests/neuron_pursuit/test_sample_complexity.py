"""np.fig7–fig11: the targets, §C.1.1's reporting rules, the sweeps on Dask and serially, and resuming a killed sweep."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from theorems.neuron_pursuit.fig7 import Fig7
from theorems.neuron_pursuit.fig8 import Fig8
from theorems.neuron_pursuit.fig9 import Fig9
from theorems.neuron_pursuit.fig10 import Fig10, modular_addition, spectrum
from theorems.neuron_pursuit.fig11 import Fig11, clustered_rows, pvr
from theorems.neuron_pursuit.sample_complexity import PLANS, Point, figure_sweep, np_reported, samples_needed
from theorems.neuron_pursuit.sparse_targets import TARGETS
from verify.cli import main
from verify.experiments import run_experiment
from verify.sweep import load_cells, run_sweep

from ..reportcheck import check_report_directory, load_strict_json


def test_targets_match_their_definitions():
    x = np.zeros((1, 50))
    x[0, :4] = [1, 1, 1, -1]  # f₁'s block: σ(σ(3) − σ(2)) = 1
    assert TARGETS["f1"].function(x)[0] == 1
    x[0, 4:12] = [1, 0, 0, 0, 2, 0, 0, 0]  # blocks 2 and 3: σ(2) = 2 and σ(4) = 4
    assert TARGETS["f2"].function(x)[0] == 1 + 5 * 2 + 10 * 4
    cube = np.array([[1.0, -1, 1, 1] + [1.0] * 46])
    assert TARGETS["g1"].function(cube)[0] == -1 - (-1) and TARGETS["g2"].function(cube)[0] == -1
    g = np.array([[0.5, -1, 2, 0.1] + [0.0] * 46])
    assert TARGETS["h1"].function(g)[0] == 1.0
    assert TARGETS["h2"].function(g)[0] == max(0.5, -2) + max(2, 0.2) - max(2.5, 1, -0.1)
    rng = np.random.default_rng(0)
    assert np.allclose(np.linalg.norm(TARGETS["f1"].sample(5, rng)[0], axis=1), np.sqrt(50))
    assert set(np.unique(TARGETS["g2"].sample(5, rng)[0])) == {-1.0, 1.0}


def test_the_reporting_rule_of_section_c11():
    fit = lambda train, test, its: dict(train_error=train, test_error=test, iterations=its)  # noqa: E731
    # rule 1: among step sizes with test error < 0.005, the fewest iterations
    assert np_reported({0.005: fit(1e-4, 0.004, 9), 0.002: fit(1e-4, 0.001, 12)}).step_size == 0.005
    # rule 2: none generalises; among those that fit, the lowest test error
    assert np_reported({0.005: fit(1e-4, 0.3, 9), 0.002: fit(5e-4, 0.2, 12)}).step_size == 0.002
    # rule 3: none fits; the lowest training error
    r = np_reported({0.005: fit(0.1, 0.3, 31), 0.002: fit(0.05, 0.5, 31)})
    assert r.step_size == 0.002 and r.rule.startswith("3")


def test_samples_needed_is_the_n_from_which_the_test_error_stays_small():
    curve = [Point(n, 0, e, 0, None, 0) for n, e in ((100, 0.5), (200, 0.05), (400, 0.2), (800, 0.01), (1600, 0.02))]
    assert samples_needed(curve, 0.1) == 800
    assert samples_needed(curve[:3], 0.1) is None


def test_modular_addition_and_pvr_tasks():
    X, Y, Xt, Yt = modular_addition(5, 10, seed=0)
    assert X.shape == (10, 11) and Xt.shape == (15, 11) and (X[:, -1] == 1).all()
    a, b = X[:, :5].argmax(1), X[:, 5:10].argmax(1)
    assert (Y.argmax(1) == (a + b) % 5).all()
    X, y = pvr(200, np.random.default_rng(1))
    ptr = ((X[:, :4] > 0) * np.array([8, 4, 2, 1])).sum(1)
    assert (y == X[np.arange(200), 5 + ptr] * X[np.arange(200), 5 + (ptr + 1) % 16]).all()
    t = np.arange(11)
    assert spectrum(np.cos(2 * np.pi * 3 * t / 11)[None]).frequency == (3,)
    W = np.zeros((2, 21))
    W[0, [5 + 15, 5 + 0]] = 1  # a cyclic cluster {x₁₆, x₁}
    W[1, [5 + 2, 5 + 12]] = 1  # far apart
    assert clustered_rows(W) == (2, 1)


@pytest.mark.parametrize("cls", [Fig7, Fig8, Fig9, Fig10, Fig11], ids=lambda c: c.name)
def test_scale_ci_writes_a_well_formed_undecided_report(cls, tmp_path):
    done = run_experiment(cls(), scale="ci", seed=0, device="cpu", out_dir=tmp_path)
    check_report_directory(tmp_path)
    document = load_strict_json(tmp_path / f"{cls.name}.json")
    assert document["status"] == done.status == "undecided" and document["dtype"] == "float64"
    assert all(o["reproduced"] is None for o in document["outcomes"])


def experiment_document(tmp_path, name: str, *options: str) -> dict:
    assert main(["experiment", name, "--scale", "ci", "--out", str(tmp_path), *options]) == 0
    document = json.loads((tmp_path / f"{name}.json").read_text())
    return {k: document[k] for k in ("status", "outcomes", "data")}


def test_two_dask_workers_and_serial_give_identical_results(tmp_path, monkeypatch):
    monkeypatch.setenv("HOMCHECK_CACHE", str(tmp_path / "cache-serial"))
    serial = experiment_document(tmp_path / "serial", "np.fig7", "--workers", "0")
    monkeypatch.setenv("HOMCHECK_CACHE", str(tmp_path / "cache-dask"))
    dask = experiment_document(tmp_path / "dask", "np.fig7", "--workers", "2")
    assert serial == dask
    # the cells themselves, value by value
    cells = [load_cells(next((tmp_path / c / "experiments" / "np.fig7").glob("*.jsonl"))) for c in ("cache-serial", "cache-dask")]
    assert cells[0].keys() == cells[1].keys() and len(cells[0]) == 12
    assert all(cells[0][k]["value"] == cells[1][k]["value"] for k in cells[0])


def test_float32_runs_and_is_refused_where_not_offered(tmp_path, capsys):
    doc = experiment_document(tmp_path, "np.fig10", "--dtype", "float32")
    assert json.loads((tmp_path / "np.fig10.json").read_text())["dtype"] == "float32" and doc["status"] == "undecided"
    assert main(["experiment", "np.fig6", "--scale", "ci", "--dtype", "float32", "--out", str(tmp_path)]) == 2
    assert "np.fig6 runs in float64 only; --dtype float32 is offered by: " in capsys.readouterr().err


def test_a_killed_dev_sweep_resumes_without_recomputing_a_finished_cell(tmp_path, monkeypatch):
    monkeypatch.setenv("HOMCHECK_CACHE", str(tmp_path / "cache"))
    cells, path, _ = figure_sweep("np.fig7", ("f1", "f2"), PLANS["dev"], "dev", 0, "cpu", "float64")
    proc = subprocess.Popen([sys.executable, "-m", "verify.cli", "experiment", "np.fig7", "--scale", "dev", "--out",
                             str(tmp_path / "reports")], env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 600
        while not load_cells(path) and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finished = {k for k, r in load_cells(path).items() if r["ok"]}
    assert finished and len(finished) < len(cells)
    computed = []
    # the restart: every remaining cell is "computed" by a stand-in that only records its key
    run_sweep(lambda fn, args: {}, cells, path, on_done=lambda o: computed.append(o.key))
    assert not finished & set(computed) and set(computed) == set(cells) - finished
