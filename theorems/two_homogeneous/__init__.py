"""dc2 — Directional Convergence near Small Initialisations and Saddles in Two-Homogeneous NNs (Kumar & Haupt).

Checkers: dc2.lemma5_2, dc2.theorem5_1 and dc2.corollary5_4_1 (training from a small initialisation), dc2.lemma5_3 and dc2.lemma5_4
(directional convergence of the NCF flow; non-branching sets of one neuron), dc2.appendixG (the closed forms of
Appendix G), dc2.lemmaC3, dc2.lemmaC4, dc2.lemmaC6 and dc2.lemmaC7
(envelopes, monotonicity, the normalised NCF and the lower bound on ‖u‖ along the NCF flow), dc2.lemma5_6 (the D.3
saddle), dc2.theorem5_5 (Theorem 5.5 with Lemma D.1: near a saddle), dc2.lemmaE1 and dc2.lemmaE2 (the flow of u1|u2|: branching and
non-branching starts), dc2.lemmaH1 (one neuron's KKT points), dc2.lemmaI1 and dc2.lemmaI2 (a non-smooth saddle and
the fast escape from it); the ledger lists every numbered result and what the others
wait on. Support modules: two_layer.py and squared_relu.py (the nets), beta.py (β bracketed on the circle),
abs_product.py (u1|u2|).
"""

from theorems.two_homogeneous import (  # noqa: F401
    appendixG,
    corollary5_4_1,
    corollary5_4_1_outside,
    figs1_3_4,
    ledger,
    lemma5_2,
    lemma5_3,
    lemma5_4,
    lemma5_6,
    lemmaC3,
    lemmaC4,
    lemmaC6,
    lemmaC7,
    lemmaE1,
    lemmaE2,
    lemmaH1,
    lemmaI1,
    lemmaI2,
    theorem5_1,
    theorem5_5,
)
