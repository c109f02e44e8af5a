"""Texts of /lang, in Telegram's HTML parse mode."""

from __future__ import annotations

from bot.i18n import LANGUAGE_NAMES, Translator
from bot.render import echo


def language_status_text(t: Translator, chosen: str | None, *, in_group: bool) -> str:
    """Return the reply to /lang alone: the chat's language and how to change it.

    `chosen` is the language the chat chose with /lang, or None when the chat follows each
    sender's Telegram language. In that case `t` is the sender's language.
    """
    if chosen is None:
        status = t.gettext(
            "🌐 This chat has not chosen a language, so the bot replies in the language of "
            "each person's Telegram app: {name} for you."
        ).format(name=LANGUAGE_NAMES[t.language])
    else:
        status = t.gettext("🌐 This chat's language is {name}, chosen with /lang.").format(
            name=LANGUAGE_NAMES[chosen]
        )
    lines = [status, "", t.gettext("To change it, send one of:"), *_choice_lines(t)]
    if in_group:
        lines += ["", t.gettext("In groups, only administrators can change the language.")]
    return "\n".join(lines)


def language_set_text(t: Translator) -> str:
    """Return the confirmation of /lang <code>, in the language just chosen."""
    return t.gettext("✅ This chat's language is now {name}.").format(
        name=LANGUAGE_NAMES[t.language]
    )


def language_auto_text(t: Translator) -> str:
    """Return the confirmation of /lang auto, in the sender's Telegram language."""
    return t.gettext(
        "✅ This chat follows each person's Telegram language again: {name} for you."
    ).format(name=LANGUAGE_NAMES[t.language])


def unknown_language_text(t: Translator, value: str) -> str:
    first = t.gettext("⚠️ <code>{value}</code> is not a language this bot speaks. Send one of:")
    return "\n".join([first.format(value=echo(value)), *_choice_lines(t)])


def language_admins_only_text(t: Translator) -> str:
    return t.gettext("⚠️ Only the group's administrators can change its language.")


def _choice_lines(t: Translator) -> list[str]:
    # Translators: a line of the /lang choices: a language code and the language's own name.
    choice = t.gettext("/lang {code}: {name}")
    lines = [choice.format(code=code, name=name) for code, name in LANGUAGE_NAMES.items()]
    lines.append(t.gettext("/lang auto: the language of each person's Telegram app"))
    return lines
