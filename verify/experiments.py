"""Reproductions of a paper's experiments, run by ``homcheck experiment NAME``.

An experiment is a function ``(out_dir: Path, seed: int, device: torch.device) -> Path`` that
writes a markdown report (plus figures and JSON) under ``out_dir`` and returns the report's path.
Modules that define experiments register them with :func:`experiment`; the built-in ones are
imported by :func:`experiments`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from verify.errors import InputError

Experiment = Callable[[Path, int, Any], Path]  # (out_dir, seed, torch device) → report path
EXPERIMENTS: dict[str, tuple[Experiment, str]] = {}


def experiment(name: str, description: str) -> Callable[[Experiment], Experiment]:
    """Decorator: register ``fn`` as the experiment ``name``."""

    def add(fn: Experiment) -> Experiment:
        if name in EXPERIMENTS:
            raise InputError(f"experiment {name!r} registered twice")
        EXPERIMENTS[name] = (fn, description)
        return fn

    return add


def experiments() -> dict[str, tuple[Experiment, str]]:
    """Every registered experiment (the entry points register the built-in ones)."""
    from verify.catalogue import load_entry_points

    load_entry_points()
    return dict(sorted(EXPERIMENTS.items()))


def get_experiment(name: str) -> Experiment:
    known = experiments()
    if name not in known:
        raise InputError(f"unknown experiment {name!r}; known: {', '.join(known) or 'none'}")
    return known[name][0]
