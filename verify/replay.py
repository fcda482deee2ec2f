"""Counterexamples that can be replayed: the instance pickled, its arrays in an .npz beside it.

A FAIL writes ``<out>/counterexamples/<id>.pkl`` (checker id, seed, profile, homcheck version,
plugin module, the instance object) and ``<id>.npz`` (every numpy array the instance carries,
e.g. the data X and the correlation vector z of an NCF problem). Re-evaluate it with

    homcheck replay reports/counterexamples/<id>.pkl

or in Python:

    from verify import load_counterexample
    print(load_counterexample("reports/counterexamples/<id>.pkl").evaluate())
"""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from verify.checker import Checker, Context, Evidence
from verify.errors import InputError
from verify.files import atomic_write

ARRAY_ATTRIBUTES = ("X", "y", "z", "Y", "Z")  # array-valued properties of instance objects


@dataclass
class SavedCounterexample:
    """A counterexample as saved by a run: enough to re-evaluate the claim on exactly that instance."""

    checker_id: str
    seed: int
    profile: str
    version: str
    plugin: str | None
    instance: Any
    path: Path | None = None

    def checker(self) -> Checker:
        from verify.catalogue import catalogue, load_module

        if self.plugin:
            load_module(self.plugin)
        known = catalogue()
        if self.checker_id not in known:
            raise InputError(f"{self.path}: checker {self.checker_id!r} is not registered (a plugin not loaded?)")
        return known[self.checker_id]

    def evaluate(self, device: Any = "cpu") -> Evidence:
        """Run the checker's claim on the saved instance again."""
        return self.checker().claim(self.instance, Context(device=device, seed=self.seed))

    @property
    def arrays(self) -> dict[str, Any]:
        return instance_arrays(self.instance)


def instance_arrays(instance: Any, prefix: str = "") -> dict[str, Any]:
    """Every numpy array an instance carries: fields of dataclasses and tuples, and X/y/z properties."""
    import numpy as np

    out: dict[str, Any] = {}
    if isinstance(instance, np.ndarray):
        out[prefix or "array"] = instance
    elif isinstance(instance, (tuple, list)):
        for i, part in enumerate(instance):
            out.update(instance_arrays(part, f"{prefix}{i}."))
    elif dataclasses.is_dataclass(instance) and not isinstance(instance, type):
        for f in dataclasses.fields(instance):
            out.update(instance_arrays(getattr(instance, f.name), f"{prefix}{f.name}."))
        for name in ARRAY_ATTRIBUTES:
            value = getattr(instance, name, None)
            if isinstance(value, np.ndarray):
                out[f"{prefix}{name}"] = value
    return {k.rstrip("."): v for k, v in out.items()}


def save_counterexample(checker: Checker, instance: Any, *, seed: int, profile: str, version: str,
                        directory: Path) -> tuple[Path, Path]:
    """Write ``<id>.pkl`` and ``<id>.npz`` under ``directory``; returns their paths."""
    import io

    import numpy as np

    module = type(checker).__module__
    plugin = None if module.split(".")[0] == "theorems" else module
    saved = SavedCounterexample(checker.id, seed, profile, version, plugin, instance)
    pkl = atomic_write(directory / f"{checker.id}.pkl", pickle.dumps(saved))
    buffer = io.BytesIO()
    np.savez(buffer, **instance_arrays(instance))
    npz = atomic_write(directory / f"{checker.id}.npz", buffer.getvalue())
    return pkl, npz


def load_counterexample(path: str | Path) -> SavedCounterexample:
    """Load a counterexample written by a run (InputError when the file is missing or not one)."""
    path = Path(path)
    try:
        saved = pickle.loads(path.read_bytes())
    except FileNotFoundError:
        raise InputError(f"no counterexample file {str(path)!r}") from None
    except Exception as exc:  # unpickling can raise almost anything on a foreign file
        raise InputError(f"{str(path)!r} is not a homcheck counterexample: {type(exc).__name__}: {exc}") from None
    if not isinstance(saved, SavedCounterexample):
        raise InputError(f"{str(path)!r} is not a homcheck counterexample")
    saved.path = path
    return saved


def replay_command(checker: Checker, pkl: Path) -> str:
    module = type(checker).__module__
    plugin = "" if module.split(".")[0] == "theorems" else f"--plugin {module} "
    return f"homcheck {plugin}replay {pkl}"
