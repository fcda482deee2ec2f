"""The ``homcheck`` command (see ``homcheck --help``).

Heavy libraries (torch, cvxpy, matplotlib, scikit-learn) are imported only by the commands that
need them, so ``homcheck --help`` answers at once. Bad usage is detected before any work starts
and reported in one line on stderr with exit code 2.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from verify.catalogue import homcheck_version
from verify.errors import InputError
from verify.experiments import DTYPES, SCALES
from verify.profiles import PROFILES, profile
from verify.sweep import SERIAL, Cluster

EXIT_CODES = {
    0: "every verdict PASS (mutants: every mutant killed)",
    1: "a FAIL, or a mutant that survived",
    2: "bad usage or input (one line on stderr)",
    3: "no FAIL and no crash, but some verdict INCONCLUSIVE (or a mutant undecided)",
    4: "a checker crashed (its report holds the traceback; the run went on)",
}
DEVICES = ("auto", "cpu", "cuda")
MAX_SEED = 2**32 - 1


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        raise InputError(message)


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid seed {text!r}: an integer from 0 to {MAX_SEED}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"invalid seed {text!r}: an integer from 0 to {MAX_SEED}")
    return value


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid --workers {text!r}: an integer >= 0") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"invalid --workers {text!r}: an integer >= 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    epilog = "exit codes:\n" + "\n".join(f"  {k}  {v}" for k, v in EXIT_CODES.items())
    profiles = ", ".join(f"{p.name} ({p.max_examples} instances, ≥ {p.min_decided} decided)" for p in PROFILES.values())
    parser = _Parser(prog="homcheck", description="Property-based verification of theorems on homogeneous neural networks.",
                     epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"homcheck {homcheck_version()}")
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                        help="import MODULE after the built-ins (it registers your own checkers)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("list", help="list the catalogue of checkers and experiments")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--seed", type=_seed, default=0, help="seed of every random choice (default 0)")
        p.add_argument("--device", choices=DEVICES, default="auto", help="torch device (default auto: cuda when present)")

    def parallel(p: argparse.ArgumentParser, what: str) -> None:
        p.add_argument("--workers", type=_workers, default=0, metavar="N",
                       help=f"run the {what} on N local Dask worker processes, one thread each (default 0: serially here)")
        p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help=f"run the {what} on the existing Dask cluster at ADDRESS (e.g. tcp://host:8786)")

    for name, help_text in (("run", "run checkers and write reports"), ("mutants", "check that every mutant is killed"),
                            ("verify", "every checker with its mutants and every experiment at the matching scale, "
                                       "on one pool of workers (what `nox -s verify` runs)")):
        p = sub.add_parser(name, help=help_text, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("ids", nargs="*", help="checker ids (default: all)" if name != "verify" else
                       "checker ids and experiment names (default: every checker and every experiment)")
        p.add_argument("--profile", choices=list(PROFILES), default="dev",
                       help=f"Hypothesis profile: {profiles}" + ("; experiments run at scale ci for ci, else dev"
                                                                 if name == "verify" else ""))
        common(p)
        p.add_argument("--out", default="reports", help="report directory (default reports/)")
        p.add_argument("--no-progress", action="store_true", help="no progress bar (the per-checker lines stay)")
        if name in ("run", "verify"):
            p.add_argument("--replay", action="store_true",
                           help="first replay the failing examples saved for this checker, profile and seed (reported apart)")
            parallel(p, "checkers" if name == "run" else "checkers and experiments")
        if name == "run":
            p.add_argument("--no-mutants", action="store_true", help="skip the mutants (faster)")
        if name == "verify":
            p.add_argument("--refresh", action="store_true", help="recompute experiments even when a cached result exists")
    exp = sub.add_parser("experiment", help="reproduce a paper's tables and figures and write their reports")
    exp.add_argument("names", nargs="*", help="experiment names (see `homcheck list`; default: all)")
    exp.add_argument("--scale", choices=SCALES, default="dev",
                     help="ci (seconds), dev (minutes, default) or paper (the paper's settings)")
    common(exp)
    exp.add_argument("--out", default="reports", help="report directory (default reports/)")
    exp.add_argument("--refresh", action="store_true", help="recompute even when a cached result exists")
    exp.add_argument("--dtype", choices=DTYPES, default="float64",
                     help="floating point of the experiments made of independent runs (the sweeps; default float64; "
                          "checkers always run in float64)")
    parallel(exp, "experiments (a sweep experiment: its cells)")
    rep = sub.add_parser("replay", help="re-evaluate a saved counterexample (reports/counterexamples/<id>.pkl)")
    rep.add_argument("path", help="the .pkl file a FAIL wrote")
    rep.add_argument("--device", choices=DEVICES, default="auto", help="torch device (default auto)")
    return parser


def writable_directory(path: str) -> Path:
    """``path`` as a directory this process can write to (created if missing), or an InputError."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {path!r} is a file, not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".homcheck-write-test-"):
            pass
    except OSError as exc:
        raise InputError(f"--out {path!r} is not a writable directory: {exc.strerror or exc}") from None
    return out


