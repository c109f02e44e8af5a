"""Run the benchmarks: `bench/run --help` lists the options."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import shlex
import sys
import tempfile
import time
from pathlib import Path

from bench.config import CONFIGS
from bench.context import BenchContext, LogCounter
from bench.fakes import FakeServers
from bench.measures import burst, commands, latency, memory, polling, watching
from bench.report import write_report
from bench.results import Section

# Exit status when the run completed but a figure missed its target; 1 is a failed run.
EXIT_TARGET_MISSED = 3

MEASURES = {
    "polling": polling.run,
    "latency": latency.run,
    "burst": burst.run,
    "commands": commands.run,
    "memory": memory.run,
    "watch": watching.run,
}


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/run",
        description="Run the real bot against the fake Bot API and task API on 127.0.0.1 and "
        "print one line per measure with its ratio to the target.",
        epilog=f"Exit status: 0 when every figure met its target, {EXIT_TARGET_MISSED} when "
        "one missed it, 1 when the run failed, 2 for invalid options.",
    )
    parser.add_argument(
        "--size", choices=sorted(CONFIGS), default="small",
        help="the configuration: smoke (about 10 s), small (about a minute, the default) or "
        "large (100 000 watches, a 1000-task burst; about 10 minutes)",
    )
    parser.add_argument(
        "--latency-ms", type=float, default=None,
        help="milliseconds both fakes add to each response but getUpdates, instead of the "
        "configuration's own",
    )
    parser.add_argument(
        "--measures", default=",".join(MEASURES),
        help=f"comma-separated measures to run, from {', '.join(MEASURES)} (default: all)",
    )
    parser.add_argument(
        "--output", type=Path, default=None,
        help="write the results into this Markdown file, such as docs/benchmarks.md, "
        "between its bench/run markers",
    )
    parser.add_argument(
        "--log", type=Path, default=None,
        help="write the bot's log lines (INFO and above) to this file; default: a file in the "
        "scratch folder, deleted at exit",
    )
    arguments = parser.parse_args(argv)
    unknown = [name for name in arguments.measures.split(",") if name not in MEASURES]
    if unknown:
        parser.error(f"unknown measure {unknown[0]!r}: choose from {', '.join(MEASURES)}")
    return arguments


async def run(arguments: argparse.Namespace, workdir: Path) -> list[Section]:
    config = CONFIGS[arguments.size]
    if arguments.latency_ms is not None:
        config = dataclasses.replace(config, latency_seconds=arguments.latency_ms / 1000)

    log = LogCounter()
    log_path = arguments.log or workdir / "bot.log"
    _configure_logging(log, log_path)
    print(f"bench: configuration {config.name}, added latency "
          f"{config.latency_seconds * 1000:g} ms, bot log in {log_path}", flush=True)

    sections = []
    async with FakeServers() as fakes:
        await fakes.request("configure", latency=config.latency_seconds)
        context = BenchContext(config, fakes, workdir, log)
        for name in arguments.measures.split(","):
            started = time.monotonic()
            section = await MEASURES[name](context)
            print(f"{section.summary_line()} [{time.monotonic() - started:.0f} s]", flush=True)
            sections.append(section)
    return sections


def _configure_logging(counter: LogCounter, path: Path) -> None:
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler, counter]
    root.setLevel(logging.INFO)
    for name in ("httpx", "httpcore", "apscheduler", "aiosqlite", "aiohttp.access"):
        logging.getLogger(name).setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    with tempfile.TemporaryDirectory(prefix="nanobanana-bench-") as scratch:
        sections = asyncio.run(run(arguments, Path(scratch)))
    if arguments.output is not None:
        command = "bench/run " + shlex.join(sys.argv[1:] if argv is None else argv)
        write_report(arguments.output, CONFIGS[arguments.size], command.strip(), sections)
        print(f"bench: results written to {arguments.output}")
    return 0 if all(section.met for section in sections) else EXIT_TARGET_MISSED


if __name__ == "__main__":
    sys.exit(main())
