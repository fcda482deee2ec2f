import os

import pytest
import torch
from hypothesis import settings

import verify.strategies  # noqa: F401  (registers the profiles ci, dev, thorough)

# `pytest --hypothesis-profile NAME` overrides this default
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# small tensors: one intra-op thread is much faster than oversubscribed ones (see verify/cli.py)
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def private_experiment_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own experiment cache (results and sweep files): nothing leaks between tests or into the
    user's cache, so a test of a sweep computes its cells instead of loading them."""
    monkeypatch.setenv("HOMCHECK_CACHE", str(tmp_path_factory.mktemp("homcheck-cache")))
