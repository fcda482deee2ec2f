"""dc2 — Directional Convergence near Small Initialisations and Saddles in Two-Homogeneous NNs (Kumar & Haupt).

One checker so far (dc2.appendixG, the closed forms of Appendix G); the ledger lists every numbered result and what it
waits on.
"""

from theorems.two_homogeneous import appendixG, ledger  # noqa: F401
