"""s2s — Saddle-to-Saddle Dynamics in Deep ReLU Networks (Bantzis, Simon, Jacot): checkers, experiments, ledger.

Statements: example1 (Example 1), prop3_2 (Proposition 3.2). Experiments: fig2 (Figures 2 and 6),
fig5 (Figure 5), depth_sweep (s*(L) against depth). Support modules: escape (escape directions,
projected gradient descent, the Prop. 3.2 construction), circle (Example 1's data, witness, exact values,
the one-neuron certificate), speed_bounds (brackets on s*(L) for Prop. 3.2's depth comparison).
"""

from theorems.saddle_to_saddle import depth_sweep, example1, fig2, fig5, ledger, prop3_2  # noqa: F401
