"""Reports: reports/<id>.md, reports/<id>.json, figures, counterexample files, and reports/index.md.

Report code formats what a run computed; it computes nothing. Every file is written atomically
(verify/files.py); the index is rebuilt from the JSON files present under a file lock, so an
interrupted run keeps what completed and concurrent runs into one directory do not clobber it.
Each row of the index names the run (runs/<run id>.json: seed, profile, ids, versions, start, end)
it comes from.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from verify.checker import Checker, Verdict
from verify.files import atomic_write, dumps_strict, plain
from verify.replay import replay_command, save_counterexample
from verify.runner import CheckResult, InstanceRecord
from verify.tables import fmt, markdown_table

SCHEMA_VERSION = 2
MAX_TABLE_ROWS = 25
RUNS = "runs"


@dataclass
class RunManifest:
    """One invocation of ``homcheck run`` or ``homcheck verify``: what was asked (checker ids, then experiment
    names), with which versions, and when; results map each to its verdict or reproduction status."""

    run_id: str
    command: str
    ids: list[str]
    profile: str
    seed: int
    device: str
    versions: dict[str, str]
    started: str
    finished: str | None = None
    duration_s: float | None = None
    results: dict[str, str] = field(default_factory=dict)

    def write(self, out_dir: Path) -> Path:
        return atomic_write(out_dir / RUNS / f"{self.run_id}.json", dumps_strict(plain(self)))


def new_run_id() -> str:
    """A run id from the start time (UTC) and the process id: unique per invocation."""
    import os

    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{os.getpid()}"


def violation_figure(result: CheckResult, path: Path) -> None:
    """Violation against error floor per instance (deciding entry), with the decision boundary."""
    from verify.plots import plt, save_figure

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
    ax.set_xlabel("error floor of the deciding entry")
    ax.set_ylabel("normalised violation")
    ax.set_title(f"{result.id}: violation vs error floor")
    ax.legend(fontsize=7)
    save_figure(fig, path, dpi=110)


@dataclass
class Written:
    """What write_report produced: the markdown path, figures, counterexample files and the seconds it took."""

    markdown: Path
    figures: list[str]
    counterexample_files: list[str]
    replay: str | None
    seconds: float


def write_report(result: CheckResult, checker: Checker, out_dir: Path, run_id: str = "") -> Written:
    """Write reports/<id>.md, <id>.json, figures and counterexample files; then rebuild the index.

    The checker's own report section (tables, figures) is timed as part of writing the report,
    so the JSON's ``report_s`` accounts for it.
    """
    t0 = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    fig_dir = out_dir / "figures"
    fig_dir.mkdir(exist_ok=True)
    figures: list[Path] = []
    extra_md = ""
    if result.verdict != Verdict.CRASHED:
        if result.records:
            vpath = fig_dir / f"{result.id}-violation.png"
            violation_figure(result, vpath)
            figures.append(vpath)
        extra_md, extra_figs = checker.report_section(result, fig_dir)
        figures += [Path(f) for f in extra_figs]
    ce_files: list[str] = []
    replay = None
    if result.counterexample is not None and result.counterexample_instance is not None:
        pkl, npz = save_counterexample(checker, result.counterexample_instance, seed=result.seed, profile=result.profile,
                                       version=result.versions.get("homcheck", "?"), directory=out_dir / "counterexamples")
        ce_files = [str(p.relative_to(out_dir)) for p in (pkl, npz)]
        replay = replay_command(checker, pkl)
    written = Written(out_dir / f"{result.id}.md", [str(f.relative_to(out_dir)) for f in figures], ce_files, replay, 0.0)
    written.seconds = time.perf_counter() - t0
    document = to_json(result, written, run_id)
    atomic_write(out_dir / f"{result.id}.json", dumps_strict(document))
    atomic_write(written.markdown, render_markdown(result, written, extra_md, run_id))
    write_index(out_dir)
    return written


def to_json(r: CheckResult, written: Written, run_id: str) -> dict[str, Any]:
    """The machine-readable report (schema_version 2; strict JSON once passed through dumps_strict)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "id": r.id,
        "title": r.title,
        "source": r.source,
        "statement": r.statement,
        "verdict": r.verdict,
        "n_examples": len(r.records),
        "n_distinct": len(r.records),
        "n_duplicates_rejected": r.duplicates,
        "n_passed": r.n_passed,
        "n_inconclusive": r.n_inconclusive,
        "n_failed": sum(x.verdict == Verdict.FAIL for x in r.records),
        "min_decided": r.min_decided,
        "n_entries": r.n_entries,
        "n_entries_decided": r.n_entries_decided,
        "max_violation": r.max_violation,
        "tolerance": r.tolerance,
        "floor_factor": r.floor_factor,
        "max_error_floor": r.max_error_floor,
        "seed": r.seed,
        "profile": r.profile,
        "device": r.device,
        "dtype": "float64",
        "run": run_id,
        "duration_s": round(r.duration_s, 3),
        "report_s": round(written.seconds, 3),
        "counterexample": plain(r.counterexample) if r.counterexample else None,
        "counterexample_files": written.counterexample_files,
        "replay_command": written.replay,
        "shrink_evaluations": r.shrink_evaluations,
        "replayed": [plain(x) for x in r.replayed],
        "crash": plain(r.crash) if r.crash else None,
        "mutants": [dict(plain(m), killed=m.killed) for m in r.mutants],
        "obligations": plain(r.obligations),
        "measurements": r.measurements,
        "instances": [plain(x) for x in r.records],
        "notes": r.notes,
        "versions": r.versions,
        "figures": written.figures,
    }


