"""Start the bot: `python -m bot` or `nanobanana-bot`."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import sys

from telegram.error import InvalidToken, NetworkError

from bot.app import build_application
from bot.callbacks import CallbackListenError, callback_secret
from bot.logs import configure_logging
from bot.runner import run_until_stopped
from bot.settings import SettingsError, load_settings
from bot.storage import DatabaseInUseError

logger = logging.getLogger("bot")

# Exit status for a missing or invalid setting, as for a command-line usage error.
EXIT_SETTINGS = 2
# Exit status for a failure outside the bot's settings: the Bot API out of reach, or the
# database held by another process.
EXIT_UNAVAILABLE = 1


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as error:
        for line in error.lines:
            print(f"nanobanana-bot: {line}", file=sys.stderr)
        return EXIT_SETTINGS

    configure_logging(
        settings.log_level,
        secrets=[
            settings.telegram_bot_token.get_secret_value(),
            settings.acedata_api_token.get_secret_value(),
            callback_secret(settings.telegram_bot_token.get_secret_value()),
        ],
    )
    application = build_application(settings)

    try:
        asyncio.run(run_until_stopped(application))
    except InvalidToken:
        print(
            "nanobanana-bot: The Bot API rejected TELEGRAM_BOT_TOKEN. Copy the token again "
            "from @BotFather into the environment or the .env file.",
            file=sys.stderr,
        )
        return EXIT_SETTINGS
    except CallbackListenError as error:
        print(
            f"nanobanana-bot: {error}. Set CREATE_CALLBACK_PORT to a free port, or leave "
            "CREATE_CALLBACK_URL empty.",
            file=sys.stderr,
        )
        return EXIT_UNAVAILABLE
    except DatabaseInUseError as error:
        print(
            f"nanobanana-bot: Not started: {error}. Stop the other process first, or give "
            "this one another DATABASE_PATH.",
            file=sys.stderr,
        )
        return EXIT_UNAVAILABLE
    except (OSError, sqlite3.Error) as error:
        print(
            f"nanobanana-bot: Could not open the database {settings.database_path}: {error}. "
            "Check DATABASE_PATH and the folder's permissions.",
            file=sys.stderr,
        )
        return EXIT_SETTINGS
    except NetworkError as error:
        print(
            f"nanobanana-bot: Could not reach the Bot API at {settings.telegram_api_base_url}: "
            f"{error}. Check TELEGRAM_API_BASE_URL and the network.",
            file=sys.stderr,
        )
        return EXIT_UNAVAILABLE
    return 0


if __name__ == "__main__":
    sys.exit(main())
