"""Drive a checker with Hypothesis and decide PASS / FAIL / INCONCLUSIVE.

Each instance Hypothesis generates is handed to the checker's claim; the violation, divided
by the bound the instance's numerics allow, is given to ``target()`` so Hypothesis steers
towards the worst cases. A FAIL raises inside the test, so Hypothesis shrinks it to a minimal
counterexample and saves it in its example database (replayed first on the next run).

Overall verdict: FAIL if a symbolic obligation fails or an instance fails; PASS if every
obligation holds and at least ``min_decided`` of the instances passed; INCONCLUSIVE otherwise.
"""

from __future__ import annotations

import math
import platform
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata
from typing import Any

import torch
from hypothesis import Phase, given, settings, target
from hypothesis import seed as hypothesis_seed
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.errors import FailedHealthCheck, Unsatisfiable

from verify.checker import Checker, Context, Obligation, Verdict

MIN_DECIDED = 0.75  # fraction of instances that must pass for an overall PASS
CPU = torch.device("cpu")


class Counterexample(AssertionError):
    """Raised inside the Hypothesis test when an instance violates the statement."""


@dataclass
class InstanceRecord:
    instance: str
    violation: float
    error_floor: float
    bound: float
    verdict: str
    converged: bool
    seconds: float
    measurements: dict[str, float] = field(default_factory=dict)
    note: str = ""


@dataclass
class MutantResult:
    name: str
    description: str
    killed: bool
    verdict: str
    detail: str = ""


@dataclass
class CheckResult:
    id: str
    title: str
    source: str
    statement: str
    method: str
    hypotheses: str
    verdict: str
    records: list[InstanceRecord]
    obligations: list[Obligation]
    counterexample: str | None
    tolerance: float
    floor_factor: float
    max_error_floor: float
    seed: int
    profile: str
    device: str
    duration_s: float
    measurements: dict[str, float] = field(default_factory=dict)
    mutants: list[MutantResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    figures: list[str] = field(default_factory=list)
    extra_markdown: str = ""

    @property
    def n_inconclusive(self) -> int:
        return sum(r.verdict == Verdict.INCONCLUSIVE for r in self.records)

    @property
    def max_violation(self) -> float | None:
        vals = [r.violation for r in self.records if math.isfinite(r.violation)]
        return max(vals) if vals else None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "source": self.source,
            "statement": self.statement,
            "verdict": self.verdict,
            "n_examples": len(self.records),
            "n_inconclusive": self.n_inconclusive,
            "max_violation": self.max_violation,
            "tolerance": self.tolerance,
            "floor_factor": self.floor_factor,
            "max_error_floor": self.max_error_floor,
            "seed": self.seed,
            "profile": self.profile,
            "device": self.device,
            "dtype": "float64",
            "duration_s": round(self.duration_s, 3),
            "counterexample": self.counterexample,
            "mutants": [asdict(m) for m in self.mutants],
            "obligations": [asdict(o) for o in self.obligations],
            "measurements": self.measurements,
            "instances": [asdict(r) for r in self.records],
            "notes": self.notes,
            "versions": self.versions,
            "figures": self.figures,
        }


