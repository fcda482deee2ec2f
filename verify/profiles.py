"""The profiles ``ci``, ``dev`` and ``thorough``: how many instances, and how many must be decided.

Kept free of heavy imports (the CLI's ``--help`` lists them); the matching Hypothesis settings
are registered on first use (and by importing verify.strategies, which pytest's conftest does).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from verify.errors import InputError


@dataclass(frozen=True)
class Profile:
    """A Hypothesis profile as homcheck uses it.

    max_examples: distinct instances Hypothesis generates per checker and per mutant (a duplicate
    by content is rejected and another drawn); min_decided: distinct instances that must pass for
    an overall PASS — fewer gives INCONCLUSIVE, never PASS (75% of the distinct instances must
    pass as well); refinements, refine_steps: how many of the most violating instances a checker
    with a relaxation refines by gradient ascent, and how many steps each (verify/refine.py).
    """

    name: str
    max_examples: int
    min_decided: int
    purpose: str
    refinements: int
    refine_steps: int

    def settings(self) -> Any:
        """The Hypothesis settings registered under this profile's name."""
        from hypothesis import settings

        register_hypothesis_profiles()
        return settings.get_profile(self.name)


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile("ci", 6, 4, "a smoke test, fast enough for continuous integration", refinements=2, refine_steps=20),
        Profile("dev", 25, 15, "the default", refinements=5, refine_steps=40),
        Profile("thorough", 150, 100, "before trusting a verdict in writing", refinements=20, refine_steps=60),
    )
}


def register_hypothesis_profiles() -> None:
    """Register the profiles with Hypothesis (idempotent)."""
    from hypothesis import HealthCheck, settings

    quiet = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
    for p in PROFILES.values():
        # derandomize matters only for pytest's own @given tests; the runner seeds from --seed
        settings.register_profile(p.name, max_examples=p.max_examples, derandomize=p.name == "ci", deadline=None,
                                  suppress_health_check=quiet)


def profile(name: str) -> Profile:
    """A profile by name; an unknown name is an InputError."""
    if name not in PROFILES:
        raise InputError(f"unknown profile {name!r}: use one of {', '.join(PROFILES)}")
    return PROFILES[name]
