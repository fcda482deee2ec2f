"""Markdown tables and number formatting for reports: the one place a table is built.

Cells are escaped (``|`` → ``\\|``, newlines → spaces), so a value containing ``|`` (a key such
as ``found|L=2``, a header ``max |w|``) cannot break the table; every row gets exactly as many
cells as the header.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any


def fmt(x: Any, digits: int = 3) -> str:
    """A number as reports show it: ``digits`` significant digits, ``–`` for None, nan/inf spelled out."""
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "−inf"
        return f"{x:.{digits}g}"
    return str(x)


def cell(x: Any) -> str:
    """One escaped table cell."""
    text = fmt(x) if not isinstance(x, str) else x
    return " ".join(text.replace("\\|", "|").replace("|", "\\|").split())


def markdown_table(header: Sequence[Any], rows: Iterable[Sequence[Any]], align: str | None = None) -> str:
    """A markdown table; ``align`` is one of l/c/r per column (default: left)."""
    header = [cell(h) for h in header]
    marks = {"l": "---", "c": ":---:", "r": "---:"}
    rule = [marks[a] for a in (align or "l" * len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(rule) + "|"]
    for row in rows:
        cells = [cell(x) for x in row]
        if len(cells) != len(header):
            raise ValueError(f"table row has {len(cells)} cells, header has {len(header)}: {cells}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
