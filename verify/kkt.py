"""Constrained NCF maximisation with restarts: the KKT points the checkers and Neuron Pursuit start from.

    max N_{z,H}(u) = zᵀH(X; u)  s.t.  ‖u‖ = 1     (np eq. 5/7, edc eq. 10)

by batched projected gradient ascent (verify/sphere.py), with optional Clarke certificates
(verify/clarke.py) of the restarts with positive value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from verify.clarke import Stationarity, stationarity
from verify.errors import InputError, as_data, as_targets, check_positive, check_positive_int
from verify.ncf import ncf
from verify.nets import DTYPE, FeedForward, resolve_device
from verify.sphere import sphere_ascent


@dataclass
class NCFMaxResult:
    """Every restart of :func:`constrained_ncf_max`, sorted by NCF value (best first).

    u: (R, n_params) unit vectors; value: N(u); kkt_residual: autograd residual;
    lam = p̂·N(u) (edc Lemma 11); stationarity: per-restart certificate (Clarke for kinked σ,
    computed for restarts with positive value when requested, else None).
    """

    net: FeedForward
    u: torch.Tensor
    value: torch.Tensor
    kkt_residual: torch.Tensor
    lam: torch.Tensor
    steps: int
    stationarity: list[Stationarity | None] = field(default_factory=list)

    @property
    def residual(self) -> torch.Tensor:
        """Best available stationarity residual per restart (Clarke where computed)."""
        r = self.kkt_residual.clone()
        for i, st in enumerate(self.stationarity):
            if st is not None:
                r[i] = min(float(r[i]), st.residual)
        return r

    def weights(self, i: int = 0) -> list[torch.Tensor]:
        return self.net.split(self.u[i])


_KINKED_STEP_FLOOR = 1e-4


def constrained_ncf_max(
    net: FeedForward,
    X,
    z,
    *,
    restarts: int = 64,
    steps: int = 4000,
    step_size: float = 0.1,
    tol: float = 1e-12,
    seed: int = 0,
    device: str | torch.device = "auto",
    init: torch.Tensor | None = None,
    certify: bool | None = None,
    tau: float = 1e-6,
) -> NCFMaxResult:
    """Maximise N_{z,H}(u) on the unit sphere by projected gradient ascent with restarts.

    All ``restarts`` start points (uniform on the sphere, from ``seed``) ascend together as
    one batched tensor program (:func:`sphere_ascent`). Stops when every restart's KKT
    residual is below ``tol`` or after ``steps`` steps. For kinked σ the step has a floor
    decaying to 1e-4·step_size (see :func:`sphere_ascent`): the monotone iteration alone
    stalls on ridges of kinks, far from any KKT point, where :func:`polish_kkt` cannot start.

    ``certify`` (default: when σ has a kink) adds a Clarke certificate for every restart
    with positive value, see :func:`stationarity`.
    """
    dev = resolve_device(device)
    X = as_data(X, dtype=DTYPE, device=dev)
    z = as_targets(z, X.shape[0], net.widths[-1], dtype=DTYPE, device=dev)
    restarts = check_positive_int("restarts", restarts)
    steps = check_positive_int("steps", steps, minimum=0)
    step_size = check_positive("step_size", step_size)
    if X.shape[1] != net.widths[0]:
        raise InputError(f"data has {X.shape[1]} features, the network expects d = {net.widths[0]}")

    if init is None:
        u = net.random_unit(restarts, torch.Generator().manual_seed(seed), dev)
    else:
        u = init.to(device=dev, dtype=DTYPE).reshape(-1, net.n_params)
        u = u / u.norm(dim=-1, keepdim=True)
    floor = _KINKED_STEP_FLOOR if net.activation.kinked else 0.0
    ascent = sphere_ascent(lambda w: ncf(net, w, X, z), u, steps=steps, step_size=step_size, tol=tol, floor=floor)
    u, value = ascent.u, ascent.value
    result = NCFMaxResult(net, u, value, ascent.kkt_residual, net.degree * value, ascent.steps)
    if certify if certify is not None else net.activation.kinked:
        result.stationarity = [stationarity(net, ui, X, z, tau=tau) if float(v) > 0 else None for ui, v in zip(u, value)]
    else:
        result.stationarity = [None] * len(value)
    return result
