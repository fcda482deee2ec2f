"""np — Learning Neural Networks by Neuron Pursuit (Kumar & Haupt): checkers, experiments, ledger."""

from theorems import balance, descent, pursuit, saddle  # noqa: F401
