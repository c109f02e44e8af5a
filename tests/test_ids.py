"""Parsing task ids out of command text."""

from __future__ import annotations

import pytest

from bot.ids import normalize_task_id, parse_task_ids

ID_1 = "4d320ead-4af4-4a55-8f3e-f2afebdf4fd0"
ID_2 = "5a1e9c3d-7b2f-4e8a-b6c4-2d9f0e1a3b7c"
ID_3 = "0f6c2a8e-1b7d-4c55-9a3e-6d2b8f1c4e90"


@pytest.mark.parametrize(
    "text",
    [
        f"{ID_1} {ID_2} {ID_3}",
        f"{ID_1},{ID_2},{ID_3}",
        f"{ID_1}, {ID_2};\n{ID_3}",
        f"\n\n{ID_1}\n{ID_2}\t{ID_3}\n",
    ],
)
def test_separators_split_ids(text):
    assert parse_task_ids(text).valid == [ID_1, ID_2, ID_3]


def test_duplicates_removed_order_kept():
    parsed = parse_task_ids(f"{ID_2} {ID_1} {ID_2} {ID_1.upper()} {ID_3}")

    assert parsed.valid == [ID_2, ID_1, ID_3]
    assert parsed.invalid == []


def test_invalid_words_reported_once():
    parsed = parse_task_ids(f"abc {ID_1} abc 1234 {ID_1[:-1]}")

    assert parsed.valid == [ID_1]
    assert parsed.invalid == ["abc", "1234", ID_1[:-1]]


@pytest.mark.parametrize(
    "text",
    [
        ID_1.upper(),
        f"\u200b{ID_1}\u200b",
        f"\ufeff{ID_1}\u2060",
        f"`{ID_1}`",
        f'"{ID_1}"',
        f"<{ID_1}>",
        f"({ID_1})",
    ],
)
def test_id_normalized(text):
    assert normalize_task_id(text) == ID_1


@pytest.mark.parametrize(
    "text",
    ["", "abc", ID_1 + "0", ID_1.replace("-", ""), "g" + ID_1[1:], f"{{{ID_1}"[:-2], "😀"],
)
def test_malformed_id_rejected(text):
    assert normalize_task_id(text) is None


def test_empty_text_gives_nothing():
    parsed = parse_task_ids("  \n , ; ")

    assert parsed.valid == []
    assert parsed.invalid == []
