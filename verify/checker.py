"""The checker contract (DESIGN.md): one statement of a paper as an executable property.

A checker has
  * ``id`` (``np.lemma3``), ``title``, ``source`` (paper key + number) and ``statement``;
  * ``hypotheses``: a Hypothesis strategy of instances satisfying the statement's assumptions;
  * ``claim(instance, ctx)`` → :class:`Evidence`: every *entry* the claim checked on that
    instance (a restart, a neuron, a fit), each with its normalised violation (0 = holds
    exactly) and the numerical error floor it can be trusted to;
  * ``obligations()``: sympy proof obligations on small symbolic instances;
  * ``mutants``: deliberately wrong variants of the statement (at least one), each a set of
    attribute overrides of the checker (``Mutant("factor p+1", balance_factor=lambda p: p + 1)``),
    so that a claim reads like the statement and a mutant is that statement with one part changed.

Deciding one entry (``Checker.decide_entry``), in this order:
  1. a finite violation above ``tolerance + floor_factor·error_floor`` (its *bound*) FAILS,
     whether or not the numerics behind it converged;
  2. a non-finite violation or floor, ``converged=False``, or a floor above ``max_error_floor``
     (too imprecise to decide) is INCONCLUSIVE;
  3. otherwise the entry PASSES.
A negative violation is a defect of the checker (:class:`CheckerDefect`), never a PASS.

Deciding one instance (``Checker.decide``): FAIL if any entry fails, whatever the others say;
otherwise INCONCLUSIVE if any entry is inconclusive (or there is no entry at all); otherwise PASS.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar

from verify.errors import InputError

if TYPE_CHECKING:  # verify.refine imports torch; the checker base stays light
    from verify.refine import Relaxation


class Verdict(str, Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"
    CRASHED = "CRASHED"

    def __str__(self) -> str:
        return self.value


class CheckerDefect(RuntimeError):
    """A claim broke the contract (e.g. a negative violation): a bug in the checker, not a verdict."""


@dataclass(frozen=True)
class Entry:
    """One thing a claim checked on an instance (a restart, a neuron, a fit, a δ).

    violation: normalised distance from the statement, ≥ 0 (0 = exact); error_floor: what the
    numerics behind this entry can be trusted to; converged: False when the optimiser or
    integrator behind it did not reach its target; label: which entry it is, for the report.
    """

    violation: float
    error_floor: float = 0.0
    converged: bool = True
    label: str = ""


@dataclass
class Evidence:
    """What a claim measured on one instance: its entries, each decided on its own.

    measurements: numbers for the report, preferably a (frozen) dataclass of the checker's, serialised
    with ``asdict``; instance: a short description; note: a remark.
    An Evidence with no entries is INCONCLUSIVE (the statement was not exercised on this instance).
    """

    entries: Sequence[Entry]
    measurements: Any = field(default_factory=dict)  # a dataclass of the checker's (typed), or a dict
    instance: str = ""
    note: str = ""

    @classmethod
    def single(cls, violation: float, error_floor: float = 0.0, converged: bool = True, label: str = "",
               **kwargs: Any) -> Evidence:
        """Evidence of a claim that checks one entry."""
        return cls([Entry(float(violation), float(error_floor), bool(converged), label)], **kwargs)

    @classmethod
    def undecided(cls, reason: str, **kwargs: Any) -> Evidence:
        """The statement could not be exercised on this instance (e.g. no positive KKT point found)."""
        return cls([Entry(math.nan, math.nan, False, reason)], note=kwargs.pop("note", reason), **kwargs)


def entries(violations: Any, error_floors: Any, *, label: str = "entry", converged: Any = True,
            labels: Sequence[str] | None = None) -> list[Entry]:
    """One :class:`Entry` per element of ``violations`` (a tensor, array or sequence).

    ``error_floors`` and ``converged`` are scalars or of the same length; entries are labelled
    ``labels[i]`` or ``f"{label} {i}"``.
    """
    v = _floats(violations)
    f = _floats(error_floors, len(v))
    c = [bool(x) for x in _broadcast(converged, len(v))]
    if len(f) != len(v) or len(c) != len(v):
        raise CheckerDefect(f"entries: {len(v)} violations but {len(f)} floors and {len(c)} convergence flags")
    names = list(labels) if labels is not None else [f"{label} {i}" for i in range(len(v))]
    return [Entry(a, b, k, n) for a, b, k, n in zip(v, f, c, names, strict=True)]


def _broadcast(x: Any, n: int) -> list:
    if hasattr(x, "tolist"):
        x = x.tolist()
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x] * n


def _floats(x: Any, n: int | None = None) -> list[float]:
    if hasattr(x, "detach"):
        x = x.detach().flatten().double().cpu()
    if hasattr(x, "tolist"):
        x = x.tolist()
    if isinstance(x, (list, tuple)):
        return [float(a) for a in _flatten(x)]
    return [float(x)] * (1 if n is None else n)


def _flatten(xs: Iterable) -> Iterable:
    for x in xs:
        if isinstance(x, (list, tuple)):
            yield from _flatten(x)
        else:
            yield x


@dataclass
class Obligation:
    """A symbolic proof obligation: ``holds`` is decided by exact sympy algebra."""

    name: str
    statement: str
    holds: bool
    detail: str = ""


@dataclass
class Context:
    """Run settings a claim may need: torch device and the run's seed."""

    device: Any = "cpu"
    seed: int = 0


