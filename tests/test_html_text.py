"""Measuring, cutting and splitting HTML text within Telegram's limits."""

from __future__ import annotations

import pytest

from bot.html_text import (
    cut_plain,
    escape,
    plain_text,
    split_html,
    utf16_length,
    visible_length,
)
from tests.fakes.telegram_html import parse_html


def test_utf16_length_counts_surrogate_pairs():
    assert utf16_length("abc") == 3
    assert utf16_length("😀") == 2
    assert utf16_length("é") == 1


def test_visible_length_ignores_tags_and_decodes_entities():
    assert visible_length("<b>a &amp; b</b>") == 5
    assert visible_length("<code>😀</code>&lt;") == 3


def test_escape_keeps_quotes():
    assert escape("<b>cats & dogs</b> 1<2 \"q\" 'a'") == (
        "&lt;b&gt;cats &amp; dogs&lt;/b&gt; 1&lt;2 \"q\" 'a'"
    )


def test_cut_plain_short_text_unchanged():
    assert cut_plain("hello", 5) == "hello"


def test_cut_plain_ends_with_ellipsis():
    cut = cut_plain("x" * 50, 10)

    assert cut == "x" * 9 + "…"
    assert utf16_length(cut) == 10


def test_cut_plain_never_splits_surrogate_pair():
    cut = cut_plain("😀" * 10, 6)

    assert cut == "😀😀…"
    assert utf16_length(cut) <= 6


def test_cut_plain_prefers_space_near_end():
    cut = cut_plain("one two three four five six seven", 20)

    assert cut == "one two three four…"


@pytest.mark.parametrize("limit", [50, 100, 4096])
def test_split_html_parts_fit_limit(limit):
    lines = [f"<b>line {n}</b> with <code>code &amp; more</code> 😀" for n in range(400)]
    markup = "\n".join(lines)

    parts = split_html(markup, limit)

    assert len(parts) > 1
    for part in parts:
        assert visible_length(part) <= limit
        parse_html(part)


def test_split_html_keeps_all_text_in_order():
    lines = [f"line {n} &amp; <i>{n}</i>" for n in range(300)]
    markup = "\n".join(lines)

    parts = split_html(markup, 200)

    joined = "\n".join(parse_html(part) for part in parts)
    assert joined == parse_html(markup)


def test_split_html_reopens_tag_across_parts():
    markup = "<b>" + "word " * 100 + "</b>"

    parts = split_html(markup, 100)

    assert len(parts) >= 5
    for part in parts:
        assert part.startswith("<b>")
        assert part.endswith("</b>")
        parse_html(part)


def test_split_html_does_not_cut_entity():
    markup = "&amp;" * 30

    parts = split_html(markup, 7)

    assert all(parse_html(part) == "&" * visible_length(part) for part in parts)
    assert sum(visible_length(part) for part in parts) == 30


def test_split_html_counts_emoji_as_two_units():
    parts = split_html("😀" * 10, 5)

    assert [utf16_length(part) for part in parts] == [4, 4, 4, 4, 4]


def test_split_html_prefers_line_break():
    markup = "a" * 60 + "\n" + "b" * 60

    parts = split_html(markup, 100)

    assert parts == ["a" * 60, "b" * 60]


def test_split_html_short_text_one_part():
    assert split_html("<b>hi</b>") == ["<b>hi</b>"]


def test_split_html_drops_empty_parts():
    assert split_html("<b></b>\n\n") == []


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<b>cats &amp; dogs</b>", "cats & dogs"),
        ("1 &lt; 2 &gt; 0", "1 < 2 > 0"),
        ('<a href="https://x/?a=1&amp;b=2">link</a>', "link"),
        ("<blockquote expandable>🍌&#127820;</blockquote>", "🍌🍌"),
        ("plain", "plain"),
    ],
)
def test_plain_text_removes_markup(markup, text):
    assert plain_text(markup) == text
