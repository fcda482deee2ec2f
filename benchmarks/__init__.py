"""Performance measurements, run by `nox -s bench` (python -m benchmarks); results in reports/bench.md."""
