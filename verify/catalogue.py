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


def source_stamp(module: str) -> list:
    """(path, mtime, size) of every source file of ``module``, found without importing it."""
    import importlib.util
    from pathlib import Path

    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin is None:
        return [module, None]  # not findable: never cached (listing() then imports and reports the error)
    files = ([Path(spec.origin)] if not spec.submodule_search_locations
             else sorted(p for d in spec.submodule_search_locations for p in Path(d).rglob("*.py")))
    return [[str(p), p.stat().st_mtime_ns, p.stat().st_size] for p in files]


def listing(plugins: list[str]) -> list[tuple[str, str, str]]:
    """(id, source, title) of every checker, then (name, "experiment", description) of every experiment.

    Cached in the user cache directory, keyed by the homcheck version and the size and time stamps
    of every source file of the registered modules and plugins, so ``homcheck list`` need not
    import torch; any change to those files (or a new plugin) rebuilds it by importing them.
    """
    import hashlib
    import json
    from pathlib import Path

    import platformdirs

    from verify.files import atomic_write

    modules = sorted({ep.value for ep in metadata.entry_points(group=GROUP)} | {"verify"}) + list(plugins)
    stamps = [source_stamp(m) for m in modules]
    cacheable = all(s[-1] is not None for s in stamps)
    key = hashlib.sha256(json.dumps([homcheck_version(), modules, stamps]).encode()).hexdigest()[:24]
    cache = Path(platformdirs.user_cache_dir("homcheck")) / f"catalogue-{key}.json"
    if cacheable and cache.is_file():
        try:
            return [tuple(row) for row in json.loads(cache.read_text())]
        except (OSError, json.JSONDecodeError):
            pass
    load_entry_points()  # built-ins first: a clashing id then blames the plugin
    for module in plugins:
        load_module(module)
    from verify.experiments import experiments

    rows = [(c.id, c.source, c.title) for c in catalogue().values()]
    rows += [(name, "experiment", exp.title) for name, exp in experiments().items()]
    if cacheable:
        try:
            atomic_write(cache, json.dumps(rows))
        except OSError:  # a read-only cache directory only costs speed
            pass
    return rows


def homcheck_version() -> str:
    """The installed homcheck version (cache keys, ``--version``)."""
    try:
        return metadata.version("homcheck")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"
