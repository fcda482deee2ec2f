"""Extended-precision (mpmath) forward passes, for differences float64 cannot resolve.

Asymptotic claims ("for all small δ, the change is 2ζδ^{p+1} + o(δ^{p+1})") are only observable
where the leading term dominates the higher-order ones, which can be far below float64's
resolution of an O(1) output. These functions evaluate the same network exactly as
:class:`verify.nets.FeedForward` does, in ``mpmath`` at a chosen number of digits.
"""

from __future__ import annotations

import mpmath
import numpy as np

from verify.nets import FeedForward


def to_mp(a) -> np.ndarray:
    """float64 array → object array of mpmath numbers (exact conversion)."""
    return np.frompyfunc(mpmath.mpf, 1, 1)(np.asarray(a, dtype=np.float64))


def mp_split(net: FeedForward, u: np.ndarray) -> list[np.ndarray]:
    """Flat parameters (object array) → [W_1, …, W_L], as :meth:`FeedForward.split`."""
    return [u[a:b].reshape(shape) for (a, b), shape in zip(zip(net.offsets, net.offsets[1:]), net.shapes)]


def mp_output(net: FeedForward, u: np.ndarray, X: np.ndarray) -> np.ndarray:
    """H(X; u) in mpmath (object arrays of shape (n, m)); u and X are object arrays (see :func:`to_mp`)."""
    sigma, a = net.activation.mp()[0], X
    for l, W in enumerate(mp_split(net, u), start=1):
        h = a.dot(W.T)
        a = sigma(h) if l < net.depth else h
    return a
