"""The claim shared by edc Theorems 3 and 4: both directions of "W̄ is a non-zero KKT point of (10) iff …".

theorem3.py and theorem4.py subclass :class:`RankOneChecker` and set the statement, the instances'
activations and the mutants; the formulas are the :class:`.rank_one_template.RankOneForm` in
``form``, which a mutant replaces. Per instance the claim checks

* sufficiency (constructive): for every activation of ``sufficiency_cases``, W̄ built as the theorem
  prescribes from a certified KKT point b_1 of the reduced problem, random admissible directions and
  signs, certified as a KKT point of (10) with multiplier λ = p̂N(W̄);
* necessity (empirical): at every certified KKT point found by ascent for ``necessity_cases`` that is
  rank one with non-negative factors (the theorem's hypotheses), each necessary condition.

Measurements are typed (:class:`RankOneMeasurements`, serialised with ``asdict``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from hypothesis import strategies as st

from theorems.early_directional.kkt_points import APPLIES, CERTIFIED, necessary_conditions
from theorems.early_directional.rank_one_template import (
    THEOREM,
    draw_directions,
    explicit_subgradient_residual,
    kkt_certificate,
    rank_one_point,
    theorem_factors,
)
from theorems.early_directional.reduced_problem import reduced_kkt_points
from verify.activations import Activation
from verify.checker import Checker, Context, Entry, Evidence, Verdict
from verify.kkt import kkt_points
from verify.nets import DTYPE, EPS, FeedForward, single_threaded
from verify.strategies import Dataset, datasets, seeds
from verify.tables import fmt, markdown_table


@dataclass(frozen=True)
class RankOneInstance:
    """One instance: data and labels, a network for the construction (sufficiency) and a smaller
    one for the ascent (necessity), the activation (α, p) and the seed of every free choice."""

    data: Dataset
    y_seed: int
    depth: int
    hidden: tuple[int, ...]
    alpha: float
    p: int
    necessity_depth: int
    necessity_hidden: tuple[int, ...]
    seed: int

    @property
    def X(self) -> np.ndarray:
        return self.data.X

    @property
    def y(self) -> np.ndarray:
        return np.random.default_rng(self.y_seed).standard_normal(self.data.n)

    def __str__(self) -> str:
        return (f"{self.data}, y seed {self.y_seed}; σ=max(x,{self.alpha:g}x)^{self.p}; construction L={self.depth} "
                f"widths {self.hidden}; ascent L={self.necessity_depth} widths {self.necessity_hidden}; seed {self.seed}")


@dataclass(frozen=True)
class SufficiencyCase:
    """One constructed W̄: the activation and depth; ``built`` False when the reduced problem gave no
    certified non-zero KKT point b_1 (then the numbers are NaN); ``violation`` the largest normalised
    violation of the conditions W̄ must meet; the certified residual of b_1 and its kinks x_iᵀb_1 = 0;
    the certified KKT residual of W̄ (NaN when the prescribed factors were not balanced) and autograd's."""

    activation: str
    kinked: bool
    depth: int
    built: bool
    violation: float = math.nan
    reduced_residual: float = math.nan
    kinks: int = 0
    kkt_residual: float = math.nan
    autograd_residual: float = math.nan


@dataclass(frozen=True)
class NecessityGroup:
    """KKT points of (10) found by ascent for one (L, α, p): returned (positive, distinct), certified,
    rank one, rank one with non-negative factors (inside the theorem's hypotheses; non-negativity is not
    required for α = 1), and the largest κ over the certified ones (NaN when none was certified)."""

    depth: int
    alpha: float
    p: int
    found: int
    certified: int
    rank_one: int
    rank_one_nonnegative: int
    kappa_max: float


@dataclass(frozen=True)
class RankOneMeasurements:
    sufficiency: tuple[SufficiencyCase, ...] = ()
    necessity: tuple[NecessityGroup, ...] = ()


@dataclass
class Construction:
    """What :meth:`RankOneChecker.construct` measured: each condition on W̄ → its normalised violation
    (``parts``), the entries' floor, and the case's measurements."""

    parts: dict[str, float]
    floor: float
    case: SufficiencyCase


