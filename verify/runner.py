"""Drive a checker with Hypothesis and decide PASS / FAIL / INCONCLUSIVE.

Each instance Hypothesis generates is handed to the checker's claim and every entry of its
Evidence is decided on its own (verify/checker.py). Reproducibility and honesty rules:

* **Same inputs, same report.** Instances come from Hypothesis seeded with the run's seed; the
  example database is never read while generating, so what earlier runs saved cannot change
  the generated set. Failing examples are saved under a key (checker, mutant, profile, seed)
  and replayed only when asked (``replay=True``), reported apart from the generated set.
* **Distinct instances.** Instances are deduplicated by content (their repr): a duplicate is
  rejected so Hypothesis draws another, and reports count distinct instances.
* **Steering.** ``target()`` gets violation / bound only when the worst entry is above its
  noise floor (violation above both the error floor and 10⁻³ × tolerance), so rounding noise
  does not collapse the budget onto near-copies of one instance.
* **Shrinking.** A FAIL raises inside the test so Hypothesis shrinks it; instances evaluated
  while shrinking are counted, not mixed into the generated set; the minimal one is the
  counterexample.
* **Crashes.** An exception from a claim stops that checker at once (no shrinking) and is
  recorded with its traceback and the instance it crashed on.

Overall verdict: FAIL if a symbolic obligation fails or an instance fails; PASS if every
obligation holds, nothing fails, and at least max(profile.min_decided, 75% of the distinct
instances) passed; INCONCLUSIVE otherwise (with a note saying why).
"""

from __future__ import annotations

import dataclasses
import math
import platform
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from hypothesis import Phase, given, reject, settings, target
from hypothesis import seed as hypothesis_seed
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.errors import FailedHealthCheck, Unsatisfiable

from verify.checker import Checker, CheckerDefect, Context, Entry, Evidence, Obligation, Verdict, instance_verdict
from verify.profiles import Profile
from verify.refine import refine

MIN_DECIDED_FRACTION = 0.75  # of the distinct instances, besides the profile's minimum count
TARGET_FLOOR = 1e-3  # target() is fed only above 10⁻³ × tolerance (and above the error floor)


class Counterexample(AssertionError):
    """Raised inside the Hypothesis test when an instance violates the statement."""


class _Crashed(BaseException):  # noqa: N818  (BaseException: Hypothesis lets it through without shrinking)
    """Raised inside the Hypothesis test when a claim raised: stops the exploration at once."""


@dataclass
class InstanceRecord:
    """One distinct instance: its verdict and the entry that decided it.

    The deciding entry is the worst failing entry of a FAIL, the first undecided entry of an
    INCONCLUSIVE instance, and the entry closest to its bound (largest violation / bound) of a PASS.
    """

    instance: str
    verdict: str
    violation: float
    error_floor: float
    bound: float
    entry: str
    n_entries: int
    n_failed: int
    n_inconclusive: int
    seconds: float
    measurements: dict[str, float] = field(default_factory=dict)
    note: str = ""


@dataclass
class Crash:
    """A claim that raised: the instance it crashed on and the traceback."""

    instance: str
    error: str
    traceback: str


@dataclass
class Exploration:
    """What one Hypothesis run over a checker's instances produced."""

    records: list[InstanceRecord]
    counterexample: InstanceRecord | None = None
    counterexample_instance: Any = None
    duplicates: int = 0
    shrink_evaluations: int = 0
    crash: Crash | None = None
    notes: list[str] = field(default_factory=list)
    refined: list[tuple[float, float]] = field(default_factory=list)  # surrogate before → after, per refinement

    def refinement_note(self, profile: Profile) -> str:
        if not self.refined:
            return ""
        gains = ", ".join(f"{a:.3g} → {b:.3g}" for a, b in self.refined)
        return (f"adversarial refinement: {len(self.refined)} of the most violating instances refined by "
                f"{profile.refine_steps} gradient-ascent steps each (surrogate {gains}); each refined instance is "
                "decided by the claim and listed as 'refined … from …'")


