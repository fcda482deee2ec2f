"""Experiments: reproductions of a paper's tables and figures (``homcheck experiment NAME``).

Three kinds of code are kept apart (DESIGN.md): a checker decides a statement, an experiment
reproduces a table or figure, and report code formats results it is given. An experiment is
therefore two methods:

* ``run(scale, seed, device)`` — all the numerics, at one of the scales ``ci`` (seconds, for
  tests), ``dev`` (minutes) or ``paper`` (the paper's settings); returns a picklable result,
  cached on disk keyed by (name, scale, seed, homcheck version, source stamp);
* ``report(result, figure_dir)`` — formatting only: markdown, figures, and the paper's stated
  outcomes beside ours (:class:`Outcome`), each reproduced, not reproduced, or undecided.

A :class:`SweepExperiment` is made of independent runs — the cells of a sweep (:mod:`verify.sweep`): its ``run``
also takes the ``cluster`` its cells run on (``--workers`` / ``--scheduler``) and the floating-point ``dtype`` of its
runs (float32 is offered to experiments only; checkers stay float64). Its cells are appended to a JSON-lines file
in the cache (:func:`sweep_path`) as they finish, so an interrupted run keeps them.

The runner (:func:`run_experiment`) writes ``<out>/<name>.md`` and ``<name>.json`` with the
name, scale, seed, device, versions, run and report seconds, and the reproduction status.
Experiments register with :func:`register_experiment`; built-ins through the entry points.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from verify.errors import InputError
from verify.sweep import SERIAL, Cluster, run_seed, run_sweep

SCALES = ("ci", "dev", "paper")
DTYPES = ("float64", "float32")


@dataclass
class Outcome:
    """One outcome the paper states for a table or figure, beside ours.

    reproduced: True / False when our run decides it, None when it cannot (e.g. at scale ci).
    """

    what: str
    paper: str
    ours: str
    reproduced: bool | None
    note: str = ""

    @property
    def status(self) -> str:
        return {True: "reproduced", False: "not reproduced", None: "undecided"}[self.reproduced]


@dataclass
class ExperimentReport:
    """What an experiment's report method returns: markdown body, figure paths, outcomes, data for the JSON."""

    markdown: str
    figures: list[Path] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


def status(outcomes: list[Outcome]) -> str:
    """``reproduced`` when every outcome is, ``not reproduced`` when any is not, else ``undecided``
    (``no stated outcome`` when the paper states none we compare)."""
    if not outcomes:
        return "no stated outcome"
    if any(o.reproduced is False for o in outcomes):
        return "not reproduced"
    if all(o.reproduced is True for o in outcomes):
        return "reproduced"
    return "undecided"


class Experiment:
    """Base class: set name, title, source, settings_text; implement run and report."""

    name: ClassVar[str]
    title: ClassVar[str]
    source: ClassVar[str]
    settings_text: ClassVar[str] = ""  # our settings, each assumption labelled as such

    def run(self, scale: str, seed: int, device: Any) -> Any:
        raise NotImplementedError

    def report(self, result: Any, figure_dir: Path) -> ExperimentReport:
        raise NotImplementedError


class SweepExperiment(Experiment):
    """An experiment whose runs are the cells of a resumable sweep, run on ``cluster`` in ``dtype`` (one of ``dtypes``)."""

    dtypes: ClassVar[tuple[str, ...]] = DTYPES

    def run(self, scale: str, seed: int, device: Any, *, cluster: Cluster = SERIAL, dtype: str = "float64") -> Any:
        raise NotImplementedError

    def sweep_runs(self, fit_run: Callable[..., dict], code: tuple, plan: Any, scale: str, seed: int, device: Any,
                   cluster: Cluster, dtype: str) -> list[RunRecord]:
        """The ``plan.runs`` independent runs of a plan as one sweep: run r is ``fit_run(plan, run_seed(name, seed, r),
        device, dtype)`` with the device's type ("cpu", "cuda": what travels to workers), its sweep file keyed by the
        plan, dtype, device and the source of ``code`` (what computes a run). A run that raised stops the experiment
        with its error (the sweep keeps the others)."""
        device = getattr(device, "type", str(device))
        seeds = [run_seed(self.name, seed, r) for r in range(plan.runs)]
        cells = {f"run={r}": (plan, s, device, dtype) for r, s in enumerate(seeds)}
        done = run_sweep(fit_run, cells, sweep_path(self.name, scale, seed, (plan, dtype, device), code), cluster,
                         description=f"{self.name} runs")
        records = []
        for r, s in enumerate(seeds):
            rec = done[f"run={r}"]
            if not rec["ok"]:
                raise RuntimeError(f"{self.name} run {r} raised: {rec['error']}")
            records.append(RunRecord(s, rec["value"], rec["seconds"]))
        return records


