"""Adversarial refinement: a short gradient ascent on a claim's violation over an instance's continuous parts.

Random and structured instances reach a counterexample only when one is drawn; when a claim's violation
is differentiable in the instance's continuous parts (the data X, the correlation vector z, …), a few
steps of gradient ascent from Hypothesis's most violating instances find the thin regions draws miss.

A checker opts in by implementing ``relax(instance, ctx) -> Relaxation | None``: the parts as tensors,
a differentiable *surrogate* of the violation (larger = further from the statement; it may be negative
where the statement holds with room, so the ascent has a slope to climb before anything fails), and
``rebuild``, which makes an instance of the claim from new parts. The surrogate only steers: the refined
instance is decided by the checker's own ``claim``, like any other, so refinement can find a
counterexample but never create a PASS.

Ascent (deterministic, no randomness): at step k each part moves by ``step_size·‖part‖/√(k+1)`` along
its normalised gradient (steps relative to the part's size keep the instance's scale; the decay lets the
first steps cross the instance and the last ones settle), and the iterate with the largest surrogate is
kept. The runner (verify/runner.py) refines the base instances whose surrogate is the largest seen so
far, at most ``Profile.refinements`` of them with ``Profile.refine_steps`` steps each, and feeds the
refined surrogate to Hypothesis through ``target()``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from verify.nets import DTYPE


@dataclass(frozen=True)
class Relaxation:
    """An instance's continuous parts, a differentiable surrogate of its violation, and how to rebuild it.

    parts: name → float64 tensor (e.g. ``{"X": X, "z": z}``); surrogate: parts → scalar tensor, larger is
    worse; rebuild: parts (as float64 numpy arrays) → an instance the checker's claim accepts (its
    repr/str must say it was refined, e.g. data ``ArrayData("refined …")``).
    """

    parts: dict[str, torch.Tensor]
    surrogate: Callable[[dict[str, torch.Tensor]], torch.Tensor]
    rebuild: Callable[[dict[str, Any]], Any]

    def value(self) -> float:
        """The surrogate at the unrefined parts (with autograd on: a surrogate may differentiate inside)."""
        with torch.enable_grad():
            return float(self.surrogate(self.parts).detach())


@dataclass(frozen=True)
class Refined:
    """The outcome of :func:`refine`: the rebuilt instance and the surrogate before and after."""

    instance: Any
    start: float
    end: float
    steps: int


def refine(relaxation: Relaxation, *, steps: int, step_size: float = 0.3) -> Refined:
    """Normalised gradient ascent on the surrogate over every part; the best iterate is rebuilt."""
    parts = {k: v.detach().to(DTYPE).clone().requires_grad_(True) for k, v in relaxation.parts.items()}
    sizes = {k: float(v.detach().norm()) or 1.0 for k, v in parts.items()}
    best_value, best = -math.inf, {k: v.detach().clone() for k, v in parts.items()}
    start = math.nan
    for step in range(steps + 1):
        with torch.enable_grad():
            value = relaxation.surrogate(parts)
        current = float(value.detach())
        if step == 0:
            start = current
        if math.isfinite(current) and current > best_value:
            best_value, best = current, {k: v.detach().clone() for k, v in parts.items()}
        if step == steps or not math.isfinite(current):
            break
        if not value.requires_grad:  # the surrogate does not depend on the parts here
            break
        grads = torch.autograd.grad(value, list(parts.values()), allow_unused=True)
        with torch.no_grad():
            for (k, v), g in zip(parts.items(), grads):
                if g is None or not torch.isfinite(g).all() or float(g.norm()) == 0:
                    continue
                v += step_size / math.sqrt(step + 1) * sizes[k] * g / g.norm()
    rebuilt = relaxation.rebuild({k: v.cpu().numpy() for k, v in best.items()})
    return Refined(rebuilt, start, best_value, steps)
