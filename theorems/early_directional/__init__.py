"""edc — Early Directional Convergence in Deep Homogeneous NNs (Kumar & Haupt): checkers, experiments, ledger.

Statements (the id names the file): lemma2.py, lemma9.py, lemma10.py, lemma12.py, lemma13.py, lemma18.py, lemma19.py,
theorem1.py, theorem3.py, theorem4.py. Experiments: tables1_2.py
(Tables 1–2), fig3.py (Figure 3), arrangement_hits.py (reduced-problem certificate), flows.py (NCF flows from random
starts: blow-up times, limits, stable sets). Support modules:
arrangements.py and reduced_problem.py (the reduced problem, eqs. 11–14), rank_one_template.py (the
template, construction, certificates), kkt_points.py (KKT points found by ascent, κ, ρ, necessary
conditions), rank_one_claim.py (the claim Theorems 3 and 4 share), ncf_trajectories.py (NCF flows measured at grid
times, for Lemmas 12 and 13). ledger.py lists every numbered item.
"""

from theorems.early_directional import (  # noqa: F401
    arrangement_hits,
    fig3,
    figs1_2,
    figs4_5,
    flows,
    ledger,
    lemma2,
    lemma9,
    lemma10,
    lemma12,
    lemma13,
    lemma18,
    lemma19,
    tables1_2,
    theorem1,
    theorem1_outside,
    theorem3,
    theorem4,
)
