"""The claims ledger of np (Learning Neural Networks by Neuron Pursuit): every numbered result, in the paper's order.

Items follow the digest's catalogue (../shared/spec/neuron_pursuit.md §2: lemmas, assumptions, theorem, remarks,
algorithm, then the un-numbered claims X1–X8) and its experiments (§4: Figures 1–15; the paper has no table).
"""

from verify.ledger import Item, Ledger, register_ledger

GRADIENT_FLOW = "needs gradient-flow integration from small initialisation (the gradient-flow issue)"
SMALL_INIT = "needs runs from vanishing initialisation near a saddle (the small-initialisation issue)"

LEDGER = register_ledger(Ledger("np", "Learning Neural Networks by Neuron Pursuit", (
    Item("Lemma 1", checker="np.lemma1",
         note="the printed 'converges to the origin' is false on an open set of starts (the balance invariants keep a "
              "bounded flow away from 0; a·w² from (−1, ½) rests at (−√(7/8), 0)): checked as edc Lemma 2's case 2 / P6 "
              "(a bounded flow rests at u* ≠ 0 with N = ∇N = 0), the printed reading is a mutant that fails; edc.flows "
              "measures the bounded starts' mass; Definition 2.1's stable sets: the limit's rank among the certified KKT "
              "points (np.lemma1) and their masses under uniform starts (edc.flows)"),
    Item("Lemma 2", checker="np.lemma2",
         note="the np restatement of edc Theorem 1 (D > 2) and dc2 Theorem 5.1 (D = 2), D ∈ {2, 3, 4}: all δ and the NCF "
              "flow in one batch; ‖ψ‖/δ bounded and → sup‖u‖ at order D; starts in the stable set of a certified KKT point "
              "(non-global ones included, where 'aligned with the global maximiser' fails) align, vanishing flows stay "
              "≤ 2εδ"),
    Item("Lemma 3", checker="np.lemma3"),
    Item("Lemma 4", checker="np.lemma4",
         note="two-layer nets, D ∈ {2, 3}; T_δ the proof's (T*(w0)δ^{2−D}, or T_esc(κδ) for D = 2); p from δ' ∈ {1e-4, 1e-5}; "
              "all δ in one batch per stage: fitted β of the sup-gap ≥ 0.2 (measured 0.47–1.02), p* certified stationary "
              "(Newton polish); the printed depth L in T_esc is a mutant (errata 6.3) that fails; (9)'s ε-bound at T_ε + T_δ "
              "follows from (8) inside the regime and is reported, not decided; 'saddle' read as 'stationary point'"),
    Item("Lemma 5", checker="np.lemma5",
         note="two-layer σ = max(x, αx)², α ∈ {0, 0.5}: w* keeps one neuron, the others are its zero neurons; p_{w_z} ≡ 0, "
              "sup‖ψ_{w_z}‖ = O(δ^β) with fitted order ≈ 1, p*_{w_z} = 0; deeper nets and p = 1 linear not exercised"),
    Item("Assumption 1", note="an assumption; for feed-forward nets it is the conclusion of Lemma 8 (np.lemma8)"),
    Item("Lemma 6", checker="np.lemma6"),
    Item("Assumption 2", checker="np.theorem7", note="measured at Lemma 20's saddle: fitted exponent θ̂ = ½ < q/(2(q−1))"),
    Item("Theorem 7", checker="np.theorem7",
         note="on Lemma 20's saddle (σ = max(0,x)², q = 3, Assumption 1 exact): all δ and the H1-NCF flow in one batch at "
              "τ = δ^{q−2}t; ‖w_n − w̄_n‖ and the proof's path bound at order ≥ β_1 = ½, sup‖w_z‖/δ bounded, ‖w_z/δ − u_1‖ = "
              "O(δ^{β_2}); escape → certified KKT point of eq. (19), frozen → zero KKT point, vanish → ‖w_z‖ ≤ 2εδ; q = 3 only"),
    Item("Remark 1", note="a remark (the escape direction depends on z; motivates random restarts): no checkable claim of its own"),
    Item("Lemma 8", checker="np.lemma8", experiment="np.lemma8_outside"),
    Item("Remark 2", note="G_z anywhere is G_z last after a permutation of neurons: tested on verify.saddle "
                          "(tests/test_saddle.py) and used by np.lemma8/np.lemma9 (random G_z); no checker of its own"),
    Item("Lemma 9", checker="np.lemma9", experiment="np.lemma9_sparsity"),
    Item("§3.3 separation of the H1-NCF over z-neurons (X3)", checker="np.lemma9"),
    Item("Lemma 10", checker="np.lemma10", note="decoupled 2-homogeneous blocks (quadratic closed forms; exact Filippov "
                                              "flows of leaky-ReLU neurons with certified limits): losers' shares decay at "
                                              "2(G_i* − G*), winners' limit shares in closed form"),
    Item("Lemma 11", checker="np.lemma11", note="q = 3, 4 blocks to blow-up on the sphere: T_i within eq. (27)'s bracket, "
                                              "selection by blow-up time (not by G(w0) or G*), later blocks' shares "
                                              "~ (T* − t)^(1/(q−2)), first blocks' limit shares"),
    Item("Algorithm 1", checker="np.algorithm1"),
    Item("Remark 3", note="vector outputs: exercised by np.lemma9 (2-dimensional outputs) and by NeuronPursuitRegressor's tests; "
                          "no checker of its own"),
    Item("Lemma 12", checker="np.lemma12", experiment="np.lemma12_decrease"),
    Item("Lemma 13", checker="np.lemma13", experiment="np.lemma13_outside"),
    Item("Lemma 14", note="Euler's theorem for homogeneous maps: the same identities for networks are checked by edc.lemma9"),
    Item("Lemma 15", note="partial homogeneity of partial gradients: used by np.lemma8/np.lemma9, tested on H_{1,l} in "
                          "tests/test_saddle.py; no checker of its own"),
    Item("Lemma 16", note="Grönwall's inequality (a standard analysis lemma): not a target"),
    Item("Lemma 17", checker="np.theorem7", note="the reverse bound ‖∇L̃‖ ≤ μ_2(L̃ − L̃*)^{1−θ} as a bounded per-shell ratio "
                                                  "near Lemma 20's minimum"),
    Item("Lemma 18", note="size of the Taylor-remainder integrals of Lemma 8's proof: not yet covered (quadrature on a δ grid, "
                          "slopes 2p+2, 2p+1, 2p+2 and 2p, 2p−1, 2p)"),
    Item("Lemma 19", note="balance for linear-in-b, p-homogeneous-in-a objectives: the per-z-neuron balance np.lemma9 checks is "
                          "this conclusion at KKT points of the H1-NCF; no checker of its own"),
    Item("Lemma 20", checker="np.theorem7", note="stationary local minimum, θ = ½, and ‖∇L̃‖² ≥ μ_1²·gap with the corrected "
                                                  "constant (§6.15)"),
    Item("Lemma 21", note="GD on a rank-one scalar factor (§D.5): its limit is what np.algorithm1's §D.5 claim relies on; "
                          f"the invariants along GD are not yet checked: {GRADIENT_FLOW}"),
    Item("§3.1 informal reduced dynamics, eqs. (16)–(17) (X1)", note=SMALL_INIT),
    Item("§3.1 expansion for σ = x², L = 3 (X2)", checker="np.lemma8"),
    Item("§D.3 deep linear network: a saddle with identically zero NCF (X4)", experiment="np.figs14_15"),
    Item("§D.3 squared ReLU: zero NCF from dead units (X5)", experiment="np.figs14_15",
         note="the δ → 0 potential also has ½H̄1(x_1)² (degree 6), derived here"),
    Item("§D.5 NP equals OMP on diagonal linear networks (X6)", checker="np.algorithm1"),
    Item("§D.6 weight rescaling changes NP's choice (X7)", note="the c and 1/c scaling of the layer objectives: not yet covered "
                                                               "(a property test on verify.saddle.LayerTerm would do)"),
    Item("§5.1 descent of NP per iteration (X8)", checker="np.algorithm1"),
    Item("Figure 1", "figure", experiment="np.figs1_4",
         note="GD near a saddle, σ = x²: plateau, alignment (cos_KKT; δ → 0 limit by blow-up), one large first-layer z-neuron, "
              "Lemma 9's in ⇔ out; the KKT-point sparsity of panels (e–f) also np.lemma9_sparsity"),
    Item("Figure 2", "figure", experiment="np.figs1_4",
         note="GD near a saddle, ReLU: plateau, Clarke cos_KKT, several first-layer z-neurons, Lemma 9's in ⇔ out"),
    Item("Figure 3", "figure", experiment="np.figs1_4", note="beyond the saddle, σ = x²: drop to a new plateau, sparsity of w_z "
                                                             "preserved"),
    Item("Figure 4", "figure", experiment="np.figs1_4", note="beyond the saddle, ReLU: drop to a new plateau, sparsity of w_z "
                                                             "preserved (not reproduced at dev seed 0: one small layer-1 neuron grew)"),
    Item("Figure 5", "figure", note="not referenced in the paper's text nor described by the digest: nothing to reproduce identified"),
    Item("Figure 6", "figure", experiment="np.fig6"),
    Item("Figure 7", "figure", experiment="np.fig7", note="f₁, f₂: NP vs small-init GD over n (a resumable Dask sweep; scales "
                                                           "ci/dev/paper, every reduction stated in the report)"),
    Item("Figure 8", "figure", experiment="np.fig8", note="g₁, g₂ parities: NP vs small-init GD over n"),
    Item("Figure 9", "figure", experiment="np.fig9", note="h₁, h₂ piecewise linear: NP vs small-init GD over n"),
    Item("Figure 10", "figure", experiment="np.fig10", note="modular addition: iterations, test error, per-neuron DFT"),
    Item("Figure 11", "figure", experiment="np.fig11", note="PVR: iterations, widths, W₁ sparsity, late neurons"),
    Item("Figure 12", "figure", experiment="np.fig10", note="the two further modular-addition runs: np.fig10 runs three"),
    Item("Figure 13", "figure", experiment="np.fig11", note="the two further PVR runs: np.fig11 runs three"),
    Item("Figure 14", "figure", experiment="np.figs14_15",
         note="deep linear net at the zero-NCF saddle eq. (55): GD plateau and H̄2-NCF cos_KKT"),
    Item("Figure 15", "figure", experiment="np.figs14_15",
         note="squared ReLU at the zero-NCF saddle eq. (56): GD undecided at dev (the plateau grows like δ^−4); the δ → 0 "
              "limit potential's KKT point decided instead"),
)))
