"""The one exception type users see, and the input checks that raise it.

Every public entry point validates its inputs here so that bad input produces a
one-line message naming the problem instead of a traceback from inside torch.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy and torch are imported where they are used: `homcheck --help` stays fast
    import torch


class InputError(ValueError):
    """Bad input to homcheck: the message names the problem in one line."""


def check_positive(name: str, value: Any) -> float:
    """Return ``value`` as a float, or raise if it is not a finite number > 0."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a positive number, got {value!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise InputError(f"{name} must be a finite number > 0, got {value!r}")
    return v


def check_positive_int(name: str, value: Any, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise if it is not an integer >= ``minimum``."""
    import numpy as np

    if isinstance(value, bool) or not isinstance(value, (int, np.integer, float, np.floating)):
        raise InputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if float(value) != int(value) or int(value) < minimum:
        raise InputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def as_data(X: Any, *, dtype: torch.dtype, device: torch.device, name: str = "X") -> torch.Tensor:
    """Validate a data matrix of shape (n, d): non-empty, finite, numeric."""
    import numpy as np
    import torch

    try:
        t = torch.as_tensor(np.asarray(X, dtype=np.float64) if not torch.is_tensor(X) else X)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be a numeric array: {exc}") from None
    if t.ndim != 2:
        raise InputError(f"{name} must be a 2-D array of shape (n_samples, n_features), got shape {tuple(t.shape)}")
    if t.shape[0] == 0 or t.shape[1] == 0:
        raise InputError(f"{name} is empty: shape {tuple(t.shape)}")
    t = t.to(dtype=dtype, device=device)
    if not torch.isfinite(t).all():
        raise InputError(f"{name} contains NaN or inf")
    return t


def as_targets(z: Any, n: int, m: int, *, dtype: torch.dtype, device: torch.device, name: str = "z") -> torch.Tensor:
    """Validate a correlation/label vector for n samples and m outputs; returns shape (n, m)."""
    import numpy as np
    import torch

    try:
        t = torch.as_tensor(np.asarray(z, dtype=np.float64) if not torch.is_tensor(z) else z)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be a numeric array: {exc}") from None
    if t.ndim == 1:
        t = t.reshape(-1, 1)
    if t.ndim != 2 or t.shape != (n, m):
        want = f"({n},)" if m == 1 else f"({n}, {m})"
        raise InputError(f"{name} must have shape {want} to match the data and the network output, got {tuple(t.shape)}")
    t = t.to(dtype=dtype, device=device)
    if not torch.isfinite(t).all():
        raise InputError(f"{name} contains NaN or inf")
    return t
