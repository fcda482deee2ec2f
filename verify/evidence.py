"""Entries for the common shapes of claims: relative differences, one-sided bounds, two resolutions, ranks, orders.

Conventions (one for all of homcheck):

* a violation is ≥ 0 and normalised: a difference a − b is measured as |a − b| / scale with
  scale = max(|a|, |b|) unless the claim states a natural scale (:func:`relative`);
* z has shape (n,) for a scalar-output network and (n, m) for m outputs (verify.errors.as_targets);
* an error floor is in the violation's units: what the numerics behind the entry can be trusted to.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from verify.checker import Entry

TINY = 1e-300


def relative(a: float, b: float, scale: float | None = None) -> float:
    """|a − b| / scale, scale = max(|a|, |b|) by default (0 when both are 0)."""
    s = max(abs(a), abs(b)) if scale is None else scale
    return abs(a - b) / s if s > 0 else 0.0


def equality(a: float, b: float, error_floor: float, label: str, scale: float | None = None) -> Entry:
    """The claim a = b, with the floor of the computed difference in the same (relative) units."""
    return Entry(relative(a, b, scale), error_floor, True, label)


def at_most(value: float, bound: float, error_floor: float, label: str, scale: float | None = None) -> Entry:
    """The claim value ≤ bound, decided from a value that is exact up to ``error_floor``.

    Use it with a *lower* bound on the left side (e.g. the best value an ascent found is a lower
    bound on a maximum): if even that exceeds ``bound`` the claim fails. An ascent that stays below
    ``bound`` shows only that it found nothing larger — pair it with a certificate (an upper bound)
    before calling the claim shown.
    """
    s = max(abs(value), abs(bound)) if scale is None else scale
    return Entry(max(0.0, value - bound) / (s if s > 0 else 1.0), error_floor, True, label)


def at_least(value: float, bound: float, error_floor: float, label: str, scale: float | None = None) -> Entry:
    """The claim value ≥ bound (use it with an *upper* bound on the left, e.g. from a certificate)."""
    s = max(abs(value), abs(bound)) if scale is None else scale
    return Entry(max(0.0, bound - value) / (s if s > 0 else 1.0), error_floor, True, label)


def two_resolutions(coarse: float, fine: float, claimed: float, label: str, scale: float | None = None) -> Entry:
    """A quantity computed at two resolutions (step sizes, tolerances, digits) against its claimed value.

    The violation is the fine value's distance from ``claimed``; the error floor is the change
    between resolutions. A violation that shrinks with the resolution is the statement holding;
    one that stays put while the floor shrinks is a counterexample.
    """
    s = max(abs(fine), abs(claimed)) if scale is None else scale
    s = s if s > 0 else 1.0
    return Entry(abs(fine - claimed) / s, abs(fine - coarse) / s, math.isfinite(coarse) and math.isfinite(fine), label)


def integrated(violation: float, change: float, label: str, *, factor: float = 10.0, cap: float = 1e-4) -> Entry:
    """An entry measured along an integration run at two tolerances, for checkers that also decide fitted orders (whose
    floors, slack plus standard errors, are O(0.1)) and so run with ``floor_factor`` 1 and a large ``max_error_floor``:
    the floor is ``factor``× the ``change`` between the two runs, and the entry is undecided when that exceeds ``cap``."""
    floor = factor * change
    return Entry(violation, floor, math.isfinite(floor) and floor <= cap, label)


def rank_at_most(singular_values: Sequence[float], rank: int, perturbation: float, label: str) -> Entry:
    """The claim rank(A) ≤ ``rank``, from the singular values of a computed Ã with ‖A − Ã‖₂ ≤ ``perturbation``.

    By Weyl's inequality |σ_i(A) − σ_i(Ã)| ≤ perturbation, so σ_{rank+1}(Ã) > perturbation proves
    rank(A) > ``rank``. The violation is σ_{rank+1}(Ã)/σ_1(Ã) and the floor perturbation/σ_1(Ã): the
    entry fails only where the extra singular value is resolved above the perturbation.
    """
    s = sorted((float(x) for x in singular_values), reverse=True)
    if not s or s[0] <= 0:
        return Entry(0.0, 0.0, True, label)
    extra = s[rank] if rank < len(s) else 0.0
    return Entry(extra / s[0], perturbation / s[0], True, label)


@dataclass(frozen=True)
class FittedOrder:
    """The least-squares slope of log y against log x (the order of y ~ x^slope) and its standard error."""

    slope: float
    stderr: float
    points: int


def fitted_order(xs: Sequence[float], ys: Sequence[float]) -> FittedOrder:
    """The log-log slope of ys against xs (all > 0); stderr is NaN with two points, and ∞ when any y is 0 or not finite."""
    if len(xs) != len(ys) or len(xs) < 2:
        raise ValueError(f"a fitted order needs at least two (x, y) pairs, got {len(xs)} and {len(ys)}")
    if not all(math.isfinite(y) and y > 0 for y in ys) or not all(x > 0 for x in xs):
        return FittedOrder(math.nan, math.inf, len(xs))
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    sxx = sum((a - mx) ** 2 for a in lx)
    slope = sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sxx
    if len(xs) == 2:
        return FittedOrder(slope, math.nan, 2)
    residual = sum((b - my - slope * (a - mx)) ** 2 for a, b in zip(lx, ly))
    return FittedOrder(slope, math.sqrt(residual / (len(xs) - 2) / sxx), len(xs))


def order_at_least(order: FittedOrder, claimed: float, slack: float, label: str) -> Entry:
    """The claim y = O(x^claimed) as x → 0, from a fitted log-log slope: the violation is the slope's shortfall
    below ``claimed`` (relative to it), the floor ``slack`` (what higher-order terms and the fit allow) plus three
    standard errors; undecided when the slope is not finite."""
    floor = (slack + 3 * (order.stderr if math.isfinite(order.stderr) else 0.0)) / abs(claimed)
    shortfall = max(0.0, claimed - order.slope) / abs(claimed) if math.isfinite(order.slope) else math.nan
    return Entry(shortfall, floor, math.isfinite(order.slope), label)
