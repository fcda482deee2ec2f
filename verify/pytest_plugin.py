"""Checkers as pytest tests (entry point ``pytest11``).

    pytest --homcheck np.lemma3,edc.lemma9 --hypothesis-profile ci --hypothesis-seed 0
    pytest --homcheck user.claim --homcheck-plugin my_checks

runs those checkers (with their mutants) as test items under the chosen profile and seed. A test
module of your own can also hold a checker: a :class:`verify.checker.Checker` subclass whose
name matches pytest's class pattern (``Test*``) is collected as one test. A FAIL fails the test
with the shrunk counterexample and the command that replays it (its files are written under
``--homcheck-out``, by default pytest's temporary directory); INCONCLUSIVE fails it too, with
the reason: a test passes only on PASS with every mutant killed.

Kept light: nothing heavy is imported until a homcheck item runs.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("homcheck")
    group.addoption("--homcheck", action="append", default=[], metavar="ID[,ID...]",
                    help="run these homcheck checkers as tests (built-in or from --homcheck-plugin)")
    group.addoption("--homcheck-plugin", action="append", default=[], metavar="MODULE",
                    help="import MODULE first (it registers your own checkers)")
    group.addoption("--homcheck-out", default=None, metavar="DIR",
                    help="where reports and counterexamples of failing checkers go (default: a temporary directory)")


class HomcheckFailure(Exception):
    """A checker that did not PASS, or a mutant that was not killed."""


class CheckerItem(pytest.Item):
    """One checker (and its mutants) as a test."""

    def __init__(self, *, checker: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.checker = checker

    def runtest(self) -> None:
        from hypothesis import settings

        from verify.profiles import PROFILES, profile
        from verify.report import write_report
        from verify.runner import run_checker

        config = self.config
        name = config.getoption("hypothesis_profile", None) or settings.get_current_profile_name()
        chosen = profile(name if name in PROFILES else "ci")
        seed = int(config.getoption("hypothesis_seed", None) or 0)
        out = Path(config.getoption("homcheck_out") or self.config._tmp_path_factory.mktemp("homcheck"))  # noqa: SLF001
        result = run_checker(self.checker, profile=chosen, seed=seed, device=_cpu())
        written = write_report(result, self.checker, out)
        problems = []
        if result.verdict != "PASS":
            problems.append(f"{self.checker.id}: {result.verdict} (profile {chosen.name}, seed {seed})")
            if result.counterexample is not None:
                c = result.counterexample
                problems.append(f"counterexample: {c.instance}")
                problems.append(f"entry {c.entry}: violation {c.violation:.3g} > bound {c.bound:.3g}")
            if result.crash is not None:
                problems.append(f"crash: {result.crash.error} on {result.crash.instance}\n{result.crash.traceback}")
            problems += [f"note: {n}" for n in result.notes]
            if written.replay:
                problems.append(f"replay: {written.replay}")
        problems += [f"mutant {m.name!r} {m.status}: {m.detail}" for m in result.mutants if not m.killed]
        if problems:
            raise HomcheckFailure("\n".join(problems + [f"report: {written.markdown}"]))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style=None) -> str:
        if isinstance(excinfo.value, HomcheckFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"homcheck {self.checker.id}"


def _cpu() -> Any:
    import torch

    torch.set_num_threads(1)
    return torch.device("cpu")


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    ids = [i for arg in config.getoption("homcheck") for i in arg.split(",") if i]
    if not ids:
        return
    from verify.catalogue import load_entry_points, load_module, select
    from verify.errors import InputError

    try:
        load_entry_points()
        for module in config.getoption("homcheck_plugin"):
            load_module(module)
        checkers = select(ids)
    except InputError as exc:
        raise pytest.UsageError(f"homcheck: {exc}") from None
    items.extend(CheckerItem.from_parent(session, name=f"homcheck[{c.id}]", checker=c) for c in checkers)


def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: Any) -> Any:
    """A Checker subclass named like a test class in a test module is collected as one test."""
    if not (inspect.isclass(obj) and collector.classnamefilter(name)):
        return None
    from verify.checker import Checker

    if not issubclass(obj, Checker) or obj is Checker or not getattr(obj, "id", None):
        return None
    if not getattr(obj, "mutants", None):
        raise pytest.UsageError(f"homcheck: checker {obj.__qualname__} declares no mutant: every checker must ship one")
    return CheckerItem.from_parent(collector, name=name, checker=obj())
