"""The Markdown report: the generated part of docs/benchmarks.md."""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from bench.config import Config
from bench.machine import describe_machine
from bench.results import Figure, Section, format_value

BEGIN = "<!-- bench/run writes from here -->"
END = "<!-- bench/run writes up to here -->"

_ROOT = Path(__file__).resolve().parents[1]


def write_report(path: Path, config: Config, command: str, sections: Sequence[Section]) -> None:
    """Write the results between the BEGIN and END markers of `path`, keeping the rest.

    A file without the markers gets them, with the results, at its end.
    """
    generated = "\n".join([BEGIN, render(config, command, sections), END])
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        after = rest.split(END, 1)[1]
        text = before + generated + after
    else:
        text = text.rstrip("\n") + "\n\n" + generated + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def render(config: Config, command: str, sections: Sequence[Section]) -> str:
    lines = [
        "",
        f"Produced by `{command}` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"at commit {_commit()}.",
        "",
        "### Machine",
        "",
        *_table(["what", "value"], [list(row) for row in describe_machine()]),
        "",
        f"### Configuration `{config.name}`",
        "",
        *_table(
            ["setting", "value"],
            [[field.name, _setting(getattr(config, field.name))] for field in dataclasses.fields(config)],
        ),
        "",
        "### Summary",
        "",
        *_table(
            ["measure", "figure", "value", "target or floor", "ratio", "met"],
            [_summary_row(section, figure) for section in sections
             for figure in [section.headline, *section.figures]],
        ),
        "",
    ]
    for section in sections:
        lines += [f"### {section.number}. {section.title}", ""]
        lines += _table(section.header, section.rows)
        lines.append("")
        for note in section.notes:
            lines += [note, ""]
    return "\n".join(lines)


def _summary_row(section: Section, figure: Figure) -> list[str]:
    ratio = figure.ratio
    if figure.at_least:
        reference = f"at least {format_value(figure.reference, figure.unit)}"
    elif figure.reference_name == "floor":
        reference = f"floor {format_value(figure.reference, figure.unit)}, at most {figure.max_ratio:g} ×"
    else:
        reference = f"{figure.reference_name} {format_value(figure.reference, figure.unit)}"
    return [
        f"{section.number}. {section.title}",
        figure.label,
        format_value(figure.value, figure.unit),
        reference,
        f"{ratio:.2f}" if ratio is not None else "n/a",
        "yes" if figure.met else "**no**",
    ]


def _setting(value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join(f"{item:,}" for item in value)
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _commit() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=_ROOT, capture_output=True, text=True,
            timeout=10, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=_ROOT,
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit} with uncommitted changes" if dirty else commit
