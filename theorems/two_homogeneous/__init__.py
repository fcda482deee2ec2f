"""dc2 — Directional Convergence near Small Initialisations and Saddles in Two-Homogeneous NNs (Kumar & Haupt).

No checker or experiment yet: the ledger lists every numbered result and what it waits on.
"""

from theorems.two_homogeneous import ledger  # noqa: F401
