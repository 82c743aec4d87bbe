"""parse_choice: strict mapping of free-text answers to options."""

import pytest

from interplay.llm import InvalidAnswer, parse_choice

OPTS = ["C", "D"]


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ('{"choice": "D"}', 1),
        ('I will cooperate.\n{"choice": "C"}', 0),
        ("Let me think. They defected last round.\nACTION: D", 1),
        ("**Final answer:** C", 0),
        ("  'D'. ", 1),
        ("d", 1),
        ("After thinking it over, I play C", 0),
        ('{"action": "c"}', 0),
    ],
)
def test_parses_clear_answers(text, index):
    assert parse_choice(text, OPTS) == index


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   \n", "empty"),
        ('{"choice": "C"', "malformed JSON"),
        ('{"choice": "X"}', "'X' is not one of the legal options"),
        ('{"move_name": "C"}', "no 'choice' field"),
        ("ACTION: Z", "'Z' is not one of the legal options"),
        ("either C or D", "several options"),
        ("I refuse to play.", "none of the legal options"),
    ],
)
def test_rejects_garbage_with_reason(text, reason):
    with pytest.raises(InvalidAnswer) as info:
        parse_choice(text, OPTS)
    assert reason in info.value.reason
    assert info.value.text == text


def test_last_action_line_wins_and_words_are_whole():
    assert parse_choice("ACTION: C\nOn second thought...\nACTION: D", OPTS) == 1
    # "Defect" contains D but is not the option D as a whole word
    with pytest.raises(InvalidAnswer):
        parse_choice("Defect", OPTS)
    assert parse_choice("Stag", ["Stag", "Hare"]) == 0
