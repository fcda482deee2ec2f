"""dc2.lemmaH1: PASS under ci with its mutants killed (KKT points of both signs are balanced and quantised)."""

from theorems.two_homogeneous.lemmaH1 import OneNeuronKKT

from ..ci_run import passes_ci_with_every_mutant_killed


def test_ci_pass_and_every_mutant_killed():
    result = passes_ci_with_every_mutant_killed(OneNeuronKKT())
    assert all(r.measurements["norm_defect"] < 1e-9 for r in result.records if r.verdict == "PASS")
