"""Report tables for checkers that sweep δ (today edc.theorem1, np.lemma2, dc2.lemma5_2, dc2.theorem5_1,
dc2.theorem5_5, dc2.corollary5_4_1): per instance, every fitted order in δ with its standard error beside the order the
statement (or its derived rate) claims, and the integration cost of each δ row.

Formatting only: every number comes from the records' measurements, which the claims computed. The measurement names
read here are the checkers' dataclass fields (serialised by the runner with ``asdict``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from verify.tables import fmt, markdown_table


@dataclass(frozen=True)
class OrderColumns:
    """Where one fitted order sits in a record's measurements: the fitted slope, its standard error, and the order the
    statement claims (``claimed``: a field name; ``relation``: how the fit is compared with it, e.g. '≥'); ``decided``: the
    field saying whether the fit was decided as an entry (an unresolved fit is only measured)."""

    label: str
    slope: str
    stderr: str
    claimed: str
    decided: str
    relation: str = "≥"


def _plus_minus(slope: float, stderr: float) -> str:
    if not math.isfinite(slope):
        return "not fitted"
    return f"{fmt(slope, 4)} ± {fmt(stderr, 2)}" if math.isfinite(stderr) else f"{fmt(slope, 4)} (2 points: no stderr)"


def orders_table(records: Sequence, orders: Sequence[OrderColumns]) -> str:
    """One row per (instance, fitted order): the fit ± its standard error and the claimed order."""
    rows = []
    for r in records:
        m = r.measurements
        for o in orders:
            if o.slope in m:
                rows.append([r.instance, o.label, _plus_minus(float(m[o.slope]), float(m[o.stderr])),
                             f"{o.relation} {fmt(float(m[o.claimed]), 4)}", "yes" if m[o.decided] else "no (measured only)",
                             r.verdict])
    return markdown_table(["instance", "order in δ of", "fitted (± stderr)", "statement", "decided as an entry",
                           "instance verdict"], rows)


def cost_table(records: Sequence) -> str:
    """One row per instance: the δ swept, the accepted + rejected integrator steps of each δ row (fine tolerance) and of
    the δ = 0 row (the NCF flow), and the wall seconds of the batched integrations (both tolerances) per row."""
    rows = []
    for r in records:
        m = r.measurements
        if "steps" not in m:
            continue
        per_row = float(m["integration_s"]) / (len(m["steps"]) + 1) if m["steps"] else math.nan
        rows.append([r.instance, ", ".join(fmt(float(d), 3) for d in m["deltas"]), ", ".join(str(s) for s in m["steps"]),
                     str(m["ncf_steps"]), fmt(float(m["integration_s"]), 3), fmt(per_row, 3)])
    return markdown_table(["instance", "δ", "steps per δ row", "steps, δ = 0 row", "integration s (all rows, both tolerances)",
                           "s per row"], rows)


def sweep_section(records: Sequence, orders: Sequence[OrderColumns]) -> str:
    """The markdown section: fitted orders with standard errors, then the integration cost per δ."""
    md = []
    if orders:
        md += ["## Fitted orders in δ", "",
               "Log-log least-squares slopes with their standard errors (NaN: a fit over two points; 'not fitted': a run "
               "that stopped or a zero gap), beside the order the statement claims.", "", orders_table(records, orders), ""]
    md += ["## Integration cost per δ", "",
           "All δ rows and the δ = 0 row run in one batched tensor program (verify.flow.integrate_batch, per-row step "
           "control), so a row's own cost is its step count; the seconds per row are the batch's wall time shared out.",
           "", cost_table(records)]
    return "\n".join(md)
