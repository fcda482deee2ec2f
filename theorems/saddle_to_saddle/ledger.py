"""The claims ledger of s2s: every numbered statement, example, table and figure, in the paper's order.

From the digest ../shared/spec/saddle_to_saddle.md (§2 catalogue, §3 experiments, §4 claims C1–C26,
§6 conjectures). Definition 2.1 (a definition) is not listed. Propositions A.2–A.5 and Theorem A.7
restate Propositions 2.2, 3.2, 3.3, 3.4 and Theorem 3.1 and share their rows; Proposition A.1 is the
display of §2.1. The §2.2 remark (scale invariance of the initialisation), §5's conserved neuron balance (C26)
and the §5 plateau conjecture are unnumbered claims listed because the digest gives them checks.
"""

from verify.ledger import Item, Ledger, register_ledger

SMALL_INIT = "needs the small-initialisation issue (training from δw₀ as δ → 0)"

LEDGER = register_ledger(Ledger("s2s", "Saddle-to-Saddle Dynamics in Deep ReLU Networks: Low-Rank Bias in the First Saddle Escape", (
    Item("Proposition A.1 (§2.1)", checker="s2s.propA_1",
         note="norm/direction split of the gradient flow of L0 and the s-time change, decided with the factor L (T7); the "
              "printed forms are mutants; smooth homogeneous nets (ReLU flows slide along kinks)"),
    Item("Proposition 2.2 (= A.2)", checker="s2s.prop2_2",
         note="explosion along an escape direction and the escape time, with the corrected rate L^(1−L/2)·s and the '−' "
              "of T6 (C9); the printed statement is a mutant that fails, the report shows both side by side"),
    Item("Remark (§2.2, scale invariance)", checker="s2s.prop2_2", note="θ_α(t) = αθ(α^(L−2)t) for the flow from αθ₀ (C8): "
                                                                       "entries of s2s.prop2_2"),
    Item("§5 neuron balance conserved along the flow (C26)", checker="s2s.prop2_2",
         note="‖W_l[j,:]‖² − p‖W_(l+1)[:,j]‖² constant along the flow: entries of s2s.prop2_2 (smooth nets and chains)"),
    Item("Theorem 3.1 (= A.7)", note="low rank and near-linearity of deep layers at the optimum, bound 8cℓ^(−1/2)/(1 − cℓ^(−1/2)) "
                                     "(C18); needs multi-start optima on near-rank-one data (vacuous on Example 1 below "
                                     "ℓ ≈ 1.1·10⁵); no checker yet"),
    Item("Figure 1", "figure", note=f"MNIST, depth 6, top singular values per layer around the first saddle; needs MNIST (or "
                                    f"the scikit-learn digits stand-in) and full-loss training; {SMALL_INIT}"),
    Item("Proposition 3.2 (= A.3)", checker="s2s.prop3_2",
         note="the construction is checked exactly; the consequence s*(L+1) >= s*(L) only where cold-start lower and "
              "certified upper bounds on s* separate, which needs the depth-2 pattern certificate (no certificate "
              "beyond H6 for depth >= 3, so the statement cannot be refuted by that route)"),
    Item("Proposition 3.3 (= A.5)", note="strong control for almost rank-one inputs: the sub-lemma min = −‖Gv‖‖u‖ and the "
                                         "product inequality need no optimisation (C14–C15); the full bound needs multi-start "
                                         "optima (C16); no checker yet"),
    Item("Proposition 3.4 (= A.4)", note="weak control: the scale-free inequality (★) and the counting statement hold for "
                                         "any θ (C12–C13); a direct checker would do, none yet"),
    Item("Example 1", checker="s2s.example1"),
    Item("Figure 2", "figure", experiment="s2s.fig2"),
    Item("§5 conjecture (rank one after finitely many layers ⇔ s*(L) plateaus)", experiment="s2s.depth_sweep",
         note="estimates of s*(L) on Example 1's data; lower bounds, so a plateau is at most consistent"),
    Item("Lemma A.6", note="nonnegative top singular pair of a nonnegative matrix (C17); a power-iteration checker would do"),
    Item("Figure 3", "figure", note=f"MNIST depth 6, singular values of every layer over training (App. B); {SMALL_INIT}"),
    Item("Figure 4", "figure", note=f"MNIST depth 4, the same (App. B; plateaus less distinct than at depth 6); {SMALL_INIT}"),
    Item("Figure 5", "figure", experiment="s2s.fig5"),
    Item("Figure 6", "figure", experiment="s2s.fig2", note="every run of the Figure 2 experiment, one panel per width"),
)))