@dataclass(frozen=True)
class RunRecord:
    """One finished run of :meth:`SweepExperiment.sweep_runs`: its seed, what ``fit_run`` returned, and its seconds."""

    seed: int
    value: dict
    seconds: float


EXPERIMENTS: dict[str, Experiment] = {}


def register_experiment(cls: type[Experiment]) -> type[Experiment]:
    """Class decorator: add an experiment to the catalogue under its name."""
    for attr in ("name", "title", "source"):
        if not getattr(cls, attr, ""):
            raise InputError(f"experiment {cls.__module__}.{cls.__qualname__} needs a {attr}")
    if cls.name in EXPERIMENTS:
        other = type(EXPERIMENTS[cls.name])
        raise InputError(f"experiment {cls.name!r} of {cls.__module__} is already registered by {other.__module__}")
    EXPERIMENTS[cls.name] = cls()
    return cls


def experiments() -> dict[str, Experiment]:
    """Every registered experiment (the entry points register the built-in ones), by name."""
    from verify.catalogue import load_entry_points, natural_key

    load_entry_points()
    return dict(sorted(EXPERIMENTS.items(), key=lambda kv: natural_key(kv[0])))


def get_experiment(name: str) -> Experiment:
    known = experiments()
    if name not in known:
        raise InputError(f"unknown experiment {name!r}; known: {', '.join(known) or 'none'}")
    return known[name]


def check_scale(scale: str) -> str:
    if scale not in SCALES:
        raise InputError(f"unknown scale {scale!r}: use one of {', '.join(SCALES)}")
    return scale


def check_dtype(experiment: Experiment, dtype: str) -> str:
    """``dtype`` if ``experiment`` can run in it: every experiment in float64, sweep experiments in float32 too."""
    if dtype not in DTYPES:
        raise InputError(f"unknown dtype {dtype!r}: use one of {', '.join(DTYPES)}")
    if dtype not in getattr(experiment, "dtypes", ("float64",)):
        offered = [e.name for e in EXPERIMENTS.values() if dtype in getattr(e, "dtypes", ("float64",))]
        raise InputError(f"experiment {experiment.name} runs in float64 only; --dtype {dtype} is offered by: "
                         f"{', '.join(offered) or 'none'}")
    return dtype


def cache_path(experiment: Experiment, scale: str, seed: int, cache_dir: Path, dtype: str = "float64") -> Path:
    """Where a result is cached: keyed by name, scale, seed, dtype, homcheck version and the source stamp of the
    experiment's whole package and of the engine (an experiment's result is computed by its support modules too)."""
    import hashlib
    import json

    from verify.catalogue import homcheck_version, source_stamp

    stamp = [source_stamp(type(experiment).__module__.split(".")[0]), source_stamp("verify")]
    key = hashlib.sha256(json.dumps([experiment.name, scale, seed, dtype, homcheck_version(), stamp]).encode()).hexdigest()[:20]
    return cache_dir / experiment.name / f"{scale}-seed{seed}-{dtype}-{key}.pkl"


def sweep_path(name: str, scale: str, seed: int, settings: Any, code: tuple = ()) -> Path:
    """The JSON-lines file of an experiment's sweep in the cache, keyed by the scale, seed, settings (their ``repr``),
    homcheck's version and the source of ``code`` — the modules and functions that compute a cell (not the report's):
    a change to any starts a new sweep."""
    import hashlib
    import inspect
    import json

    from verify.catalogue import homcheck_version

    code = "".join(inspect.getsource(obj) for obj in code).encode()
    key = hashlib.sha256(json.dumps([scale, seed, homcheck_version(), repr(settings)]).encode() + code).hexdigest()[:20]
    return default_cache_dir() / name / f"{scale}-seed{seed}-{key}.jsonl"