DECISION_RULE = (
    "Every entry a claim checks on an instance (a restart, a neuron, a fit) is decided on its own. An entry **fails** "
    "when its finite violation exceeds its bound {tol:g} + {ff:g} × its error floor, whether or not the numerics behind "
    "it converged; otherwise it is **inconclusive** when its violation or floor is not finite, it did not converge, or "
    "its floor exceeds {mef:g} (too imprecise to decide); otherwise it **passes**. An instance fails when any entry "
    "fails, is inconclusive when any entry is (and none fails), and passes otherwise. The checker passes when no "
    "instance fails, every symbolic obligation holds, and at least {need} distinct instances pass (the `{profile}` "
    "profile's minimum, and 75% of the distinct instances)."
)


def render_markdown(r: CheckResult, written: Written, extra_markdown: str, run_id: str) -> str:
    lines = [
        f"# {r.id} — {r.title}",
        "",
        f"**Verdict: {r.verdict}**  ",
        f"Source: {r.source}  ",
        f"Profile `{r.profile}`, seed {r.seed}, device `{r.device}`, float64; checker {r.duration_s:.1f} s, "
        f"report {written.seconds:.1f} s; run `{run_id or '–'}`  ",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in r.versions.items() if k != "platform"),
        "",
        "## Statement",
        "",
        r.statement,
        "",
    ]
    if r.crash is not None:
        lines += ["## Crash", "", f"The claim raised `{r.crash.error}` on the instance", "", "```", r.crash.instance, "```",
                  "", "Traceback:", "", "```", r.crash.traceback.rstrip(), "```", ""]
    if r.hypotheses:
        lines += ["## Hypotheses (instances generated)", "", r.hypotheses, ""]
    if r.method:
        lines += ["## Method", "", r.method, ""]
    need = max(r.min_decided, math.ceil(0.75 * len(r.records)))
    lines += [
        "## Decision rule",
        "",
        DECISION_RULE.format(tol=r.tolerance, ff=r.floor_factor, mef=r.max_error_floor, need=need, profile=r.profile),
        "",
        "## Results",
        "",
        f"- distinct instances: {len(r.records)} (passed {r.n_passed}, inconclusive {r.n_inconclusive}, failed "
        f"{sum(x.verdict == Verdict.FAIL for x in r.records)}); duplicates rejected and redrawn: {r.duplicates}",
        f"- entries: {r.n_entries} checked, {r.n_entries_decided} decided",
        f"- largest violation: {fmt(r.max_violation)}",
    ]
    if r.counterexample is not None:
        c = r.counterexample
        lines += [
            f"- counterexample (shrunk by Hypothesis over {r.shrink_evaluations} further evaluations): `{c.instance}` — "
            f"entry {c.entry}: violation {fmt(c.violation)} > bound {fmt(c.bound)} (error floor {fmt(c.error_floor)})",
        ]
        if written.replay:
            lines += ["", "### Reproduce the counterexample", "", "```bash", written.replay, "```", "",
                      f"Its arrays are in `{written.counterexample_files[1]}`. In Python:", "", "```python",
                      "from verify import load_counterexample",
                      f"print(load_counterexample(\"{written.counterexample_files[0]}\").evaluate())  # path relative to this report",
                      "```", ""]
    else:
        lines.append("- counterexample: none")
    lines += [f"- note: {n}" for n in r.notes]
    if r.measurements:
        lines += ["", "### Measurements", "", markdown_table(["name", "value"], r.measurements.items())]
    if r.obligations:
        lines += ["", "### Symbolic obligations (sympy, exact)", "",
                  markdown_table(["obligation", "statement", "holds", "detail"],
                                 [(o.name, o.statement, "yes" if o.holds else "**NO**", o.detail) for o in r.obligations])]
    if r.records:
        worst = sorted(r.records, key=_severity)
        lines += ["", f"### Instances (worst first, {min(len(worst), MAX_TABLE_ROWS)} of {len(worst)})", "",
                  _instance_table(worst[:MAX_TABLE_ROWS])]
    if r.replayed:
        lines += ["", "## Replayed from the example database", "",
                  f"{len(r.replayed)} saved example(s) of this checker, profile and seed, replayed before generation "
                  "(`--replay`); they are not part of the generated set above.", "", _instance_table(r.replayed)]
    if r.mutants:
        lines += ["", "## Mutants (deliberately wrong statements; each must be refuted)", "",
                  markdown_table(["mutant", "what it claims", "status", "how"],
                                 [(m.name, m.description, m.status if m.killed else f"**{m.status}**", m.detail)
                                  for m in r.mutants])]
    if extra_markdown:
        lines += ["", extra_markdown]
    if written.figures:
        lines += ["", "## Figures", ""] + [f"![{f}]({f})" for f in written.figures]
    return "\n".join(lines) + "\n"


