"""The claims ledger of dc2: every numbered statement and figure, in the paper's order, and what covers each.

From the digest ../shared/spec/two_homogeneous.md (§2 catalogue, §3 closed-form examples, §4
experiments, §5 claims C1–C29). Definitions 4.1 and A.1 and Assumptions 1–3 (preconditions) are not
listed. Lemmas A.1–A.4, B.1, Corollary B.1.1 and Lemma J.1 are quoted from the literature but are
numbered results of the paper, so they are listed. The closed-form examples of Appendix G are
unnumbered claims listed because the digest corrects one (G.1's printed identity is false).
Everything here is about gradient flows of two-homogeneous networks from small initialisations
or near saddles: the checkers wait on those two issues.
"""

from verify.ledger import Item, Ledger, register_ledger

FLOW = "needs the gradient-flow issue (a trusted ODE reference; differential inclusions at kinks)"
SMALL_INIT = "needs the small-initialisation issue (training from δw₀ as δ → 0)"

LEDGER = register_ledger(Ledger("dc2", "Directional Convergence near Small Initialisations and Saddles in Two-Homogeneous NNs", (
    Item("Figure 1", "figure", experiment="dc2.figs1_3_4",
         note="the paper's sizes, step and iterations; inputs at uniform random angles from the seed (seed 0: the digest's "
              "sample), loss (1/n)Σ(H − y)² (eq. 2's ½Σ fits the data instead: T20), flows integrated (DOP853); read at the end "
              "of the phase where |L/L(0) − 1| ≤ 5%: ‖H‖ ≤ 0.1‖y‖, and each neuron's atan2 angle within 5° of the limit of its "
              "own NCF flow (undecided when that flow has not arrived either: seed 0 has 3 of 20 such neurons) (C28)"),
    Item("Theorem 5.1", checker="dc2.theorem5_1",
         note="the proof's construction on Figure 1's squared-ReLU layer: ‖w‖ ≤ √Cδ, then aligned with a certified û or "
              "≤ 2δε, per δ in the regime (C13–C14; the ε-algebra is a sympy obligation)"),
    Item("Lemma 5.2", checker="dc2.lemma5_2",
         note="‖w(t)‖ ≤ √Cδ up to ln C/(4ββ̃), the envelope ‖w‖² ≤ δ²e^(4ββ̃t), ‖w/δ − u‖ → 0 with the derived O(δ²) rate "
              "(C6–C7), all δ in one batched program"),
    Item("Figure 2", "figure", note=f"the gradient field of f(u1, u2) = u1|u2| (a quiver plot, no training); {FLOW}"),
    Item("Lemma 5.3", checker="dc2.lemma5_3",
         note="the printed (iii) fails when u → 0 (a negative-valued KKT limit: a mutant); checked as (iii′) u ↛ 0 ⇒ "
              "non-negative KKT limit, with lim N ∈ {0, ∞}, C8, C9 and N(u*) ≥ N(u0)/‖u0‖² on quadratic NCFs, u1|u2|, "
              "a squared-ReLU neuron on the circle and an integrated leaky-ReLU neuron"),
    Item("Lemma 5.4", checker="dc2.lemma5_4",
         note="frozen pattern (margin ≥ η₁/2), sign of v, conserved v² − ‖u‖², closed form vs integrated flow (C19); γ's "
              "factor 2 is slack except at ties, where an exact example branches at γ = η₁/η₂"),
    Item("Corollary 5.4.1", checker="dc2.corollary5_4_1", experiment="dc2.corollary5_4_1_outside",
         note="per block (each neuron of Figure 1's layer) the proof's construction: aligned with its certified û_k or "
              "≤ 2δε at the common T; the whole-vector reading is a mutant that fails when two blocks grow at different "
              "rates (the digest's caveat); instances: Figure 1's labels, α ∈ {−0.4, 0.5}, growing and vanishing blocks; a "
              "branching start (dc2 Appendix E's u1|u2| blocks) is measured, not decided, in dc2.corollary5_4_1_outside"),
    Item("Figure 3", "figure", experiment="dc2.figs1_3_4",
         note="the per-neuron NCF's KKT points enumerated exactly (edc.flows.circle_kkt_points): 14.48° and 175.08° for the "
              "digest's sample (seed 0), 0° and 180° with N = 46.875, 37.5 for 50 evenly spaced inputs; the neurons follow "
              "their NCF flows within 0.04°"),
    Item("Theorem 5.5", checker="dc2.theorem5_5",
         note="the proof's construction at dc2.lemma5_6's saddles (D.3 of Figure 4, tight b ≫ a, general): û a certified KKT "
              "point of the residual's NCF, C = e^{2M₂T}; eq. (18) through sup Z = O(δ²) and sup‖w_n − w̄_n‖ = O(δ); per δ in "
              "the regime ‖w_z(T)‖ ≥ δη and cos ≥ 1 − (1 + 3/(2η))ε (case B impossible: ȳ ≥ 0); the printed Cδ² (T7) is a "
              "mutant that fails at t = 0"),
    Item("Lemma 5.6", checker="dc2.lemma5_6",
         note="C25 at the D.3 saddle (∇L ≈ 1e-16 relative, loss 75, ‖w̄_n‖ = √5, N_ȳ(π) = 37.5, flat arc ±3.6°) and "
              "generalised saddles: stationary in both blocks, not a local min or max; D.3's {u_i} reads {ū_i} (T1)"),
    Item("§5.3 (higher orders of homogeneity)", note=f"the initial angular speed scales as δ^(L−2) (C27); {SMALL_INIT}"),
    Item("Lemma A.1", note="definability of layered compositions, quoted (a precondition; no numerical checker planned)"),
    Item("Lemma A.2", note="Clarke chain rule, quoted; autograd agrees off kinks, limiting gradients at u1|u2|; a checker "
                           "would do"),
    Item("Lemma A.3", note=f"chain rule along arcs: dN(u(t))/dt = ‖∂̄N‖², the flow selects the min-norm subgradient (C8); "
                           f"{FLOW}"),
    Item("Lemma A.4", note="unbounded Kurdyka–Łojasiewicz inequality, quoted (existential; the quadratic instance of the "
                           "digest could be checked)"),
    Item("Lemma B.1", note="homogeneous functions: ∂F(cw) = c^(L−1)∂F(w), Euler wᵀs = L·F(w) (C2); a direct checker "
                           "would do"),
    Item("Corollary B.1.1", note="the two-homogeneous case of Lemma B.1 (C2); a direct checker would do"),
    Item("Lemma C.1", note=f"stability of perturbed inclusions (Filippov): sup-distance → 0 linearly in the "
                           f"perturbation for smooth H; {FLOW}"),
    Item("Lemma C.2", note="sᵀu = 2N(u), ∂N(cu) = c∂N(u) (C2 for the NCF); a direct checker would do"),
    Item("Lemma C.3", checker="dc2.lemmaC3",
         note="the NCF flow never reaches 0: ‖u0‖²e^(−4β‖z‖t) ≤ ‖u(t)‖² ≤ ‖u0‖²e^(4β‖z‖t) with β bracketed on the circle, "
              "on random starts and on the two starts where the envelopes are tight (C10)"),
    Item("Lemma C.4", checker="dc2.lemmaC4",
         note="along NCF flows of two-layer (leaky) ReLU nets: N(t) − N(t0) = ∫‖u̇‖², ‖u(t)‖² − ‖u(t0)‖² = 4∫N, and N, ‖u‖ "
              "non-decreasing once N ≥ 0 (sliding trajectories undecided from the slide on)"),
    Item("Lemma C.5", note="KKT multiplier λ* = 2N(u*) (C11); a checker on certified KKT points would do"),
    Item("Lemma C.6", checker="dc2.lemmaC6",
         note="∇Ñ = (I − uuᵀ/‖u‖²)∇N/‖u‖², ∇Ñ·u = 0 and ‖∇Ñ‖² = ‖∇N‖²/‖u‖⁴ − 4N²/‖u‖⁶; the printed expansion (+4N²/‖u‖⁸, "
              "T4) is a mutant that fails"),
    Item("Lemma C.7", checker="dc2.lemmaC7",
         note="the constructive (η, T) of each case hold on 65-point grids of integrated NCF flows (leaky-ReLU nets, dead "
              "ReLU neurons, uᵀAu with a null space); u → 0 makes no claim and is skipped; sliding flows undecided from "
              "the slide on"),
    Item("Lemma D.1", checker="dc2.theorem5_5",
         note="(i) Z ≤ 2Cδ² on [0, ln C/(2M₂)] for every admissible C, M₂ bounded from the proof's μ's; the printed ln C/M₂ "
              "(T6) fails on tight saddles (4N_max > M₂); (ii) ‖w_z/δ − u‖ = O(δ) as a fitted order (C26)"),
    Item("Figure 4", "figure", experiment="dc2.figs1_3_4",
         note="from the D.3 saddle plus N(0, 1e-10): ‖w − w̄‖ ≤ 0.1‖w̄‖ and the small neurons against the limits of their "
              "residual-NCF flows (undecided at seed 0: 4 of 10 still moving in their own flows at the horizon); the flat arc "
              "of N_ȳ is enumerated, and whether neurons starting in it stay is undecided when none does (seeds 0 and 1)"),
    Item("Lemma E.1", checker="dc2.lemmaE1",
         note="branching of the flow of u1|u2| from (c, 0): the family escaping at any T solves the inclusion, the limit "
              "direction (1, s)/√2 and the distance √(2 − √2) at a horizon before the escape (C20)"),
    Item("Lemma E.2", checker="dc2.lemmaE2",
         note="every start off {u2 = 0, u1 > 0} is non-branching: the integrated flow equals the closed form of each of the "
              "proof's four cases within 1e-9, case 3 rests at (−√(z1² − z2²), 0) from t̄ = artanh(|z2|/|z1|), u1² − u2² "
              "conserved (C21)"),
    Item("Appendix G.1 example", checker="dc2.appendixG",
         note="symmetric data, squared leaky ReLU: N = (1+α²)uᵀMu, KKT points = eigenvectors of M, u(t) = expm(2(1+α²)Mt)u0, "
              "with mirrored labels kept; the printed reading (labels flipped) is a mutant that fails (C15–C16)"),
    Item("Appendix G.2 example", checker="dc2.appendixG",
         note="symmetric data, two-layer leaky ReLU: the KKT family 2 with v*² = 1/2 (printed 1/√2: a mutant), the maximum "
              "|1+α|‖q‖/2, the hyperbolic NCF flow and the conserved v² − ‖u‖² (C17)"),
    Item("Lemma H.1", checker="dc2.lemmaH1",
         note="every certified KKT point of one leaky-ReLU neuron with non-zero value (maxima and minima) has |v*| = ‖u*‖ = "
              "1/√2, and √2u* is a KKT point of max yᵀσ(Xu) on the sphere with multiplier F(√2u*) (C18)"),
    Item("Lemma I.1", checker="dc2.lemmaI1",
         note="0 ∈ ∂g(1, 0) = {0} × [−2, 2] for g = (u1|u2| − 1)², ‖∇g(1 + δ, δ)‖ ≥ 2(1+δ)(1 − δ(1+δ)) ≥ 1.78 and the ratio of "
              "(15) → −∞ (C22; the printed orientation, T5, is a mutant that fails)"),
    Item("Lemma I.2", checker="dc2.lemmaI2",
         note="from (1 + δ, δ) the descent flow of (u1|u2| − 1)² reaches distance ≥ 0.09 from (1, 0) by t = 0.1 and stays in the "
              "proof's box S, whose rate bounds hold by interval arithmetic (C23; the digest's end points reproduced)"),
    Item("Lemma J.1", note="closure of derivative constraints (Filippov), quoted (illustrative only)"),
)))