SHARED_METHOD = (
    "Sufficiency: the reduced problem is solved by batched projected ascent from {reduced_restarts} random starts on g and on −g, each end "
    "point made exact (p = 1 with a kink: the exact KKT point of its face of the hyperplane arrangement, with the Clarke "
    "slopes at the kinks; smooth σ: the engine's Newton on the KKT system); one certified non-zero KKT point b_1 is drawn "
    "at random, random admissible directions (random supports with zeros; {freedom}) and random signs q are drawn, and W̄ "
    "is built by theorem_factors/rank_one_point exactly as the theorem prescribes. W̄ is certified as a KKT point of (10): "
    "for p = 1 with a kink by the engine's Clarke certificate (cvxpy over the slopes at the kinks) and by the explicit "
    "chain-rule subgradient of the proof (per-layer kink slopes whose product is the reduced slope), the smaller residual "
    "counting; the autograd residual is reported beside it. Entries, each decided against its own bound: the KKT residual "
    "‖g − λu‖/‖g‖, |Σ‖W̄_l‖² − 1|, |λ/(p̂N) − 1| and the relative error of N2 of every sufficiency case, floor the "
    "certified residual of b_1 plus 100ε (a case whose reduced problem gave no certified non-zero KKT point is an "
    "undecided entry; once a sufficiency entry fails the ascent is skipped). "
    "Necessity: KKT points of (10) for a second network (L ∈ {{2, 3}}) with σ and with α = 1 are found by the engine's "
    "kkt_points from {restarts} uniform starts plus its sparse, symmetric and data-aligned ones ({ascent}), the ends grouped by "
    "the function they compute and the best of each group polished onto an exact KKT point; up to {points} distinct "
    "points, certified (residual ≤ {certified:g}; each instance's note says how many were found and how often each was "
    "reached), classified by κ and ρ (rank one: ‖W_l − a_lb_lᵀ‖_F/‖W_l‖_F ≤ "
    "{applies:g}; non-negative: ρ ≤ {applies:g}, not required for α = 1), and at every rank-one non-negative one each "
    "necessary condition is "
    "an entry, measured as a relative error with floor = certified residual + rank-one error + ρ + 100ε (points that are "
    "not certified, not rank one or have mixed signs lie outside the statement's hypotheses and are only counted). "
    "The Clarke certificates are chain-rule (conservative-field) certificates: the chain-rule set contains the Clarke "
    "subdifferential (edc Lemma 15), so passing is necessary for a Clarke KKT point but not sufficient; a Clarke KKT "
    "point has a chain-rule subgradient with residual 0, which the two searches (explicit slopes, cvxpy) look for, and "
    "a point that both leave with a large residual is reported as failing. For the reduced problem the chain-rule set "
    "and the Clarke subdifferential coincide at generic data (independent kink normals). "
    "The tables and figures of edc §5.3 are reproduced by the experiments edc.tables1_2, edc.fig3 and edc.arrangement_hits."
)


