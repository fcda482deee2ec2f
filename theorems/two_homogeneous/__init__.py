"""dc2 — Directional Convergence near Small Initialisations and Saddles in Two-Homogeneous NNs (Kumar & Haupt)."""
