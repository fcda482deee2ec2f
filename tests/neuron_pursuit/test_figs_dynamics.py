"""np.figs1_4 and np.figs14_15 at scale ci: well-formed reports with the paper's outcomes; the shared measurements."""

import numpy as np
import pytest
import torch

from theorems.neuron_pursuit.figs1_4 import Figs1To4
from theorems.neuron_pursuit.figs14_15 import Figs14To15, deep_linear, squared_relu
from theorems.neuron_pursuit.saddle_dynamics import kkt_cosines, loss_gradient_norm, plateaus
from verify.experiments import experiments, run_experiment
from verify.nets import DTYPE
from verify.saddle import SaddleExpansion

from ..reportcheck import check_report_directory, load_strict_json


@pytest.mark.parametrize("cls,figures", [(Figs1To4, ("Fig. 1", "Fig. 2", "Fig. 3", "Fig. 4")), (Figs14To15, ("Fig. 14", "Fig. 15"))],
                         ids=["figs1_4", "figs14_15"])
def test_experiment_at_scale_ci_writes_a_report_with_every_figures_outcomes(cls, figures, tmp_path):
    assert isinstance(experiments()[cls.name], cls)
    done = run_experiment(cls(), scale="ci", seed=0, device="cpu", out_dir=tmp_path, cache_dir=tmp_path / "cache")
    check_report_directory(tmp_path)
    document = load_strict_json(tmp_path / f"{cls.name}.json")
    assert document["scale"] == "ci" and document["seed"] == 0 and document["status"] == done.status
    assert (tmp_path / f"{cls.name}.md").is_file() and document["figures"]
    for figure in document["figures"]:
        assert (tmp_path / figure).is_file()
    whats = [o["what"] for o in document["outcomes"]]
    for fig in figures:
        assert any(w.startswith(fig) for w in whats), (fig, whats)
    assert all(o["reproduced"] in (True, False, None) and o["ours"] for o in document["outcomes"])


def test_plateaus_finds_the_end_of_the_first_plateau_the_half_drop_and_the_second_plateau():
    losses = np.array([1.0] * 10 + [0.9, 0.6, 0.5] + [0.5] * 10)
    p = plateaus(losses, 1.0, 0.01)
    assert (p.first_end, p.half, p.second, p.window) == (9, 11, 12, 5)
    assert plateaus(np.ones(5), 1.0, 0.01).first_end is None


def test_the_section_d3_saddles_are_critical_points_with_zero_h1_ncf():
    for net, X, Y, w_bar, partition, h2, _ in (deep_linear(0), squared_relu()):
        assert loss_gradient_norm(net, w_bar, X, Y) <= 1e-12
        ybar = Y - net(w_bar, X)
        u = torch.randn(8, partition.n_wz, generator=torch.Generator().manual_seed(1), dtype=DTYPE)
        assert float(SaddleExpansion(partition, partition.split(w_bar)[0], X).ncf_objective(ybar)(u).abs().max()) <= 1e-12
        assert float(h2(u).abs().max()) > 0  # the second-order term does not vanish


def test_kkt_cosine_is_one_at_a_kkt_point_of_the_deep_linear_h2_ncf():
    net, X, Y, w_bar, partition, h2, _ = deep_linear(0)
    S_bar = (Y - net(w_bar, X)).T  # ⟨S̄, B_3C_2A_1⟩ is maximised at B_3 = u c, C_2 = c c', A_1 = c' v (top pair of S̄)
    U, s, Vh = torch.linalg.svd(S_bar)
    blocks = partition.blocks(torch.zeros(partition.n_wz, dtype=DTYPE))
    blocks.A[1][0] = Vh[0]
    blocks.C[2][0, 0] = 1.0
    blocks.B[3][:, 0] = U[:, 0]
    w_z = partition.flatten_blocks(blocks)
    assert kkt_cosines(h2, w_z[None])[0] == pytest.approx(1.0, abs=1e-12)
    w_z[0] += 0.3  # off the KKT point
    assert kkt_cosines(h2, w_z[None])[0] < 0.999