class Mutant:
    """A deliberately wrong variant of a checker's statement: attribute overrides."""

    def __init__(self, name: str, description: str = "", **overrides: Any) -> None:
        self.name = name
        self.description = description
        self.overrides = overrides

    def apply(self, checker: Checker) -> Checker:
        mutated = copy.copy(checker)
        for key, value in self.overrides.items():
            if not hasattr(checker, key):
                raise AttributeError(f"mutant {self.name!r} overrides unknown attribute {key!r} of {checker.id}")
            setattr(mutated, key, value)
        mutated.mutant = self
        return mutated


class Checker:
    """Base class: subclass, set the class attributes, implement ``hypotheses`` and ``claim``."""

    id: ClassVar[str]
    title: ClassVar[str]
    source: ClassVar[str]
    statement: ClassVar[str]
    method: ClassVar[str] = ""
    hypotheses_text: ClassVar[str] = ""
    tolerance: ClassVar[float] = 1e-9
    floor_factor: ClassVar[float] = 10.0
    max_error_floor: ClassVar[float] = 1e-6
    mutants: ClassVar[list[Mutant]] = []
    mutant: Mutant | None = None

    def hypotheses(self) -> Any:
        """A Hypothesis strategy of instances satisfying the statement's assumptions."""
        raise NotImplementedError

    def claim(self, instance: Any, ctx: Context) -> Evidence:
        raise NotImplementedError

    def obligations(self) -> list[Obligation]:
        return []

    #: what :meth:`relax`'s surrogate measures (for the report's method); empty when the claim has no relaxation
    refinement_text: ClassVar[str] = ""

    def relax(self, instance: Any, ctx: Context) -> Relaxation | None:
        """The instance's continuous parts and a differentiable surrogate of the claim's violation, for
        adversarial refinement (verify/refine.py); None (the default) when the claim has none."""
        return None

    def summarise(self, records: list) -> dict[str, float]:
        """Named numbers for the report: by default the range of every numeric per-instance measurement."""
        out: dict[str, float] = {}
        keys = sorted({k for r in records for k in r.measurements})
        for k in keys:
            vals = [r.measurements[k] for r in records if isinstance(r.measurements.get(k), (int, float))
                    and not isinstance(r.measurements[k], bool) and math.isfinite(r.measurements[k])]
            if vals:
                out[f"{k}_min"], out[f"{k}_max"] = min(vals), max(vals)
        return out

    def report_section(self, result, figure_dir) -> tuple[str, list[str]]:
        """Extra markdown and figure paths for the report (override to add checker-specific views)."""
        return "", []

    def bound(self, error_floor: float) -> float:
        """Largest violation explained by the numerics of an entry with this floor."""
        return self.tolerance + self.floor_factor * error_floor

    def decide_entry(self, entry: Entry) -> Verdict:
        """The verdict on one entry (module docstring, rules 1–3)."""
        v, f = entry.violation, entry.error_floor
        if v < 0:
            raise CheckerDefect(f"{self.id}: negative violation {v!r} on {entry.label or 'an entry'} "
                                "(a violation is a distance from the statement, ≥ 0)")
        if math.isfinite(v) and math.isfinite(f) and v > self.bound(f):
            return Verdict.FAIL
        if not (math.isfinite(v) and math.isfinite(f)) or not entry.converged or f > self.max_error_floor:
            return Verdict.INCONCLUSIVE
        return Verdict.PASS

    def decide(self, evidence: Evidence) -> Verdict:
        """The verdict on one instance: FAIL if any entry fails, else INCONCLUSIVE if any is undecided."""
        return instance_verdict([self.decide_entry(e) for e in evidence.entries])


def instance_verdict(entry_verdicts: list[Verdict]) -> Verdict:
    """FAIL if any entry failed, else INCONCLUSIVE if any was undecided (or there was none), else PASS."""
    if Verdict.FAIL in entry_verdicts:
        return Verdict.FAIL
    if not entry_verdicts or Verdict.INCONCLUSIVE in entry_verdicts:
        return Verdict.INCONCLUSIVE
    return Verdict.PASS


REGISTRY: dict[str, Checker] = {}


def register(cls: type[Checker]) -> type[Checker]:
    """Class decorator: add a checker to the catalogue under its id.

    Refused (InputError, naming the class's module) when the id is taken, a descriptive field
    is missing, or the checker declares no mutant: a checker that cannot be shown to fail proves
    nothing.
    """
    where = f"{cls.__module__}.{cls.__qualname__}"
    cid = getattr(cls, "id", "")
    if not cid:
        raise InputError(f"checker {where} has no id")
    if cid in REGISTRY:
        other = type(REGISTRY[cid])
        raise InputError(f"checker id {cid!r} of {where} is already registered by {other.__module__}.{other.__qualname__}")
    for name in ("title", "source", "statement"):
        if not getattr(cls, name, ""):
            raise InputError(f"checker {cid!r} ({where}) needs a {name}")
    if not getattr(cls, "mutants", None):
        raise InputError(f"checker {cid!r} ({where}) declares no mutant: every checker must ship at least one")
    REGISTRY[cid] = cls()
    return cls
