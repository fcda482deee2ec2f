"""verify.sweep: tasks serially and on Dask, crashes as outcomes, sweeps resumed from their JSON lines."""

import json
import shutil

import pytest

from verify.errors import InputError
from verify.sweep import Cluster, load_cells, run_sweep, run_tasks


def square(x: int) -> int:
    if x < 0:
        raise ValueError(f"negative {x}")
    return x * x


def cell(x: int) -> dict:
    return {"square": square(x)}


def test_serial_tasks_return_values_and_crashes_without_stopping():
    outcomes = {o.key: o for o in run_tasks(square, {"a": (2,), "b": (-1,), "c": (3,)})}
    assert outcomes["a"].value == 4 and outcomes["c"].value == 9
    assert not outcomes["b"].ok and outcomes["b"].error == "ValueError: negative -1" and "Traceback" in outcomes["b"].traceback


def test_dask_workers_give_the_same_outcomes():
    outcomes = {o.key: o for o in run_tasks(square, {"a": (2,), "b": (-1,), "c": (3,)}, Cluster(workers=2))}
    assert outcomes["a"].value == 4 and outcomes["c"].value == 9 and outcomes["b"].error == "ValueError: negative -1"


def test_a_sweep_resumes_and_reruns_only_what_did_not_finish(tmp_path):
    path = tmp_path / "sweep.jsonl"
    first = run_sweep(cell, {"1": (1,), "-2": (-2,)}, path)
    assert first["1"]["ok"] and first["1"]["value"] == {"square": 1} and not first["-2"]["ok"]
    with open(path, "a") as f:
        f.write('{"key": "3", "ok": tr')  # an interrupted write
    ran = []
    again = run_sweep(cell, {"1": (1,), "-2": (2,), "3": (3,)}, path, on_done=lambda o: ran.append(o.key))
    assert sorted(ran) == ["-2", "3"]  # "1" finished before; the failed cell and the torn one run again
    assert again["-2"]["value"] == {"square": 4} and again["3"]["value"] == {"square": 9}
    assert set(load_cells(path)) == {"1", "-2", "3"}
    assert all(json.loads(line)["key"] for line in path.read_text().splitlines()[-2:])


def test_bad_worker_counts_are_refused():
    with pytest.raises(InputError, match="workers must be an integer >= 0"):
        Cluster(workers=-1)


def test_workers_that_cannot_import_the_tasks_code_stop_the_run_with_one_line(tmp_path, monkeypatch):
    # a module this process imported and the workers cannot (gone from disk: like a checkout edited as a sweep starts)
    (tmp_path / "only_here.py").write_text("def twice(x):\n    return 2 * x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    from only_here import twice

    shutil.rmtree(tmp_path)

    with pytest.raises(InputError, match="the Dask workers cannot import .*only_here.*ModuleNotFoundError"):
        run_tasks(twice, {"a": (1,)}, Cluster(workers=1))
