"""The one place the plotting backend is chosen: Agg (figures are files; no screen needed).

Import ``plt`` from here instead of ``matplotlib.pyplot``, so the backend is set before pyplot loads.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["plt"]
