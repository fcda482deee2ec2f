"""The command line: bad input, exit codes, crashes, reproducibility, counterexample replay."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from verify.cli import main

from .reportcheck import check_report_directory, load_strict_json

PLUGINS = Path(__file__).parent / "plugins"


@pytest.fixture
def toys(monkeypatch):
    monkeypatch.syspath_prepend(str(PLUGINS))
    return ["--plugin", "homcheck_toys"]


def _one_line_error(capsys, argv, needle, code=2):
    assert main(argv) == code
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err, err


def test_list_shows_the_catalogue_in_natural_order_with_aligned_columns(capsys):
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    ids = [line.split()[0] for line in lines]
    assert ids.index("np.lemma3") < ids.index("np.lemma8") < ids.index("np.lemma12")
    assert len({line.index(line.split()[1], len(line.split()[0])) for line in lines}) == 1  # second column aligned


def test_help_names_the_choices_and_the_exit_codes(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["run", "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    for needle in ("ci", "dev", "thorough", "auto", "cuda", "exit codes", "4  a checker crashed"):
        assert needle in out


def test_version(capsys):
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.startswith("homcheck ")


def test_bad_usage_is_one_line_and_exit_2_before_any_work(capsys, tmp_path, toys):
    afile = tmp_path / "a-file"
    afile.write_text("x")
    _one_line_error(capsys, ["run", "no.such.id", "--out", str(tmp_path)], "unknown checker id 'no.such.id'")
    _one_line_error(capsys, ["run", "edc.lemma9", "--profile", "fast"], "invalid choice: 'fast'")
    _one_line_error(capsys, ["run", "edc.lemma9", "--device", "tpu"], "invalid choice: 'tpu'")
    _one_line_error(capsys, ["run", "--bogus"], "unrecognized arguments")
    _one_line_error(capsys, ["run", "edc.lemma9", "--seed", "-1"], "invalid seed '-1'")
    _one_line_error(capsys, ["run", "edc.lemma9", "--seed", "abc"], "invalid seed 'abc'")
    _one_line_error(capsys, ["mutants", "nope", "--out", str(tmp_path)], "unknown checker id")
    _one_line_error(capsys, ["--plugin", "no_such_module_xyz", "list"], "cannot import plugin 'no_such_module_xyz'")
    _one_line_error(capsys, ["experiment", "no.such.experiment", "--out", str(tmp_path)], "unknown experiment")
    _one_line_error(capsys, ["run", "edc.lemma9", "--out", str(afile)], "is a file, not a directory")
    _one_line_error(capsys, ["run", "edc.lemma9", "--out", str(afile / "sub")], "is not a writable directory")
    _one_line_error(capsys, ["replay", str(tmp_path / "missing.pkl")], "no counterexample file")
    _one_line_error(capsys, ["run", "edc.lemma9", "--workers", "-1"], "invalid --workers '-1'")


def test_a_plugin_with_a_syntax_error_or_a_taken_id_is_one_line_naming_the_plugin(capsys, tmp_path, monkeypatch):
    (tmp_path / "broken_syntax_plugin.py").write_text("def f(:\n    pass\n")
    (tmp_path / "clashing_plugin.py").write_text(
        "from verify.checker import Checker, Mutant, register\n"
        "@register\nclass Clash(Checker):\n    id, title, source, statement = 'np.lemma3', 't', 'np', 's'\n"
        "    mutants = [Mutant('m')]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    _one_line_error(capsys, ["--plugin", "broken_syntax_plugin", "list"], "syntax error")
    _one_line_error(capsys, ["--plugin", "clashing_plugin", "list"], "already registered by theorems")
    assert main(["list"]) == 0  # the built-in catalogue is intact


def test_no_traceback_from_the_console_entry_point():
    proc = subprocess.run([sys.executable, "-m", "verify.cli", "run", "no.such.id"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_run_writes_reports_a_manifest_and_per_checker_lines(tmp_path, capsys):
    assert main(["run", "edc.lemma9", "--profile", "ci", "--seed", "3", "--out", str(tmp_path), "--no-progress"]) == 0
    data = load_strict_json(tmp_path / "edc.lemma9.json")
    assert data["verdict"] == "PASS" and data["seed"] == 3 and data["device"] == "cpu"
    (manifest,) = (tmp_path / "runs").glob("*.json")
    run = load_strict_json(manifest)
    assert run["ids"] == ["edc.lemma9"] and run["seed"] == 3 and run["finished"] and run["run_id"] == data["run"]
    assert run["run_id"] in (tmp_path / "index.md").read_text()
    err = capsys.readouterr().err
    assert "edc.lemma9       started" in err and "edc.lemma9       PASS" in err and "entries" in err
    check_report_directory(tmp_path)


def _without_timings(document):
    timing = {"duration_s", "report_s", "seconds", "run"}
    if isinstance(document, dict):
        return {k: _without_timings(v) for k, v in document.items() if k not in timing}
    if isinstance(document, list):
        return [_without_timings(v) for v in document]
    return document


@pytest.mark.parametrize("ids", [["edc.lemma9"], ["toy.false"]])
def test_same_seed_same_report_whatever_the_database_holds(tmp_path, monkeypatch, toys, ids):
    out = tmp_path / "reports"
    reports = []
    for where, seed in (("a", 0), ("a", 1), ("b", 0)):
        (tmp_path / where).mkdir(exist_ok=True)
        monkeypatch.chdir(tmp_path / where)  # the working directory does not matter either
        main([*toys, "run", *ids, "--profile", "ci", "--seed", str(seed), "--out", str(out), "--no-progress"])
        reports.append(json.loads((out / f"{ids[0]}.json").read_text()))
    assert _without_timings(reports[0]) == _without_timings(reports[2])
    assert reports[0]["instances"] != reports[1]["instances"]


def test_a_fail_ships_its_replay_command_and_arrays(tmp_path, toys, capsys):
    assert main([*toys, "run", "toy.false", "--profile", "ci", "--out", str(tmp_path), "--no-progress"]) == 1
    data = load_strict_json(tmp_path / "toy.false.json")
    assert data["verdict"] == "FAIL" and data["replay_command"].startswith("homcheck --plugin homcheck_toys replay ")
    md = (tmp_path / "toy.false.md").read_text()
    assert data["replay_command"] in md and "load_counterexample" in md
    capsys.readouterr()
    pkl = tmp_path / "counterexamples" / "toy.false.pkl"
    assert main([*toys, "replay", str(pkl)]) == 1
    assert "FAIL" in capsys.readouterr().out
    from verify import load_counterexample

    assert load_counterexample(pkl).evaluate().entries[0].violation > 0
    assert main([*toys, "run", "toy.false", "--profile", "ci", "--out", str(tmp_path), "--no-progress", "--replay"]) == 1
    assert "Replayed from the example database" in (tmp_path / "toy.false.md").read_text()


def test_nothing_decidable_is_inconclusive_mutants_included(tmp_path, toys):
    assert main([*toys, "run", "toy.nan", "--profile", "ci", "--out", str(tmp_path), "--no-progress"]) == 3
    data = load_strict_json(tmp_path / "toy.nan.json")
    assert data["verdict"] == "INCONCLUSIVE" and [m["status"] for m in data["mutants"]] == ["undecided"]
    assert data["nonfinite"] and data["max_violation"] is None


def test_a_crash_gets_its_own_report_and_the_run_goes_on(tmp_path, toys, capsys):
    assert main([*toys, "run", "toy.crash", "toy.true", "--profile", "ci", "--out", str(tmp_path), "--no-progress"]) == 4
    crash = load_strict_json(tmp_path / "toy.crash.json")
    assert crash["verdict"] == "CRASHED" and "ZeroDivisionError" in crash["crash"]["traceback"]
    assert "Traceback" in (tmp_path / "toy.crash.md").read_text()
    assert load_strict_json(tmp_path / "toy.true.json")["verdict"] == "PASS"
    assert "**CRASHED**" in (tmp_path / "index.md").read_text()
    capsys.readouterr()
    assert main([*toys, "mutants", "toy.crash", "toy.true", "--profile", "ci", "--out", str(tmp_path), "--no-progress"]) == 4
    out = capsys.readouterr().out
    assert "crashed" in out and "toy.true         killed" in out
    assert list((tmp_path / "crashes").glob("toy.crash.*.txt"))


def test_workers_give_the_serial_run_s_reports_plugins_included(tmp_path, toys, capsys):
    ids = ["toy.true", "toy.false", "toy.crash"]
    code = main([*toys, "run", *ids, "--profile", "ci", "--out", str(tmp_path / "serial"), "--no-progress"])
    assert main([*toys, "run", *ids, "--profile", "ci", "--out", str(tmp_path / "dask"), "--no-progress",
                 "--workers", "2"]) == code == 1
    assert "3 checkers on 2 local Dask worker processes" in capsys.readouterr().err
    for cid in ids:
        serial, dask = (load_strict_json(tmp_path / where / f"{cid}.json") for where in ("serial", "dask"))
        assert serial["verdict"] == dask["verdict"]
        assert [r["instance"] for r in serial["instances"]] == [r["instance"] for r in dask["instances"]]
    manifest = load_strict_json(next((tmp_path / "dask" / "runs").glob("*.json")))
    assert manifest["results"] == {"toy.true": "PASS", "toy.false": "FAIL", "toy.crash": "CRASHED"}


@pytest.mark.parametrize("workers", ["0", "2"])
def test_verify_runs_checkers_and_experiments_on_one_pool(tmp_path, toys, capsys, monkeypatch, workers):
    monkeypatch.setenv("HOMCHECK_CACHE", str(tmp_path / "cache"))
    argv = [*toys, "verify", "toy.true", "toy.false", "toy.mean", "--profile", "ci", "--out", str(tmp_path), "--no-progress",
            "--workers", workers]
    assert main(argv) == 1  # toy.false fails
    err = capsys.readouterr().err
    if workers == "2":
        assert "2 checkers and 1 experiments on 2 local Dask worker processes" in err
    assert "toy.mean         reproduced" in err and "toy.false        FAIL" in err
    assert load_strict_json(tmp_path / "toy.mean.json")["scale"] == "ci"
    manifest = load_strict_json(next((tmp_path / "runs").glob("*.json")))
    assert manifest["command"] == "verify" and manifest["ids"] == ["toy.true", "toy.false", "toy.mean"]
    assert manifest["results"] == {"toy.true": "PASS", "toy.false": "FAIL", "toy.mean": "reproduced"}
    index = (tmp_path / "index.md").read_text()
    assert "[toy.mean](toy.mean.md)" in index and "[toy.true](toy.true.md)" in index
    check_report_directory(tmp_path)


def test_verify_schedules_the_longest_known_task_first(tmp_path):
    from verify.cli import expected_seconds

    (tmp_path / "a.json").write_text(json.dumps({"profile": "dev", "duration_s": 5.0, "report_s": 1.0}))
    (tmp_path / "e.json").write_text(json.dumps({"kind": "experiment", "scale": "dev", "run_s": 9.0, "report_s": 0.5}))
    assert expected_seconds(tmp_path, "a", "dev") == 6.0 and expected_seconds(tmp_path, "e", "dev") == 9.5
    assert expected_seconds(tmp_path, "a", "ci") == float("inf")  # another profile: unknown
    assert expected_seconds(tmp_path, "missing", "dev") == float("inf")


def test_mutants_command_exits_zero_when_all_killed(capsys):
    assert main(["mutants", "edc.lemma9", "--profile", "ci", "--no-progress"]) == 0
    assert "survived" not in capsys.readouterr().out


def test_help_starts_without_importing_torch():
    code = "import sys; from verify.cli import main\ntry: main(['--help'])\nexcept SystemExit: pass\nprint('torch' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.strip().endswith("False"), proc.stdout + proc.stderr


def test_the_readme_example_checker_runs_as_a_plugin_and_kills_its_mutants(tmp_path, monkeypatch):
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    code = readme.split("```python\n# my_checks.py\n", 1)[1].split("```", 1)[0]
    (tmp_path / "my_checks.py").write_text(code)
    monkeypatch.syspath_prepend(str(tmp_path))
    argv = ["--plugin", "my_checks", "run", "user.homogeneity", "--profile", "ci", "--out", str(tmp_path / "r"), "--no-progress"]
    assert main(argv) == 0
    data = load_strict_json(tmp_path / "r" / "user.homogeneity.json")
    assert data["verdict"] == "PASS" and all(m["killed"] for m in data["mutants"])


def test_list_is_cached_and_then_starts_without_importing_torch(tmp_path):
    import os

    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path))
    code = "import sys; from verify.cli import main; main(['list']); print('torch' in sys.modules)"
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert first.stdout.splitlines()[:-1] == second.stdout.splitlines()[:-1]
    assert second.stdout.splitlines()[-1] == "False", second.stderr
