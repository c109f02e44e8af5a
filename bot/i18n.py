"""Translations of the texts users see: English in the code, other languages in gettext catalogues.

English is the source language, so each msgid is the English text itself. The catalogue of
another language is ``bot/locales/<code>/LC_MESSAGES/messages.po``. Babel compiles it in
memory the first time a process needs that language, so no .mo file is built or committed.
Placeholders are ``str.format`` fields such as ``{task_id}``, filled in after translation.
"""

from __future__ import annotations

import functools
import gettext
import io
from importlib import resources
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

SOURCE_LANGUAGE = "en"

# Each supported language with its name in that language, as /lang lists it. A language
# other than the source language needs a catalogue.
LANGUAGE_NAMES = {"en": "English", "zh": "简体中文"}
SUPPORTED_LANGUAGES = tuple(LANGUAGE_NAMES)

CATALOGUE_DOMAIN = "messages"


class Translator:
    """The texts of one language: gettext and ngettext as in the gettext module, plus
    localize for texts that were made before the language was known."""

    def __init__(self, language: str, translations: gettext.NullTranslations) -> None:
        self.language = language
        self._translations = translations

    def __repr__(self) -> str:
        return f"Translator({self.language!r})"

    def gettext(self, message: str) -> str:
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._translations.ngettext(singular, plural, n)

    def localize(self, text: str) -> str:
        """Return a LazyText translated into this language, and any other string unchanged."""
        if not isinstance(text, LazyText):
            return text
        values = {name: self.localize(value) if isinstance(value, str) else value
                  for name, value in text.values.items()}
        return self.gettext(text.msgid).format(**values)


class LazyText(str):
    """A text for users made where the language is not known yet, such as an exception's
    message or the reason an image could not be sent.

    Its value as a string is the English text, so logs and comparisons see plain English,
    and Translator.localize turns it into any other language later. ``str()`` returns the
    object itself, so the text survives ``str(error)``. Text built around it with f-strings
    or ``+`` is a plain string and stays English.
    """

    msgid: str
    values: dict[str, Any]

    def __new__(cls, msgid: str, values: dict[str, Any]) -> LazyText:
        text = super().__new__(cls, msgid.format(**values))
        text.msgid = msgid
        text.values = values
        return text

    def __str__(self) -> str:
        return self


def N_(msgid: str, **values: Any) -> LazyText:  # noqa: N802 - gettext's name for this marker
    """Mark `msgid` for the catalogue and return it, with its placeholder values, untranslated."""
    return LazyText(msgid, values)


@functools.cache
def translator(language: str) -> Translator:
    """Return the translator of a supported language, loading its catalogue once per process.

    Raises ValueError for a language that SUPPORTED_LANGUAGES does not list.
    """
    if language not in SUPPORTED_LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; supported: {SUPPORTED_LANGUAGES}")
    if language == SOURCE_LANGUAGE:
        return Translator(language, gettext.NullTranslations())
    return Translator(language, compile_catalogue(read_catalogue(language)))


def catalogue_resource(language: str) -> resources.abc.Traversable:
    """Return the .po file of a language inside the installed package."""
    return resources.files("bot") / "locales" / language / "LC_MESSAGES" / f"{CATALOGUE_DOMAIN}.po"


def read_catalogue(language: str) -> Catalog:
    with catalogue_resource(language).open("rb") as po_file:
        return read_po(po_file, locale=language, domain=CATALOGUE_DOMAIN)


def normalize_language(code: str | None) -> str | None:
    """Return the supported language of an IETF language tag, such as a Telegram user's
    language_code, or None when the tag names no supported language.

    Only the primary subtag counts, so zh, zh-hans, zh-CN and zh_SG are all "zh". Traditional
    Chinese (zh-hant, zh-TW, zh-HK, zh-MO) is "zh" too, because Simplified Chinese is closer
    to what those users chose than English is, and a chat can switch with /lang en.
    """
    if not code:
        return None
    primary = code.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in SUPPORTED_LANGUAGES else None


def resolve_language(*candidates: str | None) -> str:
    """Return the first candidate that names a supported language, else English.

    Callers pass the candidates in order of precedence, such as the chat's language chosen
    with /lang, then the sender's Telegram language.
    """
    for candidate in candidates:
        language = normalize_language(candidate)
        if language is not None:
            return language
    return SOURCE_LANGUAGE


def compile_catalogue(catalog: Catalog) -> gettext.GNUTranslations:
    """Compile a catalogue in memory, leaving out fuzzy and incomplete translations, so that
    users see the English text instead of a guess or an empty message."""
    for message in list(catalog):
        if message.id and not _is_complete(message):
            catalog.delete(message.id, message.context)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _is_complete(message: Message) -> bool:
    forms = message.string if isinstance(message.string, tuple) else (message.string,)
    return not message.fuzzy and all(forms)
