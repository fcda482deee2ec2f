"""Built-in checkers, one module per theorem family; importing this package registers them."""

from theorems import balance, descent, escape_speed, homogeneity, pursuit, rank_one, saddle  # noqa: F401
