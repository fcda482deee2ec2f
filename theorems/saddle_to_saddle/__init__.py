"""s2s — Saddle-to-Saddle Dynamics in Deep ReLU Networks (Bantzis, Simon, Jacot): checkers, experiments, ledger.

Statements: example1 (Example 1), prop2_2 (Proposition 2.2, the §2.2 scaling remark, conserved
neuron balance), prop3_2 (Proposition 3.2), propA_1 (Proposition A.1). Experiments: fig2 (Figures 2 and 6),
fig5 (Figure 5), depth_sweep (s*(L) against depth). Support modules: escape (escape directions,
projected gradient descent, the Prop. 3.2 construction), circle (Example 1's data, witness, exact values,
the one-neuron certificate), speed_bounds (brackets on s*(L) for Prop. 3.2's depth comparison).
"""

from theorems.saddle_to_saddle import depth_sweep, example1, fig2, fig5, ledger, prop2_2, prop3_2, propA_1  # noqa: F401
