"""The translation catalogues against the texts the code uses: every message translated, with
the same placeholders, markup, commands and options, and shipped inside the package."""

from __future__ import annotations

import ast
import re
import string
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

import bot
from bot.i18n import (
    SOURCE_LANGUAGE,
    SUPPORTED_LANGUAGES,
    catalogue_resource,
    compile_catalogue,
    read_catalogue,
)
from tests.fakes.telegram_html import parse_html

BOT_DIR = Path(bot.__file__).parent
PROJECT_DIR = BOT_DIR.parent
TRANSLATED_LANGUAGES = [language for language in SUPPORTED_LANGUAGES if language != SOURCE_LANGUAGE]

# The calls that mark a message, with how many leading arguments are msgids.
TRANSLATION_CALLS = {"gettext": 1, "ngettext": 2, "N_": 1}
# The module that implements those calls passes variables to gettext itself.
TRANSLATOR_MODULE = BOT_DIR / "i18n.py"

_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
# Words that stay untranslated: commands such as /task (not the path of a URL), options such
# as --ar, setting names such as ALLOW_CREATE, and URLs.
_KEPT_WORD = re.compile(
    r"(?<![\w/.:])/[a-z_]+|--[a-z][a-z-]*|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|https?://[^\s<]+[\w/]"
)


def used_messages() -> set[str | tuple[str, str]]:
    """Return the msgids that Babel's extractor finds in bot/, plural ones as (singular, plural)."""
    return {
        message
        for _, _, message, _, _ in extract_from_dir(str(BOT_DIR), keywords=DEFAULT_KEYWORDS)
    }


def called_messages() -> Iterator[tuple[str, tuple[ast.expr, ...]]]:
    """Yield each translation call in bot/ as "file:line" with its msgid arguments."""
    for path in sorted(BOT_DIR.rglob("*.py")):
        if path == TRANSLATOR_MODULE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            function = node.func
            name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)
            if name in TRANSLATION_CALLS:
                count = TRANSLATION_CALLS[name]
                yield f"{path.relative_to(PROJECT_DIR)}:{node.lineno}", tuple(node.args[:count])


def catalogue_entries(language: str) -> dict[object, Message]:
    return {message.id: message for message in read_catalogue(language) if message.id}


def translated_forms(message: Message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def translation_forms(language: str) -> Iterator[tuple[str, str]]:
    """Yield each translated form of a catalogue with the msgid it renders."""
    for message in catalogue_entries(language).values():
        for form in translated_forms(message):
            yield source_text(message), form


def forms_differing(language: str, feature: Callable[[str], object]) -> list[str]:
    """Return the translated forms whose `feature` differs from that of their msgid."""
    return [form for source, form in translation_forms(language) if feature(form) != feature(source)]


def field_names(text: str) -> set[str]:
    """Return the str.format fields of a text, each with its conversion and format spec."""
    fields = set()
    for _, name, spec, conversion in string.Formatter().parse(text):
        if name is not None:
            fields.add(f"{name}!{conversion or ''}:{spec or ''}")
    return fields


def source_text(message: Message) -> str:
    """Return the msgid that a translation renders: the plural one for plural messages."""
    return message.id[-1] if isinstance(message.id, tuple) else message.id


# Extraction ---------------------------------------------------------------------------------


def test_every_call_has_literal_msgids():
    not_literal = [
        location
        for location, arguments in called_messages()
        if not arguments
        or not all(isinstance(arg, ast.Constant) and isinstance(arg.value, str) for arg in arguments)
    ]

    assert not_literal == []


def test_extractor_finds_every_call():
    called = set()
    for _, arguments in called_messages():
        values = tuple(arg.value for arg in arguments if isinstance(arg, ast.Constant))
        called.add(values[0] if len(values) == 1 else values)

    assert called == used_messages()


def test_catalogue_folders_match_languages():
    folders = {path.name for path in (BOT_DIR / "locales").iterdir() if path.is_dir()}

    assert folders == set(TRANSLATED_LANGUAGES)


# Completeness ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_every_used_message_translated(language):
    entries = catalogue_entries(language)

    missing = [msgid for msgid in used_messages() if msgid not in entries]
    empty = [msgid for msgid, message in entries.items() if not all(translated_forms(message))]

    assert missing == []
    assert empty == []


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_no_stale_or_fuzzy_translations(language):
    catalog = read_catalogue(language)
    used = used_messages()

    stale = [message.id for message in catalog if message.id and message.id not in used]
    fuzzy = [message.id for message in catalog if message.id and message.fuzzy]

    assert stale == []
    assert fuzzy == []
    assert list(catalog.obsolete) == []


def test_chinese_has_one_plural_form():
    catalog = read_catalogue("zh")

    assert catalog.num_plurals == 1
    assert catalog.plural_expr == "0"


# Each translation against its msgid -----------------------------------------------------------


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_plural_msgids_share_placeholders(language):
    mismatched = [
        message.id
        for message in catalogue_entries(language).values()
        if isinstance(message.id, tuple) and not field_names(message.id[0]) <= field_names(message.id[1])
    ]

    assert mismatched == []


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_placeholders_match(language):
    assert forms_differing(language, field_names) == []


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_markup_matches(language):
    assert forms_differing(language, lambda text: sorted(_TAG.findall(text))) == []


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_commands_and_options_kept(language):
    assert forms_differing(language, lambda text: set(_KEPT_WORD.findall(text))) == []


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_translations_differ_from_english(language):
    copied = [form for source, form in translation_forms(language) if form == source]

    assert copied == []


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_translations_format(language):
    for _, form in translation_forms(language):
        values = {name.split("!")[0]: 1.5 for name in field_names(form)}

        form.format(**values)


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_translations_are_telegram_html(language):
    for _, form in translation_forms(language):
        parse_html(form)


# Compiling --------------------------------------------------------------------------------------


def test_compiling_skips_fuzzy_and_empty_translations():
    catalog = Catalog(locale="zh")
    catalog.add("Finished.", "已完成。")
    catalog.add("Still running.", "仍在运行。", flags=["fuzzy"])
    catalog.add(("{count} image", "{count} images"), ("",))

    translations = compile_catalogue(catalog)

    assert translations.gettext("Finished.") == "已完成。"
    assert translations.gettext("Still running.") == "Still running."
    assert translations.ngettext("{count} image", "{count} images", 2) == "{count} images"


# Packaging --------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_catalogue_found_in_installed_package(language):
    resource = catalogue_resource(language)

    assert resource.is_file()
    assert "msgid" in resource.read_text(encoding="utf-8")


def test_package_data_ships_catalogues():
    with (PROJECT_DIR / "pyproject.toml").open("rb") as pyproject:
        patterns = tomllib.load(pyproject)["tool"]["setuptools"]["package-data"]["bot"]
    catalogues = sorted((BOT_DIR / "locales").rglob("*.po"))

    assert catalogues
    for path in catalogues:
        relative = PurePosixPath(path.relative_to(BOT_DIR).as_posix())
        assert any(relative.match(pattern) for pattern in patterns), relative
