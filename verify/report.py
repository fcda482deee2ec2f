"""Reports: reports/<id>.md, reports/<id>.json, figures, and reports/index.md.

Each checker's files are written as soon as it finishes and the index is rebuilt from every
JSON file present, so an interrupted run keeps what completed.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from verify.checker import Checker  # noqa: E402
from verify.runner import CheckResult  # noqa: E402

MAX_TABLE_ROWS = 25


def _fmt(x) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        if math.isnan(x):
            return "NaN"
        return f"{x:.3g}"
    return str(x)


def violation_figure(result: CheckResult, path: Path) -> None:
    """Violation against error floor per instance, with the decision boundary."""
    fig, ax = plt.subplots(figsize=(5.5, 4))
    tiny = 1e-18
    colours = {"PASS": "tab:green", "FAIL": "tab:red", "INCONCLUSIVE": "tab:orange"}
    for verdict, colour in colours.items():
        pts = [(max(r.error_floor, tiny), max(r.violation, tiny)) for r in result.records
               if r.verdict == verdict and math.isfinite(r.violation) and math.isfinite(r.error_floor)]
        if pts:
            ax.scatter(*zip(*pts), s=18, c=colour, label=f"{verdict} ({len(pts)})", alpha=0.8)
    floors = [max(r.error_floor, tiny) for r in result.records if math.isfinite(r.error_floor)] or [tiny]
    lo, hi = min(floors + [1e-16]), max(floors + [result.max_error_floor])
    xs = [lo * (hi / lo) ** (i / 50) for i in range(51)]
    ax.plot(xs, [result.tolerance + result.floor_factor * x for x in xs], "k--", lw=1,
            label=f"bound = {result.tolerance:g} + {result.floor_factor:g}·floor")
    ax.axvline(result.max_error_floor, color="grey", lw=0.8, ls=":", label="largest floor that decides")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("error floor of the instance")
    ax.set_ylabel("normalised violation")
    ax.set_title(f"{result.id}: violation vs error floor")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(result: CheckResult, checker: Checker, out_dir: Path) -> Path:
    """Write reports/<id>.md, <id>.json and figures; then rebuild the index."""
    out_dir.mkdir(parents=True, exist_ok=True)
    fig_dir = out_dir / "figures"
    fig_dir.mkdir(exist_ok=True)
    figures = []
    if result.records:
        vpath = fig_dir / f"{result.id}-violation.png"
        violation_figure(result, vpath)
        figures.append(vpath)
    extra_md, extra_figs = checker.report_section(result, fig_dir)
    figures += [Path(f) for f in extra_figs]
    result.figures = [str(f.relative_to(out_dir)) for f in figures]
    result.extra_markdown = extra_md

    (out_dir / f"{result.id}.json").write_text(json.dumps(result.to_json(), indent=2, default=float))
    md_path = out_dir / f"{result.id}.md"
    md_path.write_text(render_markdown(result))
    write_index(out_dir)
    return md_path


def render_markdown(r: CheckResult) -> str:
    lines = [
        f"# {r.id} — {r.title}",
        "",
        f"**Verdict: {r.verdict}**  ",
        f"Source: {r.source}  ",
        f"Profile `{r.profile}`, seed {r.seed}, device `{r.device}`, float64, {r.duration_s:.1f} s  ",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in r.versions.items() if k != "platform"),
        "",
        "## Statement",
        "",
        r.statement,
        "",
    ]
    if r.hypotheses:
        lines += ["## Hypotheses (instances generated)", "", r.hypotheses, ""]
    if r.method:
        lines += ["## Method", "", r.method, ""]
    lines += [
        "## Decision rule",
        "",
        f"An instance passes when violation ≤ {r.tolerance:g} + {r.floor_factor:g} × error floor and its error floor is at most "
        f"{r.max_error_floor:g}; it fails when the violation exceeds that bound; otherwise (non-convergence, NaN, a floor too "
        f"large to decide) it is inconclusive. The checker passes when nothing fails, every symbolic obligation holds and at "
        f"least 75% of the instances pass.",
        "",
        "## Results",
        "",
        f"- instances: {len(r.records)} (inconclusive: {r.n_inconclusive})",
        f"- largest violation: {_fmt(r.max_violation)}",
        f"- counterexample: {r.counterexample or 'none'}",
    ]
    lines += [f"- note: {n}" for n in r.notes]
    if r.measurements:
        lines += ["", "### Measurements", "", "| name | value |", "|---|---|"]
        lines += [f"| {k} | {_fmt(v)} |" for k, v in r.measurements.items()]
    if r.obligations:
        lines += ["", "### Symbolic obligations (sympy, exact)", "", "| obligation | statement | holds | detail |", "|---|---|---|---|"]
        lines += [f"| {o.name} | {o.statement} | {'yes' if o.holds else '**NO**'} | {o.detail} |" for o in r.obligations]
    if r.records:
        worst = sorted(r.records, key=lambda x: -(x.violation / x.bound) if x.bound and math.isfinite(x.violation) else -math.inf)
        lines += ["", f"### Instances (worst first, {min(len(worst), MAX_TABLE_ROWS)} of {len(worst)})", "",
                  "| instance | violation | error floor | bound | verdict | time (s) | note |", "|---|---|---|---|---|---|---|"]
        for x in worst[:MAX_TABLE_ROWS]:
            cells = [x.instance, _fmt(x.violation), _fmt(x.error_floor), _fmt(x.bound), x.verdict, f"{x.seconds:.2f}", x.note]
            lines.append("| " + " | ".join(cells) + " |")
    if r.mutants:
        lines += ["", "## Mutants (deliberately wrong statements; each must be refuted)", "",
                  "| mutant | what it claims | killed | how |", "|---|---|---|---|"]
        lines += [f"| {m.name} | {m.description} | {'yes' if m.killed else '**NO**'} | {m.detail} |" for m in r.mutants]
    if r.extra_markdown:
        lines += ["", r.extra_markdown]
    if r.figures:
        lines += ["", "## Figures", ""] + [f"![{f}]({f})" for f in r.figures]
    return "\n".join(lines) + "\n"


def write_index(out_dir: Path) -> Path:
    """reports/index.md: one row per checker whose JSON is present."""
    rows = []
    for path in sorted(out_dir.glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError:
            continue
        if "verdict" not in data or "id" not in data:
            continue
        killed = sum(m["killed"] for m in data.get("mutants", []))
        rows.append(
            f"| [{data['id']}]({data['id']}.md) | {data['source']} | {data['title']} | **{data['verdict']}** | "
            f"{data['n_examples']} ({data['n_inconclusive']} inconclusive) | {_fmt(data['max_violation'])} | "
            f"{killed}/{len(data.get('mutants', []))} | {data['profile']} / seed {data['seed']} | {data['duration_s']:.1f} |"
        )
    text = "\n".join([
        "# homcheck reports",
        "",
        "| checker | source | statement | verdict | instances | max violation | mutants killed | profile | time (s) |",
        "|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
    ])
    index = out_dir / "index.md"
    index.write_text(text)
    return index
