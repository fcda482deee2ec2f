"""Checks over generated reports, shared by the tests: strict JSON and well-formed markdown tables."""

import json
import re
from pathlib import Path

_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def _reject_constant(name):
    raise ValueError(f"non-strict JSON constant {name}")


def load_strict_json(path: Path) -> dict:
    """Parse with a strict parser: NaN / Infinity are refused."""
    return json.loads(Path(path).read_text(), parse_constant=_reject_constant)


def table_problems(markdown: str) -> list[str]:
    """Rows of markdown tables whose cell count differs from their header's (outside code fences)."""
    problems, header_cells, fenced = [], None, False
    for number, line in enumerate(markdown.splitlines(), 1):
        if line.startswith("```"):
            fenced = not fenced
            continue
        if fenced or not line.startswith("|"):
            header_cells = None
            continue
        cells = len(_CELL_SPLIT.split(line.strip())) - 2
        if header_cells is None:
            header_cells = cells
        elif cells != header_cells:
            problems.append(f"line {number}: {cells} cells, header has {header_cells}: {line[:120]}")
    return problems


def check_report_directory(out: Path) -> None:
    """Every JSON file parses strictly and every markdown table is rectangular."""
    for path in Path(out).rglob("*.json"):
        load_strict_json(path)
    for path in Path(out).rglob("*.md"):
        problems = table_problems(path.read_text())
        assert not problems, f"{path}: {problems}"
