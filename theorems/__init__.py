"""Built-in checkers, experiments and claims ledgers: one folder per paper, one file per statement.

The id names the file: ``np.lemma8`` lives in ``theorems/neuron_pursuit/lemma8.py``. Importing
this package (done through the ``homcheck.plugins`` entry point) registers everything.
"""

from theorems import early_directional, neuron_pursuit, saddle_to_saddle, two_homogeneous  # noqa: F401

PAPER_FOLDERS = {
    "np": "neuron_pursuit",  # not "np": numpy's alias
    "edc": "early_directional",
    "dc2": "two_homogeneous",
    "s2s": "saddle_to_saddle",
}
