"""The command menus that Telegram clients show when a user types "/"."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats
from telegram.error import TelegramError

from bot.i18n import SOURCE_LANGUAGE, SUPPORTED_LANGUAGES, translator
from bot.render import command_menu

logger = logging.getLogger(__name__)


async def register_command_menus(bot: Bot, max_batch_ids: int, create_enabled: bool) -> None:
    """Set the command menus of private chats and of groups with setMyCommands, in each
    supported language.

    Every command works in both kinds of chat, so both menus list the same commands. The
    English menu is set without a language code, so Telegram shows it to users of every
    language that has no menu of its own. Each other menu is set for its language code. A
    failure is logged and the bot starts anyway, because the commands work without a menu.
    """
    for language in SUPPORTED_LANGUAGES:
        t = translator(language)
        commands = [
            BotCommand(name, description)
            for name, description in command_menu(t, max_batch_ids, create_enabled)
        ]
        language_code = None if language == SOURCE_LANGUAGE else language
        for scope in (BotCommandScopeAllPrivateChats(), BotCommandScopeAllGroupChats()):
            try:
                await bot.set_my_commands(commands, scope=scope, language_code=language_code)
            except TelegramError as error:
                logger.warning(
                    "Setting the command menu of scope %s failed for language %s: %s",
                    scope.type, language, error,
                )