def _severity(x: InstanceRecord) -> tuple:
    order = {Verdict.FAIL.value: 0, Verdict.INCONCLUSIVE.value: 1, Verdict.PASS.value: 2}
    ratio = x.violation / x.bound if x.bound and math.isfinite(x.violation) and math.isfinite(x.bound) else math.inf
    return order.get(x.verdict, 3), -ratio


def _instance_table(records: list[InstanceRecord]) -> str:
    return markdown_table(
        ["instance", "verdict", "deciding entry", "violation", "error floor", "bound", "entries (failed / undecided)",
         "time (s)", "note"],
        [(x.instance, x.verdict, x.entry, fmt(x.violation), fmt(x.error_floor), fmt(x.bound),
          f"{x.n_entries} ({x.n_failed} / {x.n_inconclusive})", f"{x.seconds:.2f}", x.note) for x in records])


def write_index(out_dir: Path) -> Path:
    """reports/index.md: coverage per paper (the ledgers), then one row per checker and experiment report present.

    Rebuilt from the JSON files under a lock, as concurrent runs may share the directory.
    """
    from filelock import FileLock

    from verify.catalogue import natural_key
    from verify.ledger import ledgers

    with FileLock(str(out_dir / ".index.lock")):
        checks, exps = {}, {}
        for path in sorted(out_dir.glob("*.json")):
            try:
                data = json.loads(path.read_text())
            except (json.JSONDecodeError, OSError):
                continue
            if data.get("schema_version") != SCHEMA_VERSION:
                continue
            if data.get("kind") == "experiment":
                exps[data["name"]] = data
            elif "verdict" in data:
                checks[data["id"]] = data
        runs = {(d["run"], d["profile"], d["seed"]) for d in checks.values()}
        head = ["# homcheck reports", ""]
        if len({(p, s) for _, p, s in runs}) > 1:
            head += [f"**Rows come from {len(runs)} runs with different profiles or seeds** — see the run column and "
                     f"`{RUNS}/`.", ""]
        coverage, ledger_tables = _coverage(ledgers(), checks, exps)
        body = ["## Coverage per paper", "", *coverage, "", "## Checkers", "",
                markdown_table(
                    ["checker", "source", "statement", "verdict", "instances passed / distinct", "max violation",
                     "mutants killed", "profile", "run", "time (s)"],
                    [[f"[{d['id']}]({d['id']}.md)", d["source"], d["title"], f"**{d['verdict']}**",
                      f"{d['n_passed']} / {d['n_distinct']}", fmt(d["max_violation"]),
                      f"{sum(m['killed'] for m in d['mutants'])}/{len(d['mutants'])}", f"{d['profile']} / seed {d['seed']}",
                      d["run"] or "–", f"{d['duration_s'] + d['report_s']:.1f}"]
                     for _, d in sorted(checks.items(), key=lambda kv: natural_key(kv[0]))])]
        if exps:
            body += ["", "## Experiments", "",
                     markdown_table(["experiment", "source", "what", "reproduction", "scale", "seed", "time (s)"],
                                    [[f"[{n}]({n}.md)", d["source"], d["title"], f"**{d['status']}**", d["scale"], d["seed"],
                                      f"{d['run_s'] + d['report_s']:.1f}" + (" (cached)" if d["cached"] else "")]
                                     for n, d in sorted(exps.items(), key=lambda kv: natural_key(kv[0]))])]
        body += ["", *ledger_tables]
        return atomic_write(out_dir / "index.md", "\n".join(head + body + [""]))


