"""np — Learning Neural Networks by Neuron Pursuit (Kumar & Haupt): checkers, experiments, ledger.

One file per statement (``np.lemma8`` → ``lemma8.py``; the gradient-flow statement ``np.lemma6`` → ``lemma6.py``) and
per experiment (``np.fig6`` → ``fig6.py``); the support modules hold the math several of them share (sparse_saddle,
saddle_expansion, h1_ncf, neuron_addition, fig6_task, descent_problems, diagonal, lojasiewicz_saddle, sparse_targets,
sample_complexity, saddle_dynamics, escape_path). Importing this package registers everything.
"""

from theorems.neuron_pursuit import (  # noqa: F401  (importing registers)
    algorithm1,
    fig6,
    fig7,
    fig8,
    fig9,
    fig10,
    fig11,
    figs1_4,
    figs14_15,
    ledger,
    lemma1,
    lemma2,
    lemma3,
    lemma4,
    lemma5,
    lemma6,
    lemma8,
    lemma8_outside,
    lemma9,
    lemma9_sparsity,
    lemma10,
    lemma11,
    lemma12,
    lemma12_decrease,
    lemma13,
    lemma13_outside,
    theorem7,
)
