"""Translators, language tags and texts translated after they were made."""

from __future__ import annotations

import pytest

from bot.create_args import ArgumentError, parse_create_arguments
from bot.i18n import N_, LazyText, normalize_language, resolve_language, translator
from bot.render import unsent_images_text
from tests.fakes.telegram_html import parse_html

ENGLISH = translator("en")
CHINESE = translator("zh")


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("zh", "zh"), ("zh-hans", "zh"), ("zh-Hans-CN", "zh"), ("zh-CN", "zh"), ("zh_SG", "zh"),
        ("ZH", "zh"), ("zh-hant", "zh"), ("zh-TW", "zh"), ("zh-HK", "zh"), ("zh-MO", "zh"),
        ("en", "en"), ("en-US", "en"), ("fr", None), ("zhx", None), ("", None), (None, None),
    ],
)
def test_normalize_language(code, language):
    assert normalize_language(code) == language


def test_resolve_language_takes_first_supported():
    assert resolve_language(None, "zh-CN") == "zh"
    assert resolve_language("en", "zh") == "en"
    assert resolve_language("fr", "de") == "en"
    assert resolve_language() == "en"


def test_translator_loaded_once():
    assert translator("zh") is CHINESE


def test_unsupported_language_rejected():
    with pytest.raises(ValueError, match="unsupported language 'fr'"):
        translator("fr")


def test_chinese_plural_has_one_form():
    assert CHINESE.ngettext("{count} image", "{count} images", 1) == "{count} 张图片"
    assert CHINESE.ngettext("{count} image", "{count} images", 5) == "{count} 张图片"
    assert ENGLISH.ngettext("{count} image", "{count} images", 1) == "{count} image"


def test_lazy_text_is_english_string():
    text = N_("the image server responded with HTTP {status}", status=404)

    assert text == "the image server responded with HTTP 404"
    assert isinstance(str(text), LazyText)
    assert isinstance(str(ValueError(text)), LazyText)


def test_lazy_text_localized():
    text = N_("Telegram rejected it as a photo ({error})", error="Bad Request: wrong type")

    assert CHINESE.localize(text) == "Telegram 拒绝以照片形式接收它（Bad Request: wrong type）"
    assert ENGLISH.localize(text) == "Telegram rejected it as a photo (Bad Request: wrong type)"
    assert CHINESE.localize("plain text") == "plain text"


def test_nested_lazy_text_localized():
    reason = N_("the download timed out")
    text = N_("⚠️ The image could not be used: {reason}. Nothing was created.", reason=reason)

    assert CHINESE.localize(text) == "⚠️ 无法使用这张图片：下载超时。未创建任何内容。"


def test_argument_error_keeps_lazy_text():
    with pytest.raises(ArgumentError) as raised:
        parse_create_arguments("cat --n 9")

    assert CHINESE.localize(str(raised.value)) == "'9' 不是有效的图片数量。请使用 1 到 4 之间的整数。"


def test_link_text_reason_in_chinese():
    url = "https://cdn.example/a.png"
    reason = N_("it is not an image ({kind})", kind="text/html")

    text = parse_html(unsent_images_text(CHINESE, [(url, "task-a", reason)]))

    assert text.splitlines() == [
        "⚠️ 1 张图片无法以照片或文件形式发送，以下是图片链接：",
        f"• {url}（任务 task-a）：它不是图片（text/html）。",
    ]