def exit_code(verdicts: list[str], mutant_statuses: list[str] = ()) -> int:
    """The exit code of a run (EXIT_CODES): FAIL first, then crashes, then undecided results."""
    if "FAIL" in verdicts or "survived" in mutant_statuses:
        return 1
    if "CRASHED" in verdicts or "crashed" in mutant_statuses:
        return 4
    if "INCONCLUSIVE" in verdicts or "undecided" in mutant_statuses:
        return 3
    return 0


def _say(text: str) -> None:
    """A status line on stderr, terminal or not (through tqdm so a live bar is not torn)."""
    from tqdm import tqdm

    tqdm.write(text, file=sys.stderr)


def _load(plugins: list[str]) -> None:
    from verify.catalogue import load_entry_points, load_module

    load_entry_points()  # built-ins first: a clashing id then blames the plugin
    for module in plugins:
        load_module(module)


def _device(name: str) -> Any:
    import torch

    from verify.nets import resolve_device

    device = resolve_device(name)
    if device.type == "cpu":
        # homcheck's tensors are small: one intra-op thread is several times faster than
        # oversubscribed ones (measured 25x on a loaded 2-core machine)
        torch.set_num_threads(1)
    return device


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:  # `homcheck list | head`: the reader left; nothing to report
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _main(argv: list[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.command in ("run", "mutants", "experiment", "verify"):
            out = writable_directory(args.out)
        if args.command == "list":
            return _list(args.plugin)
        _load(args.plugin)
        if args.command == "replay":
            from verify.replay import load_counterexample

            saved = load_counterexample(args.path)
            checker = saved.checker()
            return _replay(saved, checker, _device(args.device))
        device = _device(args.device)
        if args.command == "experiment":
            from verify.experiments import experiments, get_experiment

            chosen_experiments = [get_experiment(n) for n in args.names] or list(experiments().values())
            if args.dtype != "float64":
                from verify.experiments import check_dtype

                for experiment in chosen_experiments:
                    check_dtype(experiment, args.dtype)
        elif args.command == "verify":
            from verify.catalogue import select
            from verify.experiments import experiments

            known = experiments()
            names = [n for n in args.ids if n in known]
            ids = [i for i in args.ids if i not in known]
            checkers = select(ids) if ids or not args.ids else []
            chosen_experiments = [known[n] for n in names] if args.ids else list(known.values())
            chosen = profile(args.profile)
            args.no_mutants, args.scale = False, "ci" if args.profile == "ci" else "dev"
        else:
            from verify.catalogue import select

            checkers = select(args.ids)
            chosen = profile(args.profile)
    except InputError as exc:
        print(f"homcheck: error: {exc}", file=sys.stderr)
        return 2
    if args.command == "experiment":
        return _experiments(chosen_experiments, args, device, out)
    if args.command == "mutants":
        return _mutants(checkers, chosen, args, device, out)
    if args.command == "verify":
        return _run(checkers, chosen, args, device, out, chosen_experiments)
    return _run(checkers, chosen, args, device, out)


def _list(plugins: list[str]) -> int:
    from verify.catalogue import listing

    rows = listing(plugins)
    w0, w1 = (max(len(r[i]) for r in rows) for i in (0, 1))
    for a, b, c in rows:
        print(f"{a:<{w0}}  {b:<{w1}}  {c}")
    return 0


def _progress_bar(total: int, disabled: bool):
    from tqdm import tqdm

    # disable=None: a bar only on a terminal; the per-checker lines are printed on any stream
    return tqdm(total=total, unit="instance", disable=True if disabled else None, file=sys.stderr, leave=False)


@dataclass(frozen=True)
class CheckerDone:
    """What one checker's run sends back to the CLI (small and picklable: the reports are already written)."""

    id: str
    verdict: str
    statuses: tuple[str, ...]
    line: str
    crash: str | None


@dataclass
class ExperimentDone:
    """What one experiment's run sends back to the CLI: its reproduction status and the line to print."""

    name: str
    status: str
    line: str


def run_one_checker(checker_id: str, profile_name: str, seed: int, device: Any, out: Path, replay: bool, with_mutants: bool,
                    run_id: str, plugins: tuple[str, ...] = (), sys_path: tuple[str, ...] = (),
                    progress: Callable[[int], None] | None = None) -> CheckerDone:
    """Run one checker and write its report: in this process, or in a Dask worker (which loads the catalogue,
    with the same plugins and import path, first)."""
    from verify.catalogue import select
    from verify.report import write_report
    from verify.runner import Crash, crashed_result, run_checker

    sys.path[:0] = [p for p in sys_path if p not in sys.path]
    _load(list(plugins))
    checker, chosen = select([checker_id])[0], profile(profile_name)
    t0 = time.perf_counter()
    try:
        result = run_checker(checker, profile=chosen, seed=seed, device=device, database=out / ".hypothesis",
                             replay=replay, with_mutants=with_mutants, progress=progress)
    except Exception as exc:  # a defect of that checker outside its claim: report it, go on
        result = crashed_result(checker, profile=chosen, seed=seed, device=device, exc=exc, stage="the run",
                                seconds=time.perf_counter() - t0)
    try:
        written = write_report(result, checker, out, run_id)
    except Exception as exc:  # the checker's report section raised
        import traceback

        result.notes.append(f"verdict before the report section crashed: {result.verdict}")
        result.verdict = "CRASHED"
        result.crash = Crash("(none: the report section raised)", f"{type(exc).__name__}: {exc}", traceback.format_exc())
        written = write_report(result, checker, out, run_id)
    killed = sum(m.killed for m in result.mutants)
    line = (f"{checker.id:<16} {result.verdict:<13} {len(result.records)} distinct instances ({result.n_passed} passed), "
            f"{result.n_entries} entries ({result.n_entries_decided} decided), mutants killed {killed}/{len(result.mutants)}, "
            f"{result.duration_s:.1f} s + report {written.seconds:.1f} s → {written.markdown}")
    return CheckerDone(checker.id, result.verdict, tuple(m.status for m in result.mutants), line,
                       result.crash.error if result.crash is not None else None)


def run_one_task(kind: str, *args: Any) -> CheckerDone | ExperimentDone:
    """One task on a worker pool: a checker (:func:`run_one_checker`) or an experiment (:func:`run_one_experiment`)."""
    import warnings

    from hypothesis.errors import HypothesisDeprecationWarning

    # a Dask worker's own threads draw from the global `random` module while Hypothesis generates, which Hypothesis
    # takes for a strategy using it; homcheck's random choices come from seeds (a serial run still shows a real misuse)
    warnings.filterwarnings("ignore", "Do not use the `random` module inside strategies", HypothesisDeprecationWarning)
    return run_one_checker(*args) if kind == "checker" else run_one_experiment(*args)


def expected_seconds(out: Path, name: str, setting: str) -> float:
    """How long a checker (``setting`` = its profile) or an experiment (its scale) took when its report in ``out`` was
    written, for scheduling the longest first; infinity when unknown (an unknown task may be the longest)."""
    import json

    try:
        data = json.loads((out / f"{name}.json").read_text())
    except (OSError, ValueError):
        return float("inf")
    if data.get("kind") == "experiment":
        same = data.get("scale") == setting  # run_s of a cached result is the time it once took
        seconds = data.get("run_s", 0.0) + data.get("report_s", 0.0)
    else:
        same = data.get("profile") == setting
        seconds = data.get("duration_s", 0.0) + data.get("report_s", 0.0)
    return float(seconds) if same and isinstance(seconds, (int, float)) else float("inf")


def _run(checkers: list, chosen, args, device, out: Path, experiments: list = ()) -> int:
    """``homcheck run`` (checkers) and ``homcheck verify`` (checkers and ``experiments`` at ``args.scale``, one pool)."""
    from verify.report import RunManifest, new_run_id, write_index
    from verify.runner import versions
    from verify.sweep import run_tasks

    with_mutants = not args.no_mutants
    cluster = Cluster(args.workers, args.scheduler)
    manifest = RunManifest(new_run_id(), args.command, [c.id for c in checkers] + [e.name for e in experiments], chosen.name,
                           args.seed, str(device), versions(), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    manifest.write(out)
    t_run = time.perf_counter()
    verdicts, statuses = [], []
    crashed_experiments = False

    def experiment_done(outcome) -> None:
        nonlocal crashed_experiments
        if outcome.ok:
            _say(outcome.value.line)
            manifest.results[outcome.key] = outcome.value.status
        else:  # a defect of that experiment: say so, go on with the others
            _say(f"{outcome.key:<16} CRASHED: {outcome.error}")
            crashed_experiments = True

    def finished(done: CheckerDone) -> None:
        _say(done.line)
        if done.crash is not None:
            _say(f"{done.id:<16} crash: {done.crash}")
        verdicts.append(done.verdict)
        statuses.extend(done.statuses)
        manifest.results[done.id] = done.verdict

    if cluster.serial:
        bar = _progress_bar(sum(chosen.max_examples * (1 + (len(c.mutants) if with_mutants else 0)) for c in checkers),
                            args.no_progress)
        for checker in checkers:
            n_mut = len(checker.mutants) if with_mutants else 0
            _say(f"{checker.id:<16} started: {chosen.max_examples} instances" + (f" + {n_mut} mutants" if n_mut else ""))
            bar.set_description(checker.id)
            finished(run_one_checker(checker.id, chosen.name, args.seed, device, out, args.replay, with_mutants,
                                     manifest.run_id, progress=bar.update))
        bar.close()
        for experiment in experiments:
            _say(f"{experiment.name:<16} started at scale {args.scale}")
            run_tasks(run_one_experiment, {experiment.name: (experiment.name, args.scale, args.seed, device, out,
                                                             args.refresh)}, cluster, on_done=experiment_done)
    else:
        what = f"{len(checkers)} checkers" + (f" and {len(experiments)} experiments" if experiments else "")
        _say(f"{what} on {cluster.describe()}")
        bar = _progress_bar(len(checkers) + len(experiments), args.no_progress)
        shared = (args.seed, str(device), out.resolve())
        tasks = {c.id: ("checker", c.id, chosen.name, *shared, args.replay, with_mutants, manifest.run_id, tuple(args.plugin),
                        tuple(sys.path)) for c in checkers}
        tasks |= {e.name: ("experiment", e.name, args.scale, *shared, args.refresh, tuple(args.plugin), tuple(sys.path))
                  for e in experiments}
        # longest first (by the reports already in --out): the pool then ends with short tasks, not one long one;
        # unknown ones first, experiments (whole reproductions, usually the longest) before checkers
        order = sorted(tasks, key=lambda key: (-expected_seconds(out, key, tasks[key][2]), tasks[key][0] == "checker"))

        def collected(outcome) -> None:
            bar.update(1)
            if tasks[outcome.key][0] == "experiment":
                experiment_done(outcome)
            elif outcome.ok:
                finished(outcome.value)
            else:  # the worker itself failed (not the checker: its crashes come back as CRASHED reports)
                finished(CheckerDone(outcome.key, "CRASHED", (), f"{outcome.key:<16} CRASHED in its worker", outcome.error))

        run_tasks(run_one_task, {key: tasks[key] for key in order}, cluster, on_done=collected)
        bar.close()
    if experiments:
        write_index(out)
    manifest.finished = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    manifest.duration_s = round(time.perf_counter() - t_run, 3)
    manifest.write(out)
    print(f"index: {out / 'index.md'} (run {manifest.run_id}, {manifest.duration_s:.1f} s)")
    code = exit_code(verdicts, statuses)
    return 4 if crashed_experiments and code in (0, 3) else code


def run_one_experiment(name: str, scale: str, seed: int, device: Any, out: Path, refresh: bool,
                       plugins: tuple[str, ...] = (), sys_path: tuple[str, ...] = (), cluster: Cluster = SERIAL,
                       dtype: str = "float64") -> ExperimentDone:
    """Run one experiment and write its report (here or in a Dask worker; a sweep's cells on ``cluster``)."""
    from verify.experiments import get_experiment, run_experiment

    sys.path[:0] = [p for p in sys_path if p not in sys.path]
    _load(list(plugins))
    done = run_experiment(get_experiment(name), scale=scale, seed=seed, device=device, out_dir=out, refresh=refresh,
                          cluster=cluster, dtype=dtype, say=_say)
    return ExperimentDone(name, done.status, f"{name:<16} {done.status}: computing {done.run_s:.1f} s"
                          + (" (cached)" if done.cached else "") + f" + report {done.report_s:.1f} s → {done.markdown}")


def _experiments(chosen: list, args, device, out: Path) -> int:
    """``homcheck experiment``: a sweep experiment runs here with its cells on the cluster; the others are tasks on it."""
    from verify.experiments import SweepExperiment
    from verify.report import write_index
    from verify.sweep import run_tasks

    cluster = Cluster(args.workers, args.scheduler)
    sweeps = [exp for exp in chosen if isinstance(exp, SweepExperiment)]
    chosen = [exp for exp in chosen if not isinstance(exp, SweepExperiment)]
    if not cluster.serial and chosen:
        _say(f"{len(chosen)} experiments on {cluster.describe()}")
    tasks = {exp.name: (exp.name, args.scale, args.seed, str(device) if not cluster.serial else device, out.resolve(),
                        args.refresh, tuple(args.plugin), tuple(sys.path)) for exp in chosen}
    crashed = False

    def collected(outcome) -> None:
        nonlocal crashed
        if outcome.ok:
            _say(outcome.value.line)
        else:  # a defect of that experiment: say so, go on with the others
            _say(f"{outcome.key:<16} CRASHED: {outcome.error}")
            crashed = True

    if cluster.serial:
        for key, task in tasks.items():
            _say(f"{key:<16} started at scale {args.scale}")
            run_tasks(run_one_experiment, {key: task}, cluster, on_done=collected)
    elif tasks:
        run_tasks(run_one_experiment, tasks, cluster, on_done=collected)
    for exp in sweeps:
        _say(f"{exp.name:<16} started at scale {args.scale}: its cells {cluster.describe()}, {args.dtype}")
        collected(run_tasks(run_one_experiment, {exp.name: (exp.name, args.scale, args.seed, device, out.resolve(), args.refresh,
                                                            tuple(args.plugin), tuple(sys.path), cluster, args.dtype)})[0])
    write_index(out)
    print(f"index: {out / 'index.md'}")
    return 4 if crashed else 0


def _mutants(checkers: list, chosen, args, device, out: Path) -> int:
    from verify.files import atomic_write
    from verify.runner import run_mutants

    bar = _progress_bar(sum(chosen.max_examples * len(c.mutants) for c in checkers), args.no_progress)
    statuses = []
    for checker in checkers:
        _say(f"{checker.id:<16} started: {len(checker.mutants)} mutants")
        t0 = time.perf_counter()
        results = run_mutants(checker, profile=chosen, seed=args.seed, device=device, progress=bar.update)
        for m in results:
            print(f"{checker.id:<16} {m.status:<9} {m.name}: {m.detail}")
            if m.status == "crashed":
                path = atomic_write(out / "crashes" / f"{checker.id}.{_slug(m.name)}.txt", f"{m.name}\n{m.detail}\n{m.traceback}")
                _say(f"{checker.id:<16} mutant {m.name!r} crashed; traceback in {path}")
        statuses += [m.status for m in results]
        _say(f"{checker.id:<16} done: killed {sum(m.killed for m in results)}/{len(results)}, {time.perf_counter() - t0:.1f} s")
    bar.close()
    return exit_code([], statuses)


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text).strip("-")


def _replay(saved, checker, device) -> int:
    from verify.checker import Context
    from verify.runner import record
    from verify.tables import fmt

    t0 = time.perf_counter()
    try:
        evidence = checker.claim(saved.instance, Context(device=device, seed=saved.seed))
        rec = record(checker, evidence, saved.instance, time.perf_counter() - t0)
    except Exception as exc:  # the checker's defect, not the user's: one line, exit 4
        print(f"homcheck: {checker.id} crashed on the saved instance: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 4
    print(f"{checker.id}: {rec.verdict} on {rec.instance}")
    for entry in evidence.entries:
        verdict = checker.decide_entry(entry)
        print(f"  {verdict.value:<13} {entry.label or '(entry)'}: violation {fmt(entry.violation)}, "
              f"error floor {fmt(entry.error_floor)}, bound {fmt(checker.bound(entry.error_floor))}")
    return exit_code([rec.verdict])


if __name__ == "__main__":
    sys.exit(main())
