import json
import subprocess
import sys
from pathlib import Path

from verify.cli import main


def test_list_shows_the_catalogue(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "np.lemma3" in out and "edc.lemma9" in out


def _one_line_error(capsys, argv, needle):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err, err


def test_unknown_id_profile_device_and_option_are_one_line_errors(capsys):
    _one_line_error(capsys, ["run", "no.such.id"], "unknown checker id 'no.such.id'")
    _one_line_error(capsys, ["run", "edc.lemma9", "--profile", "fast"], "unknown profile 'fast'")
    _one_line_error(capsys, ["run", "edc.lemma9", "--device", "tpu"], "unknown device")
    _one_line_error(capsys, ["run", "--bogus"], "unrecognized arguments")
    _one_line_error(capsys, ["mutants", "nope"], "unknown checker id")
    _one_line_error(capsys, ["--plugin", "no_such_module_xyz", "list"], "cannot import plugin")
    _one_line_error(capsys, ["experiment", "no.such.experiment"], "unknown experiment 'no.such.experiment'")


def test_no_traceback_from_the_console_entry_point():
    proc = subprocess.run([sys.executable, "-m", "verify.cli", "run", "no.such.id"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_run_writes_reports_and_exits_zero(tmp_path, capsys):
    assert main(["run", "edc.lemma9", "--profile", "ci", "--seed", "3", "--out", str(tmp_path), "--no-progress"]) == 0
    data = json.loads((tmp_path / "edc.lemma9.json").read_text())
    assert data["verdict"] == "PASS" and data["seed"] == 3 and data["device"] == "cpu"
    assert (tmp_path / "index.md").exists() and (tmp_path / "edc.lemma9.md").exists()


def test_mutants_command_exits_zero_when_all_killed(capsys):
    assert main(["mutants", "edc.lemma9", "--profile", "ci", "--no-progress"]) == 0
    assert "SURVIVED" not in capsys.readouterr().out


def test_the_readme_example_checker_runs_as_a_plugin_and_kills_its_mutants(tmp_path, monkeypatch):
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    code = readme.split("```python\n", 1)[1].split("```", 1)[0]
    (tmp_path / "my_checks.py").write_text(code)
    monkeypatch.syspath_prepend(str(tmp_path))
    argv = ["--plugin", "my_checks", "run", "user.homogeneity", "--profile", "ci", "--out", str(tmp_path / "r"), "--no-progress"]
    assert main(argv) == 0
    data = json.loads((tmp_path / "r" / "user.homogeneity.json").read_text())
    assert data["verdict"] == "PASS" and all(m["killed"] for m in data["mutants"])
