"""Independent tasks — checkers, experiments, the cells of a sweep — on Dask distributed, or serially.

Paper-agnostic. A task is a picklable function and its arguments; only configurations and seeds travel
(never tensors), so a task computes the same thing wherever it runs.

* ``Cluster(workers=0)``: serially in this process (the tests' and CI's path).
* ``Cluster(workers=N)``: a ``distributed.LocalCluster`` of N worker processes with one thread each
  (torch single-threaded inside: homcheck's tensors are small, and oversubscribed threads are
  several times slower on a loaded machine).
* ``Cluster(scheduler="tcp://host:8786")``: an existing Dask cluster.

Every task's outcome — its value, or the exception and traceback it raised — comes back as a
:class:`TaskOutcome` through ``on_done`` as soon as it finishes (``as_completed``); a task that
raises does not stop the others.

:func:`run_sweep` adds resumption: each finished cell is appended to a JSON-lines file as one line, so
an interrupted sweep resumes where it stopped and a finished one is not recomputed.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from verify.errors import InputError


def run_seed(*parts: object) -> int:
    """The seed of one run of a sweep, from the experiment's ``--seed`` and what names the run (target, n, run index …):
    32 bits of SHA-256 of the parts joined by "/", the same on every machine and Python (``hash`` is salted)."""
    return int.from_bytes(hashlib.sha256("/".join(map(str, parts)).encode()).digest()[:4], "little")


@dataclass(frozen=True)
class Cluster:
    """Where tasks run: ``workers`` local processes (0: serially here), or an existing ``scheduler``."""

    workers: int = 0
    scheduler: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.workers, int) or self.workers < 0:
            raise InputError(f"workers must be an integer >= 0, got {self.workers!r}")

    @property
    def serial(self) -> bool:
        return self.workers == 0 and self.scheduler is None

    def describe(self) -> str:
        if self.scheduler:
            return f"the Dask cluster at {self.scheduler}"
        return "serially in this process" if self.serial else f"{self.workers} local Dask worker processes (1 thread each)"


SERIAL = Cluster()  # the default: serially in this process


@dataclass
class TaskOutcome:
    """One finished task: its key, its value or the error it raised (with traceback), its wall time."""

    key: str
    value: Any = None
    error: str | None = None
    traceback: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


def _guarded(key: str, fn: Callable[..., Any], args: tuple) -> TaskOutcome:
    """Run one task single-threaded and turn an exception into an outcome (the sweep goes on)."""
    import torch

    torch.set_num_threads(1)
    t0 = time.perf_counter()
    try:
        return TaskOutcome(key, fn(*args), seconds=time.perf_counter() - t0)
    except Exception as exc:
        return TaskOutcome(key, None, f"{type(exc).__name__}: {exc}", traceback.format_exc(), time.perf_counter() - t0)


def _import_modules(modules: list[str]) -> None:
    import importlib

    for module in modules:
        importlib.import_module(module)


def check_workers_import(client: Any, modules: list[str]) -> None:
    """Import ``modules`` (the tasks' code) on every worker first. A worker that cannot import a task's code dies while
    unpickling the task and the nanny starts it again, so without this check a sweep waits for ever; with it, the
    run stops before any work with one line (e.g. the checkout was edited while a sweep started: run long sweeps
    from a checkout, or a ``git worktree``, that you do not edit)."""
    try:
        client.run(_import_modules, modules)
    except Exception as exc:
        raise InputError(f"the Dask workers cannot import {', '.join(modules)}: {type(exc).__name__}: {exc}") from None


def run_tasks(fn: Callable[..., Any], tasks: dict[str, tuple], cluster: Cluster = SERIAL, *,
              on_done: Callable[[TaskOutcome], None] | None = None) -> list[TaskOutcome]:
    """Run ``fn(*args)`` for every ``key → args`` of ``tasks`` on ``cluster``; outcomes in completion order."""
    outcomes: list[TaskOutcome] = []

    def done(outcome: TaskOutcome) -> None:
        outcomes.append(outcome)
        if on_done is not None:
            on_done(outcome)

    if cluster.serial:
        for key, args in tasks.items():
            done(_guarded(key, fn, args))
        return outcomes

    import logging

    from distributed import Client, LocalCluster, as_completed

    # the nanny's notices (a worker killed at shutdown, ports) are not the user's business
    logging.getLogger("distributed").setLevel(logging.ERROR)
    if cluster.scheduler:
        client_cm = Client(cluster.scheduler)
        local = None
    else:
        local = LocalCluster(n_workers=min(cluster.workers, max(len(tasks), 1)), threads_per_worker=1, processes=True,
                             dashboard_address=None)
        client_cm = Client(local)
    try:
        with client_cm as client:
            check_workers_import(client, sorted({fn.__module__} | {a.__module__ for args in tasks.values() for a in args
                                                                    if callable(a) and hasattr(a, "__module__")}))
            futures = [client.submit(_guarded, key, fn, args, key=f"homcheck-{key}-{time.monotonic_ns()}", pure=False)
                       for key, args in tasks.items()]
            for future in as_completed(futures):
                done(future.result())
    finally:
        if local is not None:
            local.close()
    return outcomes


# ------------------------------------------------------------------------------------------------
# sweeps: cells recorded as JSON lines, resumed after an interruption
# ------------------------------------------------------------------------------------------------

def load_cells(path: Path) -> dict[str, dict]:
    """The cells a sweep file holds (key → record); a torn last line (an interrupted write) is ignored."""
    cells: dict[str, dict] = {}
    if not Path(path).exists():
        return cells
    for line in Path(path).read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        cells[record["key"]] = record
    return cells


def _append(path: Path, record: dict) -> None:
    with open(path, "a+b") as f:
        f.seek(0, os.SEEK_END)
        if f.tell() > 0:
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":  # a torn line from an interrupted write: end it, it is ignored on load
                f.write(b"\n")
        f.write((json.dumps(record, allow_nan=False) + "\n").encode())
        f.flush()
        os.fsync(f.fileno())


def run_sweep(fn: Callable[..., dict], cells: dict[str, tuple], path: Path, cluster: Cluster = SERIAL, *,
              on_done: Callable[[TaskOutcome], None] | None = None, description: str = "cells") -> dict[str, dict]:
    """Run the cells of a sweep not yet in ``path`` and append each as one JSON line as it finishes.

    ``fn(*args)`` returns a JSON-serialisable dict (non-finite floats as None). A cell that raised is recorded
    with its error and traceback (``"ok": false``) and is run again on the next call; the others are not.
    On a terminal a progress bar counts the cells done, failed and remaining. Returns every cell's record,
    finished earlier or now.
    """
    from tqdm import tqdm

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    done = {k: r for k, r in load_cells(path).items() if r.get("ok")}
    todo = {k: args for k, args in cells.items() if k not in done}
    bar = tqdm(total=len(cells), initial=len(cells) - len(todo), desc=description, unit="cell", disable=None, leave=False)
    failed = 0

    def record(outcome: TaskOutcome) -> None:
        nonlocal failed
        rec = {"key": outcome.key, "ok": outcome.ok, "seconds": round(outcome.seconds, 3), "value": outcome.value,
               "error": outcome.error, "traceback": outcome.traceback}
        _append(path, rec)
        done[outcome.key] = rec
        failed += not outcome.ok
        bar.update(1)
        bar.set_postfix(failed=failed)
        if on_done is not None:
            on_done(outcome)

    try:
        run_tasks(fn, todo, cluster, on_done=record)
    finally:
        bar.close()
    return {k: done[k] for k in cells if k in done}

