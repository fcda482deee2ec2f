"""Every registered checker passes under the ci profile, and every one of its mutants is killed."""

import json

import pytest

from verify.checker import Verdict, catalogue
from verify.report import write_report
from verify.runner import run_checker
from verify.strategies import profile_settings

CHECKERS = catalogue()


@pytest.fixture(scope="module", params=sorted(CHECKERS))
def outcome(request, tmp_path_factory):
    checker = CHECKERS[request.param]
    out = tmp_path_factory.mktemp("reports")
    result = run_checker(checker, profile=profile_settings("ci"), profile_name="ci", database=None)
    write_report(result, checker, out)
    return checker, result, out


def test_checker_passes(outcome):
    checker, result, _ = outcome
    assert result.verdict == Verdict.PASS, result.notes + [r.note for r in result.records]
    assert all(o.holds for o in result.obligations)


def test_every_mutant_is_killed(outcome):
    checker, result, _ = outcome
    assert len(checker.mutants) >= 2, "a checker needs at least two mutants"
    survivors = [m.name for m in result.mutants if not m.killed]
    assert not survivors, f"{checker.id}: mutants survived: {survivors}"


def test_report_files_follow_the_schema(outcome):
    checker, result, out = outcome
    data = json.loads((out / f"{checker.id}.json").read_text())
    for key in ("id", "title", "source", "verdict", "n_examples", "n_inconclusive", "max_violation", "tolerance",
                "seed", "profile", "device", "duration_s", "counterexample", "mutants", "measurements"):
        assert key in data
    assert data["verdict"] == "PASS" and data["profile"] == "ci"
    md = (out / f"{checker.id}.md").read_text()
    assert "Verdict: PASS" in md and checker.source in md
    for fig in data["figures"]:
        assert (out / fig).exists() and f"]({fig})" in md
    assert checker.id in (out / "index.md").read_text()


def test_checker_docstrings_cite_their_source():
    for checker in CHECKERS.values():
        key = checker.source.split()[0]
        assert key in {"np", "edc", "dc2", "s2s"}
        assert type(checker).__doc__ and key in type(checker).__doc__
