"""The command line of `nanobanana-bot` and `python -m bot`: `run` (the default), `check` and
`task`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot import __version__
from bot.check import report_invalid_settings, run_check
from bot.exit_status import EXIT_USAGE
from bot.logs import configure_logging
from bot.serve import serve
from bot.settings import Settings, SettingsError, load_settings
from bot.task_lookup import show_task

_SETTINGS_HELP = (
    "Settings come from environment variables and from a .env file in the current folder; "
    "a variable set in the environment wins. .env.example lists them all."
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nanobanana-bot",
        description=(
            "Telegram bot that shows the results of Nano Banana image generations on AceData "
            "Cloud. Without a command, it runs the bot."
        ),
        epilog=_SETTINGS_HELP,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "run",
        help="run the bot until SIGINT or SIGTERM (the default)",
        description=(
            "Run the bot until it gets SIGINT or SIGTERM. It receives updates by long polling, "
            "or by webhook when WEBHOOK_URL is set. Exit status 2 means a missing or invalid "
            "setting, 1 another failure at start."
        ),
        epilog=_SETTINGS_HELP,
    )
    commands.add_parser(
        "check",
        help="check the settings and the connections to the Bot API and the task API",
        description=(
            "Check the settings, call getMe on the Bot API, and retrieve a well-formed unknown "
            "task id from the task API. Prints one PASS, FAIL or SKIP line per check, each "
            "failure with its fix. Exit status 0 when all pass, 2 for invalid settings, 1 "
            "for another failure."
        ),
        epilog=_SETTINGS_HELP,
    )
    task = commands.add_parser(
        "task",
        help="print a task's state and image URLs",
        description=(
            "Look up one task with the task API and print its state, prompt and image URLs. "
            "Exit status 0 when the task was found, 1 when it was not found or the API call "
            "failed, 2 for an invalid id or invalid settings."
        ),
        epilog=_SETTINGS_HELP,
    )
    task.add_argument(
        "task_id",
        metavar="TASK_ID",
        help="the task_id that the Nano Banana API returned, a UUID",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, run the command and return the exit status."""
    arguments = build_parser().parse_args(argv)
    command = arguments.command or "run"

    try:
        settings = load_settings()
    except SettingsError as error:
        if command == "check":
            return report_invalid_settings(error.lines)
        for line in error.lines:
            print(f"nanobanana-bot: {line}", file=sys.stderr)
        return EXIT_USAGE

    if command == "run":
        return serve(settings)

    _configure_command_logging(settings)
    if command == "check":
        return run_check(settings)
    return show_task(settings, arguments.task_id)


def _configure_command_logging(settings: Settings) -> None:
    # The output of `check` and `task` already names each failure, so their logs show only
    # errors, or everything at LOG_LEVEL=DEBUG.
    level = "DEBUG" if settings.log_level == "DEBUG" else "ERROR"
    configure_logging(
        level,
        secrets=[
            settings.telegram_bot_token.get_secret_value(),
            settings.acedata_api_token.get_secret_value(),
        ],
    )
