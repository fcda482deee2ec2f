"""The one place the plotting backend is chosen: Agg (figures are files; no screen needed).

Import ``plt`` from here instead of ``matplotlib.pyplot``, so the backend is set before pyplot loads, and write figures
with :func:`save_figure`.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["plt", "save_figure"]


def save_figure(fig, path: Path, *, dpi: int = 100, tight: bool = True, **savefig_kwargs) -> Path:
    """Lay out (``tight``), write ``fig`` to ``path`` and close it (pyplot keeps every open figure alive); returns path."""
    if tight:
        fig.tight_layout()
    fig.savefig(path, dpi=dpi, **savefig_kwargs)
    plt.close(fig)
    return path
