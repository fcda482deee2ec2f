from theorems import balance, homogeneity  # noqa: F401