def default_cache_dir() -> Path:
    import os

    import platformdirs

    return Path(os.environ.get("HOMCHECK_CACHE") or platformdirs.user_cache_dir("homcheck")) / "experiments"


@dataclass
class ExperimentRun:
    """What :func:`run_experiment` did: report path, status, seconds computing and reporting, cache use."""

    markdown: Path
    status: str
    run_s: float
    report_s: float
    cached: bool


def run_experiment(experiment: Experiment, *, scale: str, seed: int, device: Any, out_dir: Path,
                   cache_dir: Path | None = None, refresh: bool = False, cluster: Cluster = SERIAL,
                   dtype: str = "float64", say: Callable[[str], None] = lambda _: None) -> ExperimentRun:
    """Run (or load from the cache) one experiment and write its report; a sweep experiment's cells run on ``cluster``."""
    from verify.files import atomic_write, dumps_strict
    from verify.runner import versions
    from verify.tables import markdown_table

    check_scale(scale)
    check_dtype(experiment, dtype)
    cache = cache_path(experiment, scale, seed, cache_dir or default_cache_dir(), dtype)
    t0 = time.perf_counter()
    result, cached = None, False
    if cache.is_file() and not refresh:
        try:
            stored = pickle.loads(cache.read_bytes())
            result, run_s, cached = stored["result"], stored["run_s"], True
        except Exception:  # an unreadable cache entry is recomputed
            result = None
    if result is None:
        say(f"{experiment.name}: computing at scale {scale} (seed {seed})")
        if isinstance(experiment, SweepExperiment):
            result = experiment.run(scale, seed, device, cluster=cluster, dtype=dtype)
        else:
            result = experiment.run(scale, seed, device)
        run_s = time.perf_counter() - t0
        atomic_write(cache, pickle.dumps({"result": result, "run_s": run_s}))
    t1 = time.perf_counter()
    fig_dir = out_dir / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    rep = experiment.report(result, fig_dir)
    report_s = time.perf_counter() - t1
    state = status(rep.outcomes)
    figures = [str(Path(f).relative_to(out_dir)) for f in rep.figures]
    head = [
        f"# {experiment.name} — {experiment.title}", "",
        f"**Reproduction: {state}**  ",
        f"Source: {experiment.source}  ",
        f"Scale `{scale}`, seed {seed}, device `{device}`, {dtype}; computing {run_s:.1f} s"
        + (" (loaded from the cache)" if cached else "") + f", report {report_s:.1f} s  ",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in versions().items() if k != "platform"), "",
    ]
    if experiment.settings_text:
        head += ["## Settings", "", experiment.settings_text, ""]
    if rep.outcomes:
        head += ["## The paper's outcomes beside ours", "",
                 markdown_table(["outcome", "paper", "ours", "status", "note"],
                                [(o.what, o.paper, o.ours, o.status, o.note) for o in rep.outcomes]), ""]
    markdown = "\n".join(head + [rep.markdown.rstrip(), ""] + (["## Figures", ""] + [f"![{f}]({f})" for f in figures]
                                                              if figures else [])) + "\n"
    document = {"schema_version": 2, "kind": "experiment", "name": experiment.name, "title": experiment.title,
                "source": experiment.source, "scale": scale, "seed": seed, "device": str(device), "dtype": dtype, "status": state,
                "outcomes": rep.outcomes, "data": rep.data, "run_s": round(run_s, 3), "report_s": round(report_s, 3),
                "cached": cached, "figures": figures, "versions": versions()}
    atomic_write(out_dir / f"{experiment.name}.json", dumps_strict(document))
    path = atomic_write(out_dir / f"{experiment.name}.md", markdown)
    return ExperimentRun(path, state, run_s, report_s, cached)