class RankOneChecker(Checker):
    """Shared claim of edc Theorems 3 and 4 (subclasses set the statement, the activations and the mutants)."""

    tolerance = 1e-12
    floor_factor = 10.0
    max_error_floor = 1e-6
    form = THEOREM
    alphas: tuple[float, ...] = (0.0, 0.1, -0.5, 2.0)
    powers: tuple[int, ...] = (1,)
    restarts = 4  # uniform starts of (10) per necessity case (verify.kkt.kkt_points adds its structured ones)
    ascent_steps = 600  # then every group of ends is polished onto an exact KKT point (verify.kkt.certify_kkt)
    necessity_points = 3  # distinct certified KKT points per necessity case, best by value
    reduced_restarts = 8  # ascents of the reduced problem per sufficiency case
    report_notes: tuple[str, ...] = ()

    @classmethod
    def describe_method(cls, freedom: str, ascent: str) -> str:
        """The method text of a subclass: :data:`SHARED_METHOD` with its settings and constants filled in."""
        return SHARED_METHOD.format(freedom=freedom, ascent=ascent, restarts=cls.restarts, reduced_restarts=cls.reduced_restarts,
                                    certified=CERTIFIED, applies=APPLIES, points=cls.necessity_points)

    def sufficiency_cases(self, inst: RankOneInstance) -> list[Activation]:
        raise NotImplementedError

    def necessity_cases(self, inst: RankOneInstance) -> list[Activation]:
        return [Activation(inst.alpha, inst.p), Activation(1.0, inst.p)]

    def hypotheses(self):
        widths = st.sampled_from((3, 1, 2, 4))  # the simplest example Hypothesis tries first has L = 3 and width 3

        @st.composite
        def build(draw) -> RankOneInstance:
            data = draw(datasets(kinds=("gaussian", "sphere"), n=(5, 20), d=(2, 5)))
            L = draw(st.sampled_from((3, 2, 4, 5)))
            L_nec = draw(st.sampled_from((3, 2)))
            return RankOneInstance(
                data, draw(seeds()), L, tuple(draw(widths) for _ in range(L - 1)), draw(st.sampled_from(self.alphas)),
                draw(st.sampled_from(self.powers)), L_nec, tuple(draw(st.sampled_from((3, 1, 2))) for _ in range(L_nec - 1)),
                draw(seeds()),
            )

        return build()

    # -- sufficiency

    def construct(self, net: FeedForward, X: torch.Tensor, y: torch.Tensor, rng: np.random.Generator, seed: int) -> Construction | None:
        """Build W̄ as the theorem prescribes from a random certified KKT point b_1 of the reduced
        problem, random admissible directions and signs; certify it.

        None when the reduced problem gave no certified non-zero KKT point (nothing to build).
        """
        form, act, L = self.form, net.activation, net.depth
        p, ph = act.p, form.phat(net.depth, act.p)
        points = reduced_kkt_points(act, L, X, y, form.reduced_radius(L, p), restarts=self.reduced_restarts, keep=3, seed=seed)
        scale = max((abs(k.value) for k in points), default=0.0)
        points = [k for k in points if k.residual <= CERTIFIED and abs(k.value) > 1e-8 * scale]
        if not points:
            return None
        b1 = points[int(rng.integers(len(points)))]
        directions = draw_directions(net, rng, equal_entries=p >= 2 and form.equal_entries,
                                     nonnegative=act.alpha != 1.0 and form.nonnegative)
        signs = [float(rng.choice([-1.0, 1.0])) if act.alpha == 1.0 else 1.0 for _ in range(L - 2)]
        signs.append(float(rng.choice([-1.0, 1.0])))
        factors = theorem_factors(net, b1.u, [torch.as_tensor(v) for v in directions], signs, form)
        imbalance = max(abs(float(a.norm()) ** 2 - float(b.norm()) ** 2) / float(a.norm()) ** 2 for a, b in zip(factors.a, factors.b))
        floor = b1.residual + 100 * EPS
        if imbalance > 1e-9:
            # the statement's W̄ is not of the rank-one template at all: rank_one_point rejects it
            parts = {"‖a_l‖² = ‖b_l‖² for the prescribed factors": imbalance}
            return Construction(parts, floor, SufficiencyCase(str(act), act.kinked, L, True, imbalance, b1.residual, b1.kinks))
        u = rank_one_point(net, factors)
        unit = u / u.norm()
        cert = kkt_certificate(net, unit, X, y)
        residual, lam = cert.residual, cert.lam
        if act.kinked:
            explicit, explicit_lam = explicit_subgradient_residual(net, unit, X, y, b1)
            if explicit < residual:
                residual, lam = explicit, explicit_lam
        parts = {
            "KKT residual": residual,
            "Σ‖W̄_l‖² − 1": abs(float(u @ u) - 1),
            "λ/(p̂N) − 1": abs(lam / (net.degree * cert.value) - 1) if cert.value != 0 else 1.0,
            "N2 ‖w̄‖²": abs(float(factors.wbar.norm()) ** 2 - form.wbar_norm_sq(L, p, ph)) / form.wbar_norm_sq(L, p, ph),
        }
        case = SufficiencyCase(str(act), act.kinked, L, True, max(parts.values()), b1.residual, b1.kinks, residual,
                               cert.autograd_residual)
        return Construction(parts, floor, case)

    # -- the claim

    def claim(self, inst: RankOneInstance, ctx: Context) -> Evidence:
        with single_threaded():
            return self._claim(inst)

    def _claim(self, inst: RankOneInstance) -> Evidence:
        """One entry per condition checked: each condition on the constructed W̄ of every sufficiency case
        (NaN and not converged when the reduced problem gave nothing to build from), and each necessary
        condition at every certified rank-one non-negative KKT point found by ascent."""
        # always on the CPU: the tensors are tiny and the face certificates are numpy linear algebra
        X = torch.as_tensor(inst.X, dtype=DTYPE)
        y = torch.as_tensor(inst.y, dtype=DTYPE)
        rng = np.random.default_rng(inst.seed)
        d = X.shape[1]
        checked: list[Entry] = []
        cases: list[SufficiencyCase] = []
        groups: list[NecessityGroup] = []
        notes: list[str] = []
        for act in self.sufficiency_cases(inst):
            net = FeedForward((d, *inst.hidden, 1), act)
            tag = f"σ={act} L={net.depth}"
            built = self.construct(net, X, y, rng, inst.seed)
            if built is None:
                why = f"sufficiency {tag}: no certified non-zero KKT point b_1 of the reduced problem"
                checked.append(Entry(math.nan, math.nan, False, why))
                cases.append(SufficiencyCase(str(act), act.kinked, net.depth, False))
                notes.append(why)
                continue
            case = [Entry(v, built.floor, True, f"sufficiency {tag}, constructed W̄: {name}") for name, v in built.parts.items()]
            checked += case
            cases.append(built.case)
            failed = [e for e in case if self.decide_entry(e) is Verdict.FAIL]
            if failed:  # the instance fails whatever else is checked: the slow ascent is skipped
                notes.append(f"σ={act}: the constructed W̄ fails ({failed[0].label} = {failed[0].violation:.3g}); ascent skipped")
                return Evidence(checked, RankOneMeasurements(tuple(cases)), str(inst), "; ".join(notes))
        for act in self.necessity_cases(inst):
            net = FeedForward((d, *inst.necessity_hidden, 1), act)
            found = kkt_points(net, X, y, restarts=self.restarts, steps=self.ascent_steps, seed=inst.seed, tol=CERTIFIED,
                               max_points=self.necessity_points)
            certified = found.points
            checks = [necessary_conditions(net, point, X, y, self.form) for point in certified]
            for n, (point, check) in enumerate(zip(certified, checks), start=1):
                if check.rank_one_nonnegative:  # inside the theorem's hypotheses: every necessary condition is an entry
                    checked += [Entry(v, check.floor, True, f"necessity σ={act} L={net.depth}, KKT point {n} "
                                                            f"({point.hits} hits): {condition}")
                                for condition, v in check.violations.items()]
            notes.append(f"necessity σ={act} L={net.depth}: {found.summary()}")
            groups.append(NecessityGroup(net.depth, act.alpha, act.p, found.polished, len(certified),
                                         sum(c.rank_one for c in checks), sum(c.rank_one_nonnegative for c in checks),
                                         max((c.kappa for c in checks), default=math.nan)))
        measurements = RankOneMeasurements(tuple(cases), tuple(groups))
        if not checked:
            return Evidence.undecided("nothing was certified", measurements=measurements, instance=str(inst))
        return Evidence(checked, measurements, str(inst), "; ".join(notes))

    # -- report: formats the run's own records

    def summarise(self, records) -> dict[str, float]:
        """Per sufficiency activation the largest violation and residuals; over all instances the counts of KKT
        points found by ascent, certified, rank one and rank one with non-negative factors, and the largest κ."""
        out: dict[str, float] = {}
        for s in sufficiency_rows(records):
            for name, value in (("sufficiency violation", s.violation), ("certified residual of b_1", s.reduced_residual),
                                ("kinks x_iᵀb_1 = 0", s.kinks), ("certified KKT residual of W̄", s.kkt_residual),
                                ("autograd residual of W̄", s.autograd_residual)):
                if math.isfinite(value):
                    out[f"{name}, max (σ={s.activation})"] = value
        groups = necessity_rows(records)
        if groups:
            out["KKT points found by ascent"] = float(sum(g.found for g in groups))
            out["certified"] = float(sum(g.certified for g in groups))
            out["rank one"] = float(sum(g.rank_one for g in groups))
            out["rank one, non-negative"] = float(sum(g.rank_one_nonnegative for g in groups))
            if out["certified"]:
                out["rank one, non-negative / certified"] = out["rank one, non-negative"] / out["certified"]
            kappas = [g.kappa_max for g in groups if math.isfinite(g.kappa_max)]
            if kappas:
                out["max κ at certified points"] = max(kappas)
        return out

    def report_section(self, result, figure_dir) -> tuple[str, list[str]]:
        """Tables of this run's records (sufficiency per activation, necessity per (L, α, p)) and sentences built
        from them; no figures (edc Figure 3 is the experiment edc.fig3)."""
        suff = sufficiency_rows(result.records)
        rows = necessity_rows(result.records)
        md = ["## Sufficiency: constructed W̄ per activation", "",
              "Largest over the instances. For kinked σ autograd's KKT residual is one chain-rule subgradient (torch splits "
              "the gradient at ties), so it need not vanish at a KKT point; the certified residual is the one decided.", "",
              markdown_table(["σ", "built", "nothing to build", "max violation", "max certified residual of b_1",
                              "max kinks x_iᵀb_1 = 0", "max certified KKT residual", "max autograd residual"],
                             [[s.activation, s.built, s.undecided, fmt(s.violation), fmt(s.reduced_residual), s.kinks,
                               fmt(s.kkt_residual), fmt(s.autograd_residual)] for s in suff]), "",
              "## Necessity: KKT points found by ascent", "",
              "Per (L, α, p), summed over the instances: KKT points returned by the ascent (positive value, distinct), "
              f"those certified (residual ≤ {CERTIFIED:g}), those that are rank one, and those that are rank one with non-negative "
              "factors (non-negativity is not required for α = 1; the theorem then applies and every necessary condition "
              "was checked). The paper's empirical claim (§5.3, for α ∈ {0, 0.1, 1}) is that all of them are.", "",
              markdown_table(["L", "α", "p", "found", "certified", "rank one", "rank one, non-negative", "rank one, mixed signs",
                              "fraction", "max κ"],
                             [[g.depth, fmt(g.alpha), g.p, g.found, g.certified, g.rank_one, g.rank_one_nonnegative,
                               g.rank_one - g.rank_one_nonnegative if g.alpha != 1.0 else "–",
                               fmt(g.rank_one_nonnegative / g.certified, 2) if g.certified else "–", fmt(g.kappa_max)]
                              for g in rows]), ""]
        mixed = [g for g in rows if g.alpha != 1.0 and g.rank_one > g.rank_one_nonnegative]
        md.append("In this run, certified rank-one KKT points with mixed-sign factors (outside hypothesis (i): counted, not "
                  "tested against the conditions) appeared for "
                  + (", ".join(f"L={g.depth}, α={fmt(g.alpha)}, p={g.p} ({g.rank_one - g.rank_one_nonnegative} of "
                               f"{g.certified} certified)" for g in mixed) if mixed else "no (L, α, p)") + ".")
        md += ["", "## Notes", ""] + [f"- {note}" for note in self.report_notes]
        return "\n".join(md), []


