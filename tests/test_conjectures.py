"""Checking one's own conjecture: structured families, kkt_points, evidence helpers, checkers as pytest tests."""

import math
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from verify import Activation, FeedForward, kkt_points
from verify.evidence import at_most, rank_at_most, relative, two_resolutions
from verify.profiles import profile
from verify.runner import run_checker
from verify.strategies import DESIGNS, SAMPLERS, TARGETS, datasets, from_arrays, ncf_problems

PLUGINS = Path(__file__).parent / "plugins"
sys.path.insert(0, str(PLUGINS))
import conjectures  # noqa: E402  (the user's conjectures, written with the public API only)


@given(datasets(), st.sampled_from(sorted(TARGETS)))
def test_every_family_gives_finite_data_and_targets_of_the_right_shape(data, target):
    X = data.X
    z = TARGETS[target](X, 2, np.random.default_rng(0))
    assert X.shape == (data.n, data.d) and z.shape == (data.n, 2) and np.isfinite(X).all() and np.isfinite(z).all()


def test_structured_families_have_their_structure():
    rng = np.random.default_rng(0)
    X = SAMPLERS["circle"](rng, 8, 2)
    assert np.allclose(np.linalg.norm(X, axis=1), 1) and np.allclose(X.T @ TARGETS["alternating"](X, 1, rng), 0)
    A = SAMPLERS["antipodal"](rng, 6, 3)
    labels = TARGETS["antipodal_opposite"](A, 1, rng)
    assert np.allclose(A[0::2], -A[1::2]) and np.allclose(labels[0::2], -labels[1::2])
    G = SAMPLERS["gaussian"](rng, 9, 3)
    assert np.allclose(G.T @ TARGETS["orthogonal"](G, 2, rng), 0)
    assert np.linalg.matrix_rank(SAMPLERS["low_rank"](rng, 9, 4)) == 2
    assert len({tuple(r) for r in SAMPLERS["hypercube_subset"](rng, 8, 3)}) == 8
    D = SAMPLERS["duplicated"](rng, 6, 2)
    assert np.allclose(D[0::2], D[1::2])
    assert set(DESIGNS) <= set(SAMPLERS)


@given(ncf_problems(data=from_arrays(np.eye(3), name="identity"), z=[1.0, -1.0, 0.5], depths=(2,), widths=(1, 3)))
def test_own_arrays_become_the_instances_data(problem):
    assert str(problem).count("identity") == 1 and np.allclose(problem.X, np.eye(3))
    assert problem.z.shape == (3, 1)


def test_evidence_helpers():
    assert relative(1.0, 1.0) == 0 and relative(2.0, 1.0) == 0.5
    assert at_most(0.6, 0.5, 0.0, "max ≤ ½").violation > 0 and at_most(0.4, 0.5, 0.0, "ok").violation == 0
    e = two_resolutions(1.01, 1.0001, 1.0, "fit")
    assert e.violation == pytest.approx(1e-4, rel=1e-3) and e.error_floor == pytest.approx(0.0099, rel=1e-3)
    assert rank_at_most([1.0, 1e-3], 1, 1e-10, "W").violation == pytest.approx(1e-3)
    assert rank_at_most([1.0, 1e-12], 1, 1e-10, "W").violation <= 1e-12


def test_kkt_points_finds_the_rank_two_point_of_s2s_example_1():
    j = np.arange(1, 9)
    X = np.stack([np.sin(2 * np.pi * j / 8), np.cos(2 * np.pi * j / 8)], axis=1)
    found = kkt_points(FeedForward((2, 4, 1, 1), Activation(0.0, 1)), X, -((-1.0) ** j), restarts=16, seed=0)
    best = found.points[0]
    assert best.value == pytest.approx(0.5 * 3**-1.5, abs=1e-9)  # speed ½ on ‖θ‖² = 3
    assert best.ranks[0] == 2 and best.certificate == "Clarke" and best.residual < 1e-9
    rank_one = (math.sqrt(2) - 1) * 3**-1.5
    assert any(abs(p.value - rank_one) < 1e-9 for p in found.points)
    assert "distinct certified KKT points" in found.summary()


def test_a_false_conjecture_fails_under_dev_with_a_shrunk_counterexample():
    result = run_checker(conjectures.RankOneConjecture(), profile=profile("dev"), seed=0, with_mutants=False)
    assert result.verdict == "FAIL"
    assert "circle" in result.counterexample.instance and "alternating" in result.counterexample.instance
    assert result.shrink_evaluations > 0


def test_the_true_control_passes_and_kills_its_mutant():
    result = run_checker(conjectures.EulerControl(), profile=profile("ci"), seed=0)
    assert result.verdict == "PASS" and [m.status for m in result.mutants] == ["killed"]


def test_adversarial_refinement_finds_what_draws_miss():
    # the same seed and profile without refinement: every Gaussian z stays below the conjectured cosine
    unrefined = run_checker(conjectures.AlignmentConjecture(), profile=replace(profile("ci"), refinements=0), seed=0,
                            with_mutants=False)
    assert unrefined.verdict == "PASS"
    refined = run_checker(conjectures.AlignmentConjecture(), profile=profile("ci"), seed=0, with_mutants=False)
    assert refined.verdict == "FAIL" and refined.counterexample.instance.startswith("refined (surrogate")
    assert "Adversarial refinement" in refined.method
    # the saved counterexample is the refined instance, with its arrays
    assert refined.counterexample_instance[0].z_array is not None


def _pytest(tmp_path, *args):
    env_path = f"{PLUGINS}:{Path(__file__).parent.parent}"
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args, "--homcheck-out", str(tmp_path / "out")],
                          capture_output=True, text=True, cwd=tmp_path, env={**__import__("os").environ, "PYTHONPATH": env_path})


def test_checkers_run_as_pytest_tests(tmp_path):
    ok = _pytest(tmp_path, "--homcheck", "edc.lemma9", "--hypothesis-profile", "ci")
    assert ok.returncode == 0 and "1 passed" in ok.stdout, ok.stdout + ok.stderr
    bad = _pytest(tmp_path, "--homcheck", "toy.false", "--homcheck-plugin", "homcheck_toys", "--hypothesis-profile", "ci")
    assert bad.returncode == 1 and "counterexample: x=" in bad.stdout and "replay: homcheck" in bad.stdout, bad.stdout


def test_a_checker_class_in_a_test_module_is_collected(tmp_path):
    (tmp_path / "test_mine.py").write_text(
        "from homcheck_toys import TrueSquare\n\nclass TestSquare(TrueSquare):\n    id = 'mine.square'\n")
    done = _pytest(tmp_path, "test_mine.py", "--hypothesis-profile", "ci")
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr
