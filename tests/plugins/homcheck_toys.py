"""Toy checkers whose truth is known and a toy experiment, registered as a plugin (``homcheck --plugin homcheck_toys``)."""

import math
import random

from hypothesis import strategies as st

from verify.checker import Checker, Entry, Evidence, Mutant, register
from verify.experiments import Experiment, ExperimentReport, Outcome, register_experiment


class _Square(Checker):
    title = "x² lies between two bounds"
    source = "toy"
    statement = "lower <= x² <= upper for every x in [-10, 10]"
    lower, upper = 0.0, math.inf
    mutants = [Mutant("x² >= 1", lower=1.0)]

    def hypotheses(self):
        return st.floats(-10, 10)

    def claim(self, x, ctx):
        return Evidence.single(max(0.0, self.lower - x * x, x * x - self.upper), instance=f"x={x}")


@register
class TrueSquare(_Square):
    id = "toy.true"


@register
class FalseSquare(_Square):
    """x² <= 1: false for |x| > 1, so a run saves failing examples in the database."""

    id = "toy.false"
    upper = 1.0


@register
class Undecidable(_Square):
    """Every entry NaN: nothing can be decided, mutants included."""

    id = "toy.nan"

    def claim(self, x, ctx):
        return Evidence([Entry(math.nan, 0.0, True, "nan")], instance=f"x={x}")


@register
class Crashing(_Square):
    """The claim raises on |x| > 10⁻³ (a checker defect, not a verdict); its mutant raises everywhere."""

    id = "toy.crash"

    def claim(self, x, ctx):
        if abs(x) > 1e-3 or self.lower > 0:
            raise ZeroDivisionError("toy defect")
        return super().claim(x, ctx)


@register_experiment
class MeanOfUniforms(Experiment):
    """The mean of n uniform draws is below 1 (always reproduced)."""

    name, title, source = "toy.mean", "a toy figure", "toy Figure 1"
    settings_text = "n draws of U(0, 1)"

    def run(self, scale, seed, device):
        rng = random.Random(seed)
        return [rng.random() for _ in range({"ci": 3, "dev": 10, "paper": 100}[scale])]

    def report(self, result, figure_dir):
        mean = sum(result) / len(result)
        return ExperimentReport(f"mean of {len(result)} draws: {mean:.3f}",
                                outcomes=[Outcome("mean is below 1", "< 1", f"{mean:.3f}", mean < 1)])