@dataclass
class MutantResult:
    """A mutant's outcome: ``killed`` (refuted: FAIL), ``survived`` (it PASSED: the checker cannot
    tell it from the statement), ``undecided`` (INCONCLUSIVE: nothing could be decided) or ``crashed``."""

    name: str
    description: str
    status: str
    detail: str = ""
    traceback: str = ""

    @property
    def killed(self) -> bool:
        return self.status == "killed"


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
    counterexample: InstanceRecord | None
    tolerance: float
    floor_factor: float
    max_error_floor: float
    seed: int
    profile: str
    min_decided: int
    device: str
    duration_s: float
    duplicates: int = 0
    shrink_evaluations: int = 0
    replayed: list[InstanceRecord] = field(default_factory=list)
    crash: Crash | None = None
    measurements: dict[str, float] = field(default_factory=dict)
    mutants: list[MutantResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    counterexample_instance: Any = None

    @property
    def n_passed(self) -> int:
        return sum(r.verdict == Verdict.PASS for r in self.records)

    @property
    def n_inconclusive(self) -> int:
        return sum(r.verdict == Verdict.INCONCLUSIVE for r in self.records)

    @property
    def n_entries(self) -> int:
        return sum(r.n_entries for r in self.records)

    @property
    def n_entries_decided(self) -> int:
        return sum(r.n_entries - r.n_inconclusive for r in self.records)

    @property
    def max_violation(self) -> float | None:
        vals = [r.violation for r in self.records if math.isfinite(r.violation)]
        return max(vals) if vals else None


def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "platform": platform.platform()}
    for pkg in ("homcheck", "torch", "numpy", "sympy", "hypothesis", "cvxpy", "scipy"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def record(checker: Checker, evidence: Evidence, instance: Any, seconds: float) -> InstanceRecord:
    """Decide every entry of ``evidence`` and keep the deciding one (see :class:`InstanceRecord`)."""
    if not isinstance(evidence, Evidence):
        raise CheckerDefect(f"{checker.id}: claim returned {type(evidence).__name__}, not Evidence")
    verdicts = [checker.decide_entry(e) for e in evidence.entries]
    verdict = instance_verdict(verdicts)

    def ratio(e: Entry) -> float:
        b = checker.bound(e.error_floor)
        return e.violation / b if b > 0 else math.inf

    if verdict is Verdict.FAIL:
        deciding = max((e for e, v in zip(evidence.entries, verdicts) if v is Verdict.FAIL), key=ratio)
    elif verdict is Verdict.INCONCLUSIVE:
        deciding = next((e for e, v in zip(evidence.entries, verdicts) if v is Verdict.INCONCLUSIVE),
                        Entry(math.nan, math.nan, False, "no entry"))
    else:
        deciding = max(evidence.entries, key=ratio)
    floor = deciding.error_floor
    return InstanceRecord(
        instance=evidence.instance or str(instance),
        verdict=verdict.value,
        violation=deciding.violation,
        error_floor=floor,
        bound=checker.bound(floor) if math.isfinite(floor) else math.nan,
        entry=deciding.label + _undecided_reason(checker, deciding) if verdict is Verdict.INCONCLUSIVE else deciding.label,
        n_entries=len(evidence.entries),
        n_failed=verdicts.count(Verdict.FAIL),
        n_inconclusive=verdicts.count(Verdict.INCONCLUSIVE),
        seconds=seconds,
        measurements=_measurements(evidence.measurements),
        note=evidence.note,
    )


def _measurements(m: Any) -> dict[str, Any]:
    """A claim's measurements as a plain dict: a dataclass through ``asdict`` (typed), or a mapping."""
    if dataclasses.is_dataclass(m) and not isinstance(m, type):
        return dataclasses.asdict(m)
    return dict(m)


def _undecided_reason(checker: Checker, e: Entry) -> str:
    if not (math.isfinite(e.violation) and math.isfinite(e.error_floor)):
        why = "non-finite"
    elif not e.converged:
        why = "not converged"
    else:
        why = f"floor {e.error_floor:.3g} > {checker.max_error_floor:g}"
    return f" ({why})" if e.label != why else ""


def _steer_value(checker: Checker, evidence: Evidence) -> float | None:
    """violation / bound of the worst entry, when some finite entry is above its noise floor."""
    ratios = [e.violation / checker.bound(e.error_floor) for e in evidence.entries
              if math.isfinite(e.violation) and math.isfinite(e.error_floor)
              and e.violation > max(e.error_floor, TARGET_FLOOR * checker.tolerance)]
    return min(max(ratios), 1e12) if ratios else None


def explore(checker: Checker, ctx: Context, hyp_settings: settings, *, key: str, profile: Profile,
            progress: Callable[[int], None] | None = None) -> Exploration:
    """Run Hypothesis over the checker's instances (see the module docstring)."""
    out = Exploration(records=[])
    seen: dict[str, tuple[InstanceRecord, Any]] = {}
    replaying = Phase.generate not in hyp_settings.phases
    best_surrogate = -math.inf

    def refined_record(instance, base: InstanceRecord) -> tuple[InstanceRecord, Any] | None:
        """Refine the instance when it is the most violating so far and the budget allows (verify/refine.py);
        while shrinking a counterexample found by refinement, every candidate is refined the same way."""
        nonlocal best_surrogate
        relaxation = checker.relax(instance, ctx)
        if relaxation is None:
            return None
        shrinking = out.counterexample is not None
        start = relaxation.value()
        if not shrinking and (len(out.refined) >= profile.refinements or not start >= best_surrogate):
            return None
        best_surrogate = max(best_surrogate, start)
        refined = refine(relaxation, steps=profile.refine_steps)
        t0 = time.perf_counter()
        rec = record(checker, checker.claim(refined.instance, ctx), refined.instance, time.perf_counter() - t0)
        rec.instance = f"refined (surrogate {refined.start:.3g} → {refined.end:.3g}) from {base.instance}"
        if not shrinking:
            out.refined.append((refined.start, refined.end))
        if math.isfinite(refined.end):
            target(refined.end, label="refined surrogate")
        return rec, refined.instance

    def test(instance) -> None:
        content = repr(instance)
        if content in seen:  # a duplicate: same verdict, no new record
            rec, decided = seen[content]
            if rec.verdict == Verdict.FAIL:
                instance = decided  # the instance that failed: this one, or its refinement
            else:
                if out.counterexample is None and not replaying:
                    out.duplicates += 1
                    reject()
                return
        else:
            t0 = time.perf_counter()
            try:
                evidence = checker.claim(instance, ctx)
                rec = record(checker, evidence, instance, time.perf_counter() - t0)
            except Exception as exc:  # a defect of the checker: stop and report it, do not shrink it
                out.crash = Crash(repr(instance), f"{type(exc).__name__}: {exc}", traceback.format_exc())
                raise _Crashed from exc
            seen[content] = (rec, instance)
            if out.counterexample is not None:  # shrinking: counted, not part of the generated set
                out.shrink_evaluations += 1
            else:
                out.records.append(rec)
                if progress is not None:
                    progress(1)
            steer = _steer_value(checker, evidence)
            if steer is not None:
                target(steer, label="violation / bound")
            if rec.verdict != Verdict.FAIL:
                try:
                    refined = refined_record(instance, rec)
                except Exception as exc:  # a defect of the checker's relaxation or claim
                    out.crash = Crash(f"refinement of {instance!r}", f"{type(exc).__name__}: {exc}", traceback.format_exc())
                    raise _Crashed from exc
                if refined is not None:
                    if out.counterexample is not None:
                        out.shrink_evaluations += 1
                    else:
                        out.records.append(refined[0])
                    if refined[0].verdict == Verdict.FAIL:
                        rec, instance = refined
                        seen[content] = (rec, instance)
        if rec.verdict == Verdict.FAIL:
            # Hypothesis replays the minimal failing example last; one raise site keeps it consistent
            out.counterexample, out.counterexample_instance = rec, instance
            raise Counterexample(f"{checker.id}: violation {rec.violation:.3g} > bound {rec.bound:.3g} on {rec.instance}")

    # one database key per (checker, mutant, profile, seed): the wrapped function is shared
    test._hypothesis_internal_add_digest = key.encode()  # type: ignore[attr-defined]
    # settings outermost: @seed alone would switch the example database off
    wrapped = hyp_settings(hypothesis_seed(ctx.seed)(given(checker.hypotheses())(test)))
    try:
        wrapped()
    except Counterexample:
        pass
    except _Crashed:
        pass
    except (Unsatisfiable, FailedHealthCheck) as exc:
        out.notes.append(f"Hypothesis could not generate enough valid instances: {str(exc).splitlines()[0]}")
    return out


def _settings(profile: Profile, phases: list[Phase], database: Path | None) -> settings:
    return settings(
        profile.settings(),
        derandomize=False,  # the run's seed makes it reproducible instead
        database=DirectoryBasedExampleDatabase(str(database)) if database is not None else None,
        phases=phases,
        report_multiple_bugs=False,
    )


GENERATE = [Phase.explicit, Phase.generate, Phase.target]  # never Phase.reuse: the database is not read


def database_key(checker: Checker, profile: Profile, seed: int, mutant: str = "") -> str:
    return f"{checker.id}/{mutant or 'statement'}/{profile.name}/seed={seed}"


def overall_verdict(exploration: Exploration, obligations: list[Obligation], profile: Profile,
                    replayed: list[InstanceRecord] = ()) -> tuple[Verdict, list[str]]:
    """The checker's verdict from its instances and obligations (module docstring) and notes on why."""
    notes: list[str] = []
    if exploration.crash is not None:
        return Verdict.CRASHED, [f"the claim raised {exploration.crash.error} on {exploration.crash.instance}"]
    failed_replays = [r for r in replayed if r.verdict == Verdict.FAIL]
    if exploration.counterexample is not None or failed_replays or not all(o.holds for o in obligations):
        return Verdict.FAIL, notes
    records = exploration.records
    n_pass = sum(r.verdict == Verdict.PASS for r in records)
    need = max(profile.min_decided, math.ceil(MIN_DECIDED_FRACTION * len(records)))
    if n_pass >= need:
        return Verdict.PASS, notes
    notes.append(f"only {n_pass} of {len(records)} distinct instances were decided; profile {profile.name!r} needs "
                 f"{need} (at least {profile.min_decided} and {MIN_DECIDED_FRACTION:.0%})")
    return Verdict.INCONCLUSIVE, notes


def run_checker(
    checker: Checker,
    *,
    profile: Profile,
    seed: int = 0,
    device: Any = "cpu",
    database: Path | None = None,
    replay: bool = False,
    with_mutants: bool = True,
    progress: Callable[[int], None] | None = None,
) -> CheckResult:
    """Run one checker: obligations, Hypothesis exploration, verdict, and (optionally) mutants.

    ``database``: where failing examples are saved (never read while generating); ``replay``:
    first replay the examples saved there for this (checker, profile, seed), reported apart.
    """
    t0 = time.perf_counter()
    ctx = Context(device=device, seed=seed)
    key = database_key(checker, profile, seed)
    replayed: list[InstanceRecord] = []
    if replay and database is not None:
        replayed = explore(checker, ctx, _settings(profile, [Phase.reuse], database), key=key, profile=profile).records
    obligations = checker.obligations()
    found = explore(checker, ctx, _settings(profile, GENERATE + [Phase.shrink], database), key=key, profile=profile,
                    progress=progress)
    verdict, notes = overall_verdict(found, obligations, profile, replayed)
    result = CheckResult(
        id=checker.id, title=checker.title, source=checker.source, statement=checker.statement,
        method=checker.method + (f" Adversarial refinement (verify/refine.py): {checker.refinement_text}"
                                 if checker.refinement_text else ""),
        hypotheses=checker.hypotheses_text, verdict=verdict.value, records=found.records,
        obligations=obligations, counterexample=found.counterexample, tolerance=checker.tolerance,
        floor_factor=checker.floor_factor, max_error_floor=checker.max_error_floor, seed=seed,
        profile=profile.name, min_decided=profile.min_decided, device=str(device), duration_s=0.0,
        duplicates=found.duplicates, shrink_evaluations=found.shrink_evaluations, replayed=replayed,
        crash=found.crash, notes=found.notes + notes + ([found.refinement_note(profile)] if found.refined else []),
        versions=versions(),
        counterexample_instance=found.counterexample_instance,
    )
    result.measurements = checker.summarise(found.records)
    if found.crash is not None:
        result.notes.append("mutants not run: the statement's own claim crashed")
    elif with_mutants:
        result.mutants = run_mutants(checker, profile=profile, seed=seed, device=device, database=database,
                                     progress=progress)
    result.duration_s = time.perf_counter() - t0
    return result


def crashed_result(checker: Checker, *, profile: Profile, seed: int, device: Any, exc: BaseException,
                   stage: str, seconds: float) -> CheckResult:
    """The result of a checker that raised outside its claim (strategy, obligations, summary)."""
    crash = Crash(f"(none: the checker raised in {stage})", f"{type(exc).__name__}: {exc}",
                  "".join(traceback.format_exception(exc)))
    return CheckResult(
        id=checker.id, title=checker.title, source=checker.source, statement=checker.statement, method=checker.method,
        hypotheses=checker.hypotheses_text, verdict=Verdict.CRASHED.value, records=[], obligations=[], counterexample=None,
        tolerance=checker.tolerance, floor_factor=checker.floor_factor, max_error_floor=checker.max_error_floor, seed=seed,
        profile=profile.name, min_decided=profile.min_decided, device=str(device), duration_s=seconds, crash=crash,
        notes=[f"the checker raised {crash.error} in {stage}"], versions=versions(),
    )


def run_mutants(
    checker: Checker, *, profile: Profile, seed: int = 0, device: Any = "cpu", database: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[MutantResult]:
    """Run every mutant of a checker (no shrinking); a mutant is killed when a symbolic obligation fails under it
    (then no instances are drawn: an exact refutation needs no search) or when its verdict is FAIL."""
    out = []
    ctx = Context(device=device, seed=seed)
    for mutant in checker.mutants:
        mutated = mutant.apply(checker)
        try:
            failed_obligations = [o.name for o in mutated.obligations() if not o.holds]
        except Exception as exc:  # a defect of the checker's obligations under this mutant
            out.append(MutantResult(mutant.name, mutant.description, "crashed", f"obligations raised {type(exc).__name__}: {exc}",
                                    traceback.format_exc()))
            continue
        if failed_obligations:  # refuted exactly: no numeric search can add to that
            out.append(MutantResult(mutant.name, mutant.description, "killed",
                                    f"symbolic obligation fails ({len(failed_obligations)} cases, e.g. {failed_obligations[0]})"))
            continue
        found = explore(mutated, ctx, _settings(profile, GENERATE, database), profile=profile,
                        key=database_key(checker, profile, seed, mutant.name), progress=progress)
        verdict, _ = overall_verdict(found, [], profile)
        trace = ""
        if found.crash is not None:
            status, detail = "crashed", f"the claim raised {found.crash.error} on {found.crash.instance}"
            trace = found.crash.traceback
        elif found.counterexample is not None:
            status, detail = "killed", f"counterexample: {found.counterexample.instance}"
        elif verdict is Verdict.PASS:
            status, detail = "survived", f"passed {len(found.records)} distinct instances"
        else:
            n_pass = sum(r.verdict == Verdict.PASS for r in found.records)
            status, detail = "undecided", f"not refuted, but only {n_pass} of {len(found.records)} instances were decided"
        out.append(MutantResult(mutant.name, mutant.description, status, detail, trace))
    return out
