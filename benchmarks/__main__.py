"""Run every benchmark and write reports/bench.md and reports/bench.json."""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

import torch

from benchmarks import flow, ncf_restarts, neuron_pursuit, paper_point, sweeps
from verify.nets import resolve_device

BENCHMARKS = [ncf_restarts, neuron_pursuit, flow, sweeps, paper_point]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", default="reports")
    parser.add_argument("--only", nargs="*", choices=[b.__name__.split(".")[-1] for b in BENCHMARKS],
                        help="run only these benchmarks (default: all)")
    args = parser.parse_args()
    device = resolve_device(args.device)
    sections, data = [], {}
    for bench in BENCHMARKS:
        if args.only and bench.__name__.split(".")[-1] not in args.only:
            continue
        md, numbers = bench.run(device)
        sections.append(md)
        data.update(numbers)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    header = (f"# homcheck benchmarks\n\nMachine: {platform.processor() or platform.machine()}, "
              f"{torch.get_num_threads()} torch threads, torch {torch.__version__}, device `{device}`.\n")
    (out / "bench.md").write_text("\n\n".join([header, *sections]) + "\n")
    (out / "bench.json").write_text(json.dumps(data, indent=2))
    print((out / "bench.md").read_text())


if __name__ == "__main__":
    main()
