"""Every registered checker passes under the ci profile, every mutant is killed, and its reports are well formed."""

import pytest

from verify.catalogue import catalogue
from verify.checker import Verdict
from verify.profiles import profile
from verify.report import write_report
from verify.runner import run_checker

from .reportcheck import check_report_directory, load_strict_json

CHECKERS = catalogue()


@pytest.fixture(scope="module", params=list(CHECKERS))
def outcome(request, tmp_path_factory):
    checker = CHECKERS[request.param]
    out = tmp_path_factory.mktemp("reports")
    result = run_checker(checker, profile=profile("ci"), seed=0)
    write_report(result, checker, out, run_id="test")
    return checker, result, out


def test_checker_passes(outcome):
    checker, result, _ = outcome
    assert result.verdict == Verdict.PASS, result.notes + [f"{r.verdict} {r.entry}: {r.note}" for r in result.records]
    assert all(o.holds for o in result.obligations)
    assert len(result.records) >= profile("ci").min_decided


def test_every_mutant_is_killed(outcome):
    checker, result, _ = outcome
    assert len(checker.mutants) >= 2, "a checker needs at least two mutants"
    survivors = [(m.name, m.status, m.detail) for m in result.mutants if not m.killed]
    assert not survivors, f"{checker.id}: mutants not killed: {survivors}"


def test_report_files_follow_the_schema_and_are_well_formed(outcome):
    checker, result, out = outcome
    data = load_strict_json(out / f"{checker.id}.json")
    for key in ("schema_version", "id", "title", "source", "verdict", "n_examples", "n_distinct", "n_inconclusive",
                "n_entries", "n_entries_decided", "max_violation", "tolerance", "seed", "profile", "device", "duration_s",
                "report_s", "run", "counterexample", "mutants", "measurements", "nonfinite"):
        assert key in data, key
    assert data["verdict"] == "PASS" and data["profile"] == "ci" and data["schema_version"] == 2
    md = (out / f"{checker.id}.md").read_text()
    assert "Verdict: PASS" in md and checker.source in md
    for fig in data["figures"]:
        assert (out / fig).exists() and f"]({fig})" in md
    assert checker.id in (out / "index.md").read_text()
    check_report_directory(out)


def test_checker_docstrings_cite_their_source():
    for checker in CHECKERS.values():
        key = checker.source.split()[0]
        assert key in {"np", "edc", "dc2", "s2s"}
        assert type(checker).__doc__ and key in type(checker).__doc__
