"""The ``homcheck`` command.

    homcheck list
    homcheck run [IDS...] [--profile ci|dev|thorough] [--seed N] [--device auto|cpu|cuda] [--out DIR]
    homcheck mutants [IDS...] [--profile ...] [--seed N] [--device ...]
    homcheck experiment NAME [--seed N] [--device ...] [--out DIR]     (a paper's experiment, reproduced)

Exit codes: 0 all PASS (mutants: all killed); 1 a FAIL or a surviving mutant; 2 bad usage or
input (one line on stderr); 3 only INCONCLUSIVE results besides PASS.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

import torch
from tqdm import tqdm

from verify.checker import Verdict, catalogue, select
from verify.errors import InputError
from verify.experiments import experiments, get_experiment
from verify.nets import resolve_device
from verify.report import write_report
from verify.runner import run_checker, run_mutants
from verify.strategies import PROFILES, profile_settings


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        raise InputError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="homcheck", description="Property-based verification of theorems on homogeneous neural networks.")
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                        help="import MODULE first (it registers your own checkers)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("list", help="list the catalogue of checkers and experiments")
    exp = sub.add_parser("experiment", help="reproduce one of a paper's experiments and write its report")
    exp.add_argument("name", help="experiment name (see `homcheck list`)")
    exp.add_argument("--seed", type=int, default=0, help="seed of every random choice (default 0)")
    exp.add_argument("--device", default="auto", help="auto, cpu or cuda (default auto)")
    exp.add_argument("--out", default="reports", help="report directory (default reports/)")
    for name, help_text in (("run", "run checkers and write reports"), ("mutants", "check that every mutant is killed")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("ids", nargs="*", help="checker ids (default: all)")
        p.add_argument("--profile", default="dev", help=f"Hypothesis profile: {', '.join(PROFILES)} (default dev)")
        p.add_argument("--seed", type=int, default=0, help="seed of every random choice (default 0)")
        p.add_argument("--device", default="auto", help="auto, cpu or cuda (default auto)")
        p.add_argument("--no-progress", action="store_true", help="no progress bar")
        if name == "run":
            p.add_argument("--out", default="reports", help="report directory (default reports/)")
            p.add_argument("--no-mutants", action="store_true", help="skip the mutants (faster)")
    return parser


def _exit_code(verdicts: list[str]) -> int:
    if any(v == Verdict.FAIL for v in verdicts):
        return 1
    if any(v == Verdict.INCONCLUSIVE for v in verdicts):
        return 3
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        for module in args.plugin:
            try:
                importlib.import_module(module)
            except ImportError as exc:
                raise InputError(f"cannot import plugin {module!r}: {exc}") from None
        if args.command == "list":
            for c in catalogue().values():
                print(f"{c.id:<16} {c.source:<40} {c.title}")
            for name, (_, description) in experiments().items():
                print(f"{name:<16} {'experiment':<40} {description}")
            return 0
        device = resolve_device(args.device)
        if device.type == "cpu":
            # homcheck's tensors are small: one intra-op thread is several times faster than
            # oversubscribed ones (measured 25x on a loaded 2-core machine)
            torch.set_num_threads(1)
        if args.command == "experiment":
            path = get_experiment(args.name)(Path(args.out), args.seed, device)
            print(f"report: {path}")
            return 0
        checkers = select(args.ids)
        profile = profile_settings(args.profile)
    except InputError as exc:
        print(f"homcheck: error: {exc}", file=sys.stderr)
        return 2

    verdicts = []
    if args.command == "mutants":
        for checker in checkers:
            results = run_mutants(checker, profile=profile, seed=args.seed, device=device)
            for m in results:
                print(f"{checker.id:<16} {'killed  ' if m.killed else 'SURVIVED'} {m.name}: {m.detail}")
                verdicts.append(Verdict.PASS if m.killed else Verdict.FAIL)
            if not results:
                print(f"{checker.id:<16} has no mutants: a checker that cannot fail proves nothing")
                verdicts.append(Verdict.FAIL)
        return _exit_code(verdicts)

    out = Path(args.out)
    progress = tqdm(total=len(checkers) * profile.max_examples, unit="instance", disable=args.no_progress or None,
                    file=sys.stderr, leave=False)
    for checker in checkers:
        progress.set_description(checker.id)
        try:
            result = run_checker(checker, profile=profile, profile_name=args.profile, seed=args.seed, device=device,
                                 with_mutants=not args.no_mutants, progress=progress)
        except Exception as exc:  # a defect of that checker: report it, keep the others' results
            tqdm.write(f"{checker.id:<16} CRASHED: {type(exc).__name__}: {exc}", file=sys.stderr)
            verdicts.append(Verdict.FAIL)
            continue
        path = write_report(result, checker, out)
        killed = sum(m.killed for m in result.mutants)
        tqdm.write(f"{checker.id:<16} {result.verdict:<13} {len(result.records):>4} instances, "
                   f"mutants killed {killed}/{len(result.mutants)}, {result.duration_s:6.1f} s  → {path}", file=sys.stderr)
        verdicts.append(result.verdict)
        verdicts += [Verdict.FAIL for m in result.mutants if not m.killed]
    progress.close()
    print(f"index: {out / 'index.md'}")
    return _exit_code(verdicts)


if __name__ == "__main__":
    sys.exit(main())
