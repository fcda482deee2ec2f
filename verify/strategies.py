"""Hypothesis strategies for homogeneous-network instances, and the test profiles.

Small and composable: ``datasets``, ``activations``, ``networks`` and ``seeds`` combine into
``ncf_problems`` (a network, data X and a correlation vector z). Random arrays are drawn
from a seed that Hypothesis chooses, so every instance is reproducible from its repr.

Profiles ``ci``, ``dev``, ``thorough`` are defined in verify/profiles.py and registered with
Hypothesis on import here; pytest selects one with ``--hypothesis-profile``, the CLI with ``--profile``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st

from verify.errors import InputError
from verify.nets import Activation, FeedForward
from verify.profiles import PROFILES, Profile, profile, register_hypothesis_profiles  # noqa: F401  (re-exported)

register_hypothesis_profiles()


def profile_settings(name: str) -> settings:
    """The registered Hypothesis settings of a profile; an unknown name is an InputError."""
    return profile(name).settings()


def seeds() -> st.SearchStrategy[int]:
    return st.integers(min_value=0, max_value=2**31 - 1)


@dataclass(frozen=True)
class Dataset:
    """Inputs X of shape (n, d), drawn from ``kind`` with ``seed``."""

    kind: str
    n: int
    d: int
    seed: int

    @property
    def X(self) -> np.ndarray:
        return sample_inputs(self.kind, self.n, self.d, np.random.default_rng(self.seed))

    def __str__(self) -> str:
        return f"{self.kind} n={self.n} d={self.d} seed={self.seed}"


DATA_KINDS = ("gaussian", "sphere", "hypercube")


def sample_inputs(kind: str, n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """n inputs in R^d: standard Gaussian, uniform on the sphere of radius √d, or {±1}^d."""
    if kind == "gaussian":
        return rng.standard_normal((n, d))
    if kind == "sphere":
        g = rng.standard_normal((n, d))
        return np.sqrt(d) * g / np.linalg.norm(g, axis=1, keepdims=True)
    if kind == "hypercube":
        return rng.choice([-1.0, 1.0], size=(n, d))
    raise InputError(f"unknown data kind {kind!r}: use one of {', '.join(DATA_KINDS)}")


def datasets(
    kinds: tuple[str, ...] = DATA_KINDS, n: tuple[int, int] = (5, 30), d: tuple[int, int] = (2, 6)
) -> st.SearchStrategy[Dataset]:
    return st.builds(
        Dataset,
        kind=st.sampled_from(kinds),
        n=st.integers(*n),
        d=st.integers(*d),
        seed=seeds(),
    )


def activations(
    alphas: tuple[float, ...] = (0.0, 0.1, 0.5, 1.0, -0.3), ps: tuple[int, ...] = (1, 2, 3)
) -> st.SearchStrategy[Activation]:
    return st.builds(Activation, alpha=st.sampled_from(alphas), p=st.sampled_from(ps))


def networks(
    d: int,
    depths: tuple[int, ...] = (2, 3, 4),
    widths: tuple[int, int] = (1, 8),
    activation: st.SearchStrategy[Activation] | None = None,
    outputs: tuple[int, int] = (1, 1),
) -> st.SearchStrategy[FeedForward]:
    """Feed-forward nets with input dimension d, depth from ``depths``, hidden widths in range."""

    @st.composite
    def build(draw) -> FeedForward:
        L = draw(st.sampled_from(depths))
        hidden = tuple(draw(st.integers(*widths)) for _ in range(L - 1))
        m = draw(st.integers(*outputs))
        return FeedForward((d, *hidden, m), draw(activation if activation is not None else activations()))

    return build()


@dataclass(frozen=True)
class NCFProblem:
    """A constrained-NCF instance: network, data and a correlation vector z ~ N(0, I)."""

    net: FeedForward
    data: Dataset
    z_seed: int

    @property
    def X(self) -> np.ndarray:
        return self.data.X

    @property
    def z(self) -> np.ndarray:
        return np.random.default_rng(self.z_seed).standard_normal((self.data.n, self.net.widths[-1]))

    def __str__(self) -> str:
        return f"{self.net}; {self.data}; z seed={self.z_seed}"


def ncf_problems(
    data: st.SearchStrategy[Dataset] | None = None,
    depths: tuple[int, ...] = (2, 3, 4),
    widths: tuple[int, int] = (1, 8),
    activation: st.SearchStrategy[Activation] | None = None,
    outputs: tuple[int, int] = (1, 1),
) -> st.SearchStrategy[NCFProblem]:
    @st.composite
    def build(draw) -> NCFProblem:
        ds = draw(data if data is not None else datasets())
        net = draw(networks(ds.d, depths, widths, activation, outputs))
        return NCFProblem(net, ds, draw(seeds()))

    return build()
