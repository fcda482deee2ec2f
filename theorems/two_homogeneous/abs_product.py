"""dc2 Appendices E and I: f(u1, u2) = u1|u2|, its Clarke subdifferential and the closed-form solutions of u̇ ∈ ∂f(u).

Shared by lemmaE1.py (branching from {u2 = 0, u1 > 0}), lemmaE2.py (non-branching everywhere else) and, through
g = (f − 1)², lemmaI1.py / lemmaI2.py (a non-smooth saddle). Digest
../shared/spec/two_homogeneous.md §3.3.

    ∂f(u) = {(|u2|, u1·g) : g ∈ ∂|u2|},   ∂|u2| = {sign u2} for u2 ≠ 0 and [−1, 1] at u2 = 0.

f is 2-homogeneous and u1² − u2² is conserved along every solution (d/dt(u1² − u2²) = 2u1|u2| − 2u2·u1·g = 0, as
u2·g = |u2| for every g ∈ ∂|u2|).
"""

from __future__ import annotations

import math

import numpy as np
import torch


def f(u: torch.Tensor) -> torch.Tensor:
    """u1|u2| for a batch of rows u = (u1, u2) (torch's |·|′(0) = 0: autograd gives the min-norm subgradient here)."""
    return u[..., 0] * u[..., 1].abs()


def distance_to_subdifferential(u: np.ndarray, velocity: np.ndarray) -> float:
    """dist(u̇, ∂f(u)): the first component must be |u2|; the second u1·g with g = sign u2, or g ∈ [−1, 1] at u2 = 0."""
    u1, u2 = float(u[0]), float(u[1])
    first = abs(float(velocity[0]) - abs(u2))
    if u2 != 0:
        second = abs(float(velocity[1]) - u1 * math.copysign(1.0, u2))
    else:  # the segment u1·[−1, 1]
        second = max(0.0, abs(float(velocity[1])) - abs(u1))
    return math.hypot(first, second)


def case(z: tuple[float, float]) -> int:
    """The case of Lemma E.2's proof a start z lies in (0: the branching set u2 = 0 < u1; 5: stationary u2 = 0, u1 ≤ 0).

    1: |z2| > |z1|;  2: 0 < |z2| ≤ |z1|, z1 > 0;  3: 0 < |z2| < |z1|, z1 < 0;  4: |z2| = |z1| ≠ 0, z1 < 0.
    """
    z1, z2 = z
    if z2 == 0:
        return 0 if z1 > 0 else 5
    if abs(z2) > abs(z1):
        return 1
    if z1 > 0:
        return 2
    return 3 if abs(z2) < abs(z1) else 4


def hitting_time(z: tuple[float, float]) -> float:
    """Case 3: the time t̄ = artanh(|z2|/|z1|) at which u2 reaches 0, at u = (−√(z1² − z2²), 0) (then stationary)."""
    return math.atanh(abs(z[1]) / abs(z[0]))


def solution(z: tuple[float, float], t: float) -> np.ndarray:
    """The unique solution from z (digest §3.3), for every case but the branching one (0).

    Cases 1, 2, 3 (before t̄): u1 = z1 cosh t + a sinh t, u2 = s(a cosh t + z1 sinh t), s = sign z2, a = |z2|;
    case 3 after t̄: (−√(z1² − z2²), 0); case 4: e^{−t}z; case 5: z (stationary).
    """
    z1, z2 = z
    c = case(z)
    if c == 0:
        raise ValueError("the branching set has no unique solution (Lemma E.1)")
    if c == 5:
        return np.array([z1, z2])
    if c == 4:
        return math.exp(-t) * np.array([z1, z2])
    if c == 3 and t >= hitting_time(z):
        return np.array([-math.sqrt(z1**2 - z2**2), 0.0])
    s, a = math.copysign(1.0, z2), abs(z2)
    return np.array([z1 * math.cosh(t) + a * math.sinh(t), s * (a * math.cosh(t) + z1 * math.sinh(t))])


def branch(c: float, escape_time: float, sign: float, t: float) -> np.ndarray:
    """Lemma E.1's solutions from (c, 0), c > 0: (c, 0) until the escape time T, then c(cosh(t − T), ±sinh(t − T))."""
    if t <= escape_time:
        return np.array([c, 0.0])
    return c * np.array([math.cosh(t - escape_time), sign * math.sinh(t - escape_time)])


def branch_velocity(c: float, escape_time: float, sign: float, t: float) -> np.ndarray:
    """d/dt of :func:`branch` (at t = T the left derivative, 0; the right one, (0, ±c), is in ∂f(c, 0) too)."""
    if t <= escape_time:
        return np.zeros(2)
    return c * np.array([math.sinh(t - escape_time), sign * math.cosh(t - escape_time)])


def g(u: torch.Tensor) -> torch.Tensor:
    """(u1|u2| − 1)² (dc2 Appendix I, descent flow): (f − 1)², batched over rows."""
    return (f(u) - 1) ** 2
