"""Developer and user sessions: tests, verify, lint, bench.

torch is installed explicitly at 2.13.0 before the package: the package metadata keeps a
range, and an unpinned resolve would pull several GB of CUDA wheels (DEVELOPERS.md).
"""

import os

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True

TORCH = "torch==2.13.0"


def _install(session: nox.Session, extras: str = "") -> None:
    session.install(TORCH)
    session.install("-e", f".{extras}")


@nox.session
def tests(session: nox.Session) -> None:
    """pytest under the Hypothesis profile `ci`, one pytest-xdist worker per core (override: nox -s tests --
    --hypothesis-profile dev; -n 0 runs in one process)."""
    _install(session, "[test]")
    args = session.posargs
    if not any(a.startswith("--hypothesis-profile") for a in args):
        args = ["--hypothesis-profile", "ci", *args]
    if not any(a == "-n" or a.startswith("-n") or a.startswith("--numprocesses") for a in args):
        args = ["-n", "auto", *args]
    session.run("pytest", *args)


@nox.session
def verify(session: nox.Session) -> None:
    """The whole catalogue with its mutants and every experiment, into reports/ (`homcheck verify`).

    Arguments after -- go to `homcheck verify`; the experiments run at the scale matching the profile
    (ci → ci, otherwise dev) with the same seed, on the same pool as the checkers: one local Dask
    worker per CPU core unless --workers or --scheduler says otherwise. Exit codes 1 (a FAIL) and
    3 (INCONCLUSIVE) are findings, not session errors: the reports say what they are.
    """
    _install(session)
    args = list(session.posargs)
    if "--workers" not in args and "--scheduler" not in args:
        args += ["--workers", str(os.cpu_count() or 1)]
    session.run("homcheck", "verify", *args, success_codes=[0, 1, 3])


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks; results (ratios measured in one run) go to reports/bench.md."""
    _install(session)
    session.run("python", "-m", "benchmarks", *session.posargs)
