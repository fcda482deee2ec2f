"""The layout rules of DESIGN.md: the id names the file, verify/ never imports theorems/, every item is in a ledger."""

import ast
import importlib
from pathlib import Path

from theorems import PAPER_FOLDERS
from verify.catalogue import catalogue
from verify.experiments import experiments
from verify.ledger import ledgers

ROOT = Path(__file__).parent.parent


def _file_of(obj) -> Path:
    return Path(importlib.import_module(type(obj).__module__).__file__).resolve()


def test_every_checker_lives_in_the_file_its_id_names():
    for cid, checker in catalogue().items():
        if type(checker).__module__.split(".")[0] != "theorems":
            continue  # a plugin's checker (e.g. the README example loaded by another test)
        paper, statement = cid.split(".", 1)
        expected = (ROOT / "theorems" / PAPER_FOLDERS[paper] / f"{statement}.py").resolve()
        assert _file_of(checker) == expected, f"{cid} is defined in {_file_of(checker)}, not {expected}"


def test_every_experiment_lives_in_its_papers_folder():
    for name, exp in experiments().items():
        if type(exp).__module__.split(".")[0] != "theorems":
            continue
        folder = ROOT / "theorems" / PAPER_FOLDERS[name.split(".", 1)[0]]
        assert _file_of(exp).parent == folder.resolve(), f"{name} is defined in {_file_of(exp)}"


def test_the_engine_never_imports_theorems():
    for path in (ROOT / "verify").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n == "theorems" or n.startswith("theorems.") for n in names), f"{path} imports theorems"


def test_every_registered_checker_and_experiment_has_a_ledger_entry_and_every_entry_exists():
    books = ledgers()
    assert set(books) == set(PAPER_FOLDERS), "one ledger per paper"
    checkers = {c for c, k in catalogue().items() if type(k).__module__.startswith("theorems")}
    exps = {n for n, e in experiments().items() if type(e).__module__.startswith("theorems")}
    named_checkers = {i.checker for b in books.values() for i in b.items if i.checker}
    named_experiments = {i.experiment for b in books.values() for i in b.items if i.experiment}
    assert checkers <= named_checkers, f"checkers missing from the ledgers: {sorted(checkers - named_checkers)}"
    assert exps <= named_experiments, f"experiments missing from the ledgers: {sorted(exps - named_experiments)}"
    assert named_checkers <= set(catalogue()), f"ledger names unknown checkers: {sorted(named_checkers - set(catalogue()))}"
    assert named_experiments <= set(experiments()), f"ledger names unknown experiments: {sorted(named_experiments - set(experiments()))}"
    for key, book in books.items():
        for item in book.items:
            for ref in (item.checker, item.experiment):
                assert ref is None or ref.startswith(f"{key}."), f"{key} ledger item {item.label} points at {ref}"
