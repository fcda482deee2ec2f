"""The checker contract (DESIGN.md): one statement of a paper as an executable property.

A checker has
  * ``id`` (``np.lemma3``), ``title``, ``source`` (paper key + number) and ``statement``;
  * ``hypotheses``: a Hypothesis strategy of instances satisfying the statement's assumptions;
  * ``claim(instance, ctx)`` → :class:`Evidence`: a normalised violation (0 = holds exactly)
    and the numerical error floor it can be trusted to;
  * ``obligations()``: sympy proof obligations on small symbolic instances;
  * ``mutants``: deliberately wrong variants of the statement, each a set of attribute
    overrides of the checker (``Mutant("factor p+1", balance_factor=lambda p: p + 1)``), so
    that a claim reads like the statement and a mutant is that statement with one part changed.

Deciding one instance (``Checker.decide``): the claim holds if
violation <= tolerance + floor_factor·error_floor and the floor is small enough to support a
decision (error_floor <= max_error_floor); it fails if the violation exceeds that bound; any
other outcome (NaN, non-convergence, a floor too large to decide) is INCONCLUSIVE.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar

import torch
from hypothesis import strategies as st

from verify.errors import InputError


class Verdict(str, Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"

    def __str__(self) -> str:
        return self.value


@dataclass
class Evidence:
    """What a claim measured on one instance.

    violation: normalised distance from the statement (0 = exact); error_floor: what the
    numerics of this instance can be trusted to; converged: False when the optimiser or
    integrator behind the instance did not reach its target (→ INCONCLUSIVE);
    measurements: named numbers for the report; instance: a short description.
    """

    violation: float
    error_floor: float = 0.0
    converged: bool = True
    measurements: dict[str, float] = field(default_factory=dict)
    instance: str = ""
    note: str = ""


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

    device: torch.device = torch.device("cpu")
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

    def hypotheses(self) -> st.SearchStrategy:
        raise NotImplementedError

    def claim(self, instance: Any, ctx: Context) -> Evidence:
        raise NotImplementedError

    def obligations(self) -> list[Obligation]:
        return []

    def summarise(self, records: list) -> dict[str, float]:
        """Named numbers for the report: by default the range of every per-instance measurement."""
        out: dict[str, float] = {}
        keys = sorted({k for r in records for k in r.measurements})
        for k in keys:
            vals = [r.measurements[k] for r in records if k in r.measurements and math.isfinite(r.measurements[k])]
            if vals:
                out[f"{k}_min"], out[f"{k}_max"] = min(vals), max(vals)
        return out

    def report_section(self, result, figure_dir) -> tuple[str, list[str]]:
        """Extra markdown and figure paths for the report (override to add checker-specific views)."""
        return "", []

    def bound(self, error_floor: float) -> float:
        """Largest violation explained by the numerics of an instance with this floor."""
        return self.tolerance + self.floor_factor * error_floor

    def decide(self, ev: Evidence) -> Verdict:
        v, f = ev.violation, ev.error_floor
        if not (math.isfinite(v) and math.isfinite(f)) or not ev.converged:
            return Verdict.INCONCLUSIVE
        if v > self.bound(f):
            return Verdict.FAIL
        if f > self.max_error_floor:
            return Verdict.INCONCLUSIVE
        return Verdict.PASS


def worst_case(violations: torch.Tensor, floors: torch.Tensor, checker: Checker) -> tuple[float, float]:
    """(violation, floor) of the entry that is furthest beyond its own bound.

    Many restarts or neurons are checked per instance; each has its own error floor, so the
    worst is the one with the largest violation / bound ratio, not the largest violation.
    """
    v, f = violations.detach().flatten().double(), floors.detach().flatten().double()
    if v.numel() == 0:
        return 0.0, 0.0
    bad = ~(torch.isfinite(v) & torch.isfinite(f))
    if bool(bad.any()):
        i = int(bad.nonzero()[0])
        return float(v[i]), float(f[i])
    i = int(torch.argmax(v / (checker.tolerance + checker.floor_factor * f)))
    return float(v[i]), float(f[i])


REGISTRY: dict[str, Checker] = {}


def register(cls: type[Checker]) -> type[Checker]:
    """Class decorator: add a checker to the catalogue under its id."""
    if cls.id in REGISTRY:
        raise ValueError(f"checker id {cls.id!r} registered twice")
    for name in ("title", "source", "statement"):
        if not getattr(cls, name, ""):
            raise ValueError(f"checker {cls.id!r} needs a {name}")
    REGISTRY[cls.id] = cls()
    return cls


def catalogue() -> dict[str, Checker]:
    """Every registered checker, in id order (imports the built-in theorem modules)."""
    import theorems  # noqa: F401  (registers the built-in checkers)

    return dict(sorted(REGISTRY.items()))


def select(ids: list[str] | None) -> list[Checker]:
    """Checkers by id (all when ``ids`` is empty); an unknown id is an InputError."""
    known = catalogue()
    if not ids:
        return list(known.values())
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise InputError(f"unknown checker id {', '.join(map(repr, unknown))}; known: {', '.join(known)}")
    return [known[i] for i in ids]