@dataclass(frozen=True)
class SufficiencySummary:
    """The sufficiency cases of one activation over all records: how many were built and how many had nothing to
    build from, and the largest of each number (NaN when none is finite)."""

    activation: str
    built: int
    undecided: int
    violation: float
    reduced_residual: float
    kinks: int
    kkt_residual: float
    autograd_residual: float


def _largest(values) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return max(finite) if finite else math.nan


def sufficiency_rows(records) -> list[SufficiencySummary]:
    """The sufficiency cases of every record, per activation (in order of appearance)."""
    by: dict[str, list[dict]] = {}
    for r in records:
        for case in r.measurements.get("sufficiency", []):
            by.setdefault(case["activation"], []).append(case)
    out = []
    for act, cases in by.items():
        built = [c for c in cases if c["built"]]
        out.append(SufficiencySummary(act, len(built), len(cases) - len(built), _largest(c["violation"] for c in built),
                                      _largest(c["reduced_residual"] for c in built), max((c["kinks"] for c in built), default=0),
                                      _largest(c["kkt_residual"] for c in built), _largest(c["autograd_residual"] for c in built)))
    return out


def necessity_rows(records) -> list[NecessityGroup]:
    """The necessity groups of every record, summed per (L, α, p) (κ: the largest), sorted."""
    table: dict[tuple, NecessityGroup] = {}
    for r in records:
        for g in r.measurements.get("necessity", []):
            key = (g["depth"], g["alpha"], g["p"])
            old = table.get(key)
            if old is None:
                table[key] = NecessityGroup(**g)
                continue
            table[key] = NecessityGroup(*key, old.found + g["found"], old.certified + g["certified"], old.rank_one + g["rank_one"],
                                        old.rank_one_nonnegative + g["rank_one_nonnegative"], _largest((old.kappa_max, g["kappa_max"])))
    return [table[k] for k in sorted(table)]
