"""edc — Early Directional Convergence in Deep Homogeneous NNs (Kumar & Haupt): checkers, experiments, ledger."""

from theorems import homogeneity, rank_one  # noqa: F401
