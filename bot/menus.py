"""The command menu that Telegram clients show when a user types "/"."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats
from telegram.error import TelegramError

from bot.render import command_menu

logger = logging.getLogger(__name__)


async def register_command_menus(bot: Bot, max_batch_ids: int, create_enabled: bool) -> None:
    """Set the command menu of private chats and of groups with setMyCommands.

    Every command works in both kinds of chat, so both menus list the same commands. A
    failure is logged and the bot starts anyway, because the commands work without a menu.
    """
    commands = [
        BotCommand(name, description)
        for name, description in command_menu(max_batch_ids, create_enabled)
    ]
    for scope in (BotCommandScopeAllPrivateChats(), BotCommandScopeAllGroupChats()):
        try:
            await bot.set_my_commands(commands, scope=scope)
        except TelegramError as error:
            logger.warning("Setting the command menu of scope %s failed: %s", scope.type, error)
