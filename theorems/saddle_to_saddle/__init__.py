"""s2s — Saddle-to-Saddle Dynamics in Deep ReLU Networks (Bantzis, Simon, Jacot): checkers, experiments, ledger."""

from theorems import escape_speed  # noqa: F401
