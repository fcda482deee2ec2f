"""The catalogue: built-in and plugin checkers and experiments, found through entry points.

The engine never imports ``theorems/``: the built-in package registers itself through the
``homcheck.plugins`` entry-point group in pyproject.toml, and a user's package can do the same
(or be named with ``homcheck --plugin MODULE``). Built-ins load first, so an id clash always
blames the plugin that came second.
"""

from __future__ import annotations

import importlib
import re
from importlib import metadata

from verify.checker import REGISTRY, Checker
from verify.errors import InputError

GROUP = "homcheck.plugins"
_loaded: set[str] = set()


def load_module(name: str, *, what: str = "plugin") -> None:
    """Import ``name`` once (importing registers its checkers); any failure is one InputError line."""
    if name in _loaded:
        return
    _loaded.add(name)
    try:
        importlib.import_module(name)
    except InputError as exc:  # e.g. a duplicate checker id, already worded for the user
        raise InputError(f"{what} {name!r}: {exc}") from None
    except SyntaxError as exc:
        raise InputError(f"{what} {name!r} has a syntax error: {exc.filename}:{exc.lineno}: {exc.msg}") from None
    except ImportError as exc:
        raise InputError(f"cannot import {what} {name!r}: {exc}") from None
    except Exception as exc:  # anything a plugin's import can raise: still one line, no traceback
        raise InputError(f"{what} {name!r} raised on import: {type(exc).__name__}: {exc}") from None


def load_entry_points() -> None:
    """Import every module registered in the ``homcheck.plugins`` group (the built-ins among them)."""
    for ep in sorted(metadata.entry_points(group=GROUP), key=lambda e: (e.name != "builtin", e.name)):
        load_module(ep.value, what=f"entry point {ep.name!r}")


def natural_key(checker_id: str) -> tuple:
    """Sort key with numbers compared as numbers: np.lemma3 < np.lemma12 < np.theorem1."""
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", checker_id))


def catalogue() -> dict[str, Checker]:
    """Every registered checker, in natural id order."""
    load_entry_points()
    return dict(sorted(REGISTRY.items(), key=lambda kv: natural_key(kv[0])))


def select(ids: list[str] | None) -> list[Checker]:
    """Checkers by id (all when ``ids`` is empty); an unknown id is an InputError."""
    known = catalogue()
    if not ids:
        return list(known.values())
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise InputError(f"unknown checker id {', '.join(map(repr, unknown))}; known: {', '.join(known)}")
    return [known[i] for i in ids]
