"""Measure results: figures compared with their targets, and a table for the report."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured number, compared with its target or floor as value / reference.

    The goal is met when that ratio is at most `max_ratio`, or with `at_least` when it is at
    least 1. A reference of 0 (such as "zero 429s") is met only by a value of 0 and has no
    ratio.
    """

    label: str
    value: float
    unit: str
    reference: float
    reference_name: str = "target"
    max_ratio: float = 1.0
    at_least: bool = False

    @property
    def ratio(self) -> float | None:
        if self.reference == 0:
            return None
        return self.value / self.reference

    @property
    def met(self) -> bool:
        ratio = self.ratio
        if ratio is None:
            return self.value <= 0
        if self.at_least:
            return ratio >= 1.0
        return ratio <= self.max_ratio

    def describe_ratio(self) -> str:
        """Return the ratio in words, such as "0.42 of target" or "1.11 × floor (max 1.2)"."""
        ratio = self.ratio
        if ratio is None:
            return f"{self.reference_name} 0"
        if self.reference_name == "floor":
            return f"{ratio:.2f} × floor (max {self.max_ratio:g})"
        return f"{ratio:.2f} of {self.reference_name}"


@dataclass(slots=True)
class Section:
    """The outcome of one measure: its headline figure, other figures, and a results table."""

    number: int
    title: str
    configuration: str
    headline: Figure
    figures: list[Figure] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Words added to the summary line after the headline, such as a rate with no target.
    summary_extra: str = ""

    @property
    def met(self) -> bool:
        return all(figure.met for figure in [self.headline, *self.figures])

    def summary_line(self) -> str:
        figure = self.headline
        extra = f"; {self.summary_extra}" if self.summary_extra else ""
        return (
            f"{self.number}. {self.title}: {figure.label} = {format_value(figure.value, figure.unit)}"
            f", {figure.describe_ratio()}{extra} -> {'met' if self.met else 'MISSED'}"
        )


def format_value(value: float, unit: str) -> str:
    if unit == "":
        return f"{value:,.0f}" if value == int(value) else f"{value:.2f}"
    if unit in ("s", "ms", "MB", "CPU s", "CPU ms") and not math.isnan(value):
        digits = 3 if abs(value) < 10 else 1
        return f"{value:.{digits}f} {unit}"
    return f"{value:,.1f} {unit}" if value % 1 else f"{value:,.0f} {unit}"


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], percent: int) -> float:
    """Return the `percent`th percentile, interpolated between the nearest samples."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def growth_exponent(sizes: Sequence[int], costs: Sequence[float]) -> float:
    """Return k of cost ∝ size**k between the two largest sizes: 1 is linear growth."""
    (small_size, large_size), (small_cost, large_cost) = sizes[-2:], costs[-2:]
    return math.log(large_cost / small_cost) / math.log(large_size / small_size)
