"""The two-homogeneous nets dc2's flow lemmas are checked on: two layers, H = W2σ(W1x), σ(x) = max(x, αx).

Shared by lemmaC3.py, lemmaC4.py, lemmaC6.py and lemmaH1.py (dc2 §1.2: one hidden layer of leaky-ReLU neurons is
two-homogeneous; kinked for α ≠ 1, linear for α = 1).
"""

from __future__ import annotations

from hypothesis import strategies as st

from verify.strategies import Dataset, NCFProblem, activations, ncf_problems

LEAKY_SLOPES = (0.0, 0.1, 0.5, -0.3, 1.0)  # α: ReLU, two leaky slopes, a negative one, and the linear net


def two_layer_problems(data: st.SearchStrategy[Dataset] | None = None, widths: tuple[int, int] = (1, 5),
                       outputs: tuple[int, int] = (1, 1), slopes: tuple[float, ...] = LEAKY_SLOPES
                       ) -> st.SearchStrategy[NCFProblem]:
    """NCF problems on two-layer nets with σ = max(x, αx), α from ``slopes`` (verify.strategies.ncf_problems)."""
    return ncf_problems(data=data, depths=(2,), widths=widths, outputs=outputs, activation=activations(alphas=slopes, ps=(1,)))
