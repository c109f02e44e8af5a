"""The `run` command: run the bot until SIGINT or SIGTERM, and explain a failed start in one
line."""

from __future__ import annotations

import asyncio
import sqlite3
import sys

from telegram.error import InvalidToken, NetworkError

from bot.app import build_application
from bot.callbacks import callback_secret
from bot.exit_status import EXIT_FAILURE, EXIT_USAGE
from bot.listening import ListenError
from bot.logs import configure_logging
from bot.runner import run_until_stopped
from bot.settings import Settings
from bot.storage import DatabaseInUseError
from bot.webhook import WebhookRejectedError, webhook_of


def serve(settings: Settings) -> int:
    """Run the bot and return the process's exit status."""
    webhook = webhook_of(settings)
    secrets = [
        settings.telegram_bot_token.get_secret_value(),
        settings.acedata_api_token.get_secret_value(),
        callback_secret(settings.telegram_bot_token.get_secret_value()),
    ]
    if webhook is not None:
        secrets.append(webhook.secret_token)
    configure_logging(settings.log_level, secrets=secrets)
    application = build_application(settings)

    try:
        asyncio.run(run_until_stopped(application, webhook))
    except InvalidToken:
        print(
            "nanobanana-bot: The Bot API rejected TELEGRAM_BOT_TOKEN. Copy the token again "
            "from @BotFather into the environment or the .env file.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except WebhookRejectedError as error:
        print(
            f"nanobanana-bot: {error}. Check WEBHOOK_URL: Telegram's servers take only HTTPS "
            "URLs on port 443, 80, 88 or 8443. Leave it empty for long polling.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except ListenError as error:
        print(
            f"nanobanana-bot: Not started: {error}. Stop the program that uses the port, or "
            f"set {error.setting} to another port.",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    except DatabaseInUseError as error:
        print(
            f"nanobanana-bot: Not started: {error}. Stop the other process first, or give "
            "this one another DATABASE_PATH.",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    except (OSError, sqlite3.Error) as error:
        print(
            f"nanobanana-bot: Could not open the database {settings.database_path}: {error}. "
            "Check DATABASE_PATH and the folder's permissions.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except NetworkError as error:
        print(
            f"nanobanana-bot: Could not reach the Bot API at {settings.telegram_api_base_url}: "
            f"{error}. Check TELEGRAM_API_BASE_URL and the network.",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    return 0
