"""Claims ledgers: every numbered statement, table and figure of a paper, and what covers it.

Each paper's folder in ``theorems/`` declares one :class:`Ledger` (its items taken from the
digest in ../shared/spec), registered with :func:`register_ledger`. An item is covered by a
checker (its verdict), reproduced by an experiment (reproduced / not reproduced), or not yet
covered (with a note saying why or what would be needed). ``reports/index.md`` opens with the
coverage per paper, computed from the ledgers and the report files present.
"""

from __future__ import annotations

from dataclasses import dataclass

from verify.errors import InputError

KINDS = ("statement", "table", "figure")


@dataclass(frozen=True)
class Item:
    """One numbered result of a paper: ``label`` as the paper numbers it (``Lemma 3``, ``Figure 6``)."""

    label: str
    kind: str = "statement"
    checker: str | None = None
    experiment: str | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InputError(f"ledger item {self.label!r}: kind must be one of {', '.join(KINDS)}, got {self.kind!r}")


@dataclass(frozen=True)
class Ledger:
    """A paper's ledger: its key (``np``), its title and its items in the paper's order."""

    paper: str
    title: str
    items: tuple[Item, ...]


LEDGERS: dict[str, Ledger] = {}


def register_ledger(ledger: Ledger) -> Ledger:
    if ledger.paper in LEDGERS:
        raise InputError(f"a ledger for paper {ledger.paper!r} is already registered")
    LEDGERS[ledger.paper] = ledger
    return ledger


def ledgers() -> dict[str, Ledger]:
    """Every registered ledger (the entry points register the built-in ones)."""
    from verify.catalogue import load_entry_points

    load_entry_points()
    return dict(LEDGERS)
