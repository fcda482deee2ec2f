import os

import torch
from hypothesis import settings

import verify.strategies  # noqa: F401  (registers the profiles ci, dev, thorough)

# `pytest --hypothesis-profile NAME` overrides this default
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# small tensors: one intra-op thread is much faster than oversubscribed ones (see verify/cli.py)
torch.set_num_threads(1)