def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "platform": platform.platform()}
    for pkg in ("homcheck", "torch", "numpy", "sympy", "hypothesis", "cvxpy", "scipy"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _explore(
    checker: Checker, ctx: Context, hyp_settings: settings, progress=None, key: str = ""
) -> tuple[list[InstanceRecord], str | None, list[str]]:
    """Run Hypothesis over the checker's instances; returns (records, counterexample, notes)."""
    records: list[InstanceRecord] = []
    failing: list[InstanceRecord] = []

    def test(instance) -> None:
        t0 = time.perf_counter()
        ev = checker.claim(instance, ctx)
        verdict = checker.decide(ev)
        bound = checker.bound(ev.error_floor) if math.isfinite(ev.error_floor) else math.nan
        rec = InstanceRecord(
            ev.instance or str(instance), ev.violation, ev.error_floor, bound, verdict.value,
            ev.converged, time.perf_counter() - t0, dict(ev.measurements), ev.note,
        )
        records.append(rec)
        if progress is not None:
            progress.update(1)
        if verdict is not Verdict.INCONCLUSIVE and bound > 0:
            target(min(ev.violation / bound, 1e12), label="violation / bound")
        if verdict is Verdict.FAIL:
            failing.append(rec)
            raise Counterexample(f"{checker.id}: violation {ev.violation:.3g} > bound {bound:.3g} on {rec.instance}")

    # a distinct database key per checker and mutant: the wrapped function is shared
    test._hypothesis_internal_add_digest = f"{checker.id}/{key}".encode()  # type: ignore[attr-defined]
    # settings outermost: @seed alone would switch the example database off
    wrapped = hyp_settings(hypothesis_seed(ctx.seed)(given(checker.hypotheses())(test)))
    notes: list[str] = []
    try:
        wrapped()
    except Counterexample:
        pass
    except (Unsatisfiable, FailedHealthCheck) as exc:
        notes.append(f"Hypothesis could not generate enough valid instances: {str(exc).splitlines()[0]}")
    # Hypothesis replays the minimal failing example last
    return records, (failing[-1].instance if failing else None), notes


def _settings(profile: settings, *, max_examples: int | None, shrink: bool, database: str | None) -> settings:
    phases = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target] + ([Phase.shrink] if shrink else [])
    return settings(
        profile,
        max_examples=max_examples or profile.max_examples,
        derandomize=False,  # the run's --seed makes it reproducible instead
        database=DirectoryBasedExampleDatabase(database) if database else None,
        phases=phases,
        report_multiple_bugs=False,
    )


def run_checker(
    checker: Checker,
    *,
    profile: settings,
    profile_name: str,
    seed: int = 0,
    device: torch.device = CPU,
    database: str | None = ".hypothesis/examples",
    with_mutants: bool = True,
    progress=None,
) -> CheckResult:
    """Run one checker: obligations, Hypothesis exploration, verdict, and (optionally) mutants."""
    t0 = time.perf_counter()
    ctx = Context(device=device, seed=seed)
    obligations = checker.obligations()
    records, counterexample, notes = _explore(
        checker, ctx, _settings(profile, max_examples=None, shrink=True, database=database), progress
    )
    n_pass = sum(r.verdict == Verdict.PASS for r in records)
    if counterexample is not None or not all(o.holds for o in obligations):
        verdict = Verdict.FAIL
    elif records and n_pass >= MIN_DECIDED * len(records):
        verdict = Verdict.PASS
    else:
        verdict = Verdict.INCONCLUSIVE
        if records:
            notes.append(f"only {n_pass} of {len(records)} instances were decided (need {MIN_DECIDED:.0%})")
    result = CheckResult(
        id=checker.id, title=checker.title, source=checker.source, statement=checker.statement,
        method=checker.method, hypotheses=checker.hypotheses_text, verdict=verdict.value, records=records,
        obligations=obligations, counterexample=counterexample, tolerance=checker.tolerance,
        floor_factor=checker.floor_factor, max_error_floor=checker.max_error_floor, seed=seed,
        profile=profile_name, device=str(device), duration_s=0.0, notes=notes, versions=versions(),
    )
    result.measurements = checker.summarise(records)
    if with_mutants:
        result.mutants = run_mutants(checker, profile=profile, seed=seed, device=device, database=database)
    result.duration_s = time.perf_counter() - t0
    return result


def run_mutants(
    checker: Checker, *, profile: settings, seed: int = 0, device: torch.device = CPU,
    database: str | None = ".hypothesis/examples",
) -> list[MutantResult]:
    """Run every mutant of a checker (no shrinking); a mutant is killed when its verdict is FAIL."""
    out = []
    ctx = Context(device=device, seed=seed)
    for mutant in checker.mutants:
        mutated = mutant.apply(checker)
        failed_obligations = [o.name for o in mutated.obligations() if not o.holds]
        records, counterexample, _ = _explore(
            mutated, ctx, _settings(profile, max_examples=None, shrink=False, database=database), key=mutant.name
        )
        killed = bool(failed_obligations) or counterexample is not None
        detail = "; ".join(
            ([f"symbolic obligation fails ({len(failed_obligations)} cases, e.g. {failed_obligations[0]})"] if failed_obligations else [])
            + ([f"counterexample: {counterexample}"] if counterexample else [])
        ) or f"survived {len(records)} instances"
        out.append(MutantResult(mutant.name, mutant.description, killed, "FAIL" if killed else "not refuted", detail))
    return out