def _coverage(books: dict, checks: dict, exps: dict) -> tuple[list[str], list[str]]:
    """Coverage lines per paper and each paper's ledger table (items linked to their reports)."""
    lines, tables = [], []
    for key, book in books.items():
        statements = [i for i in book.items if i.kind == "statement"]
        displays = [i for i in book.items if i.kind != "statement"]
        checked = [i for i in statements if i.checker]
        verdicts = [checks[i.checker]["verdict"] for i in checked if i.checker in checks]
        covered = [i for i in displays if i.experiment]
        statuses = [exps[i.experiment]["status"] for i in covered if i.experiment in exps]

        def tally(values: list[str]) -> str:
            return ", ".join(f"{values.count(v)} {v}" for v in dict.fromkeys(values)) or "none run here"

        lines.append(f"- **{key}** ({book.title}): {len(checked)} of {len(statements)} statements checked ({tally(verdicts)}); "
                     f"{len(covered)} of {len(displays)} tables/figures with an experiment ({tally(statuses)})")
        rows = []
        for i in book.items:
            if i.checker:
                cover = f"[{i.checker}]({i.checker}.md)"
                state = checks[i.checker]["verdict"] if i.checker in checks else "not run"
            elif i.experiment:
                cover = f"[{i.experiment}]({i.experiment}.md)"
                state = exps[i.experiment]["status"] if i.experiment in exps else "not run"
            else:
                cover, state = "–", "not yet covered"
            rows.append([i.label, i.kind, cover, state, i.note])
        tables += [f"## Ledger: {key} — {book.title}", "", markdown_table(["item", "kind", "covered by", "status", "note"], rows), ""]
    return lines, tables
