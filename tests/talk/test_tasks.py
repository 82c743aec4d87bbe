"""Questions: the arithmetic generator, the JSONL loader, the shipped set, answer extraction."""

import json
import re

import numpy as np
import pytest

from interplay.errors import InterplayError, UnknownNameError
from interplay.talk.tasks import (
    Question,
    arithmetic_questions,
    extract_answer,
    get_questions,
    load_questions,
    shipped_questions,
)


def test_arithmetic_matches_du_et_al_form_and_exact_answers():
    qs = arithmetic_questions(50, seed=3)
    assert len({q.id for q in qs}) == 50
    for q in qs:
        m = re.fullmatch(r"What is the result of (\d+)\+(\d+)\*(\d+)\+(\d+)-(\d+)\*(\d+)\?", q.question)
        a, b, c, d, e, f = map(int, m.groups())
        assert all(0 <= x < 30 for x in (a, b, c, d, e, f))
        assert int(q.answer) == a + b * c + d - e * f
        assert q.numeric and q.meta["terms"] == [a, b, c, d, e, f]
    assert [q.question for q in arithmetic_questions(5, seed=3)] == [q.question for q in qs[:5]]
    assert arithmetic_questions(5, seed=4)[0].question != qs[0].question


def test_jsonl_loader_good_file(tmp_path):
    p = tmp_path / "q.jsonl"
    p.write_text(
        json.dumps({"id": "x", "question": "2+2?", "answer": 4}) + "\n\n"
        + json.dumps({"question": "Colour?", "choices": ["red", "blue"], "answer": "blue", "source": "It is blue."})
        + "\n")
    qs = load_questions(p)
    assert [q.id for q in qs] == ["x", "line-3"]
    assert qs[0].numeric and qs[0].is_correct("4.0") and not qs[0].is_correct("5")
    assert qs[1].choices == ("red", "blue") and qs[1].source == "It is blue."
    assert qs[1].is_correct("blue") and not qs[1].is_correct("red")


def test_jsonl_loader_names_every_bad_line(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text("\n".join([
        json.dumps({"question": "ok?", "answer": "yes"}),
        "{not json",
        json.dumps({"question": "q", "choices": ["a", "b"], "answer": "c"}),
        json.dumps({"answer": "x"}),
        json.dumps({"question": "q", "answer": "x", "colour": 1}),
        json.dumps(["a list"]),
        json.dumps({"id": "line-1", "question": "dup", "answer": "x"}),
        json.dumps({"question": "q", "choices": ["a", "a"], "answer": "a"}),
    ]) + "\n")
    with pytest.raises(InterplayError) as info:
        load_questions(p)
    msg = str(info.value)
    assert "7 bad line(s)" in msg and str(p) in msg
    for line, what in [(2, "not valid JSON"), (3, "not one of the choices"), (4, "'question' must be"),
                       (5, "unknown field"), (6, "JSON object"), (7, "already used on line 1"),
                       (8, "distinct")]:
        assert re.search(rf"line {line}: [^\n]*{re.escape(what)}", msg), (line, what)
    assert "line 1:" not in msg


def test_jsonl_loader_missing_and_empty_files(tmp_path):
    with pytest.raises(InterplayError, match="does not exist"):
        load_questions(tmp_path / "nope.jsonl")
    (tmp_path / "e.jsonl").write_text("\n\n")
    with pytest.raises(InterplayError, match="empty"):
        load_questions(tmp_path / "e.jsonl")
    with pytest.raises(UnknownNameError):
        get_questions("trivia")


def test_shipped_set_answers_are_verifiable_from_the_source():
    qs = shipped_questions()
    assert len(qs) >= 20
    for q in qs:
        assert q.source and q.answer in q.source, q.id  # an honest debater can quote the answer
        assert q.answer in q.choices and len(q.choices) >= 2
        wrong = q.wrong_answer(np.random.default_rng(0))
        assert wrong in q.choices and wrong != q.answer


@pytest.mark.parametrize("text, expected", [
    ("Let me compute: 3*4 = 12, 12+5 = 17. So the answer is 17.", "17"),
    ("Step 1: 29*28 = 812\nStep 2: 812 - 3\nFinal answer: 809", "809"),
    ("I get \\boxed{-42} after checking 5-3.", "-42"),
    ('{"reasoning": "...", "answer": "1,234"}', "1234"),
    ("The result is 100. Then adding 7 to check: 107", "100"),
    ("5-3", "3"),
    ("I am not sure.", None),
    ("", None),
])
def test_numeric_extraction(text, expected):
    q = Question(id="q", question="?", answer="17")
    assert extract_answer(text, q) == expected


@pytest.mark.parametrize("text, expected", [
    ("The passage says it was paraffin.\nAnswer: (A)", "paraffin"),
    ("Answer: whale oil", "whale oil"),
    ("I think (C) coal gas is right, but the source says paraffin.\nFinal answer: paraffin", "paraffin"),
    ('{"answer": "coal gas"}', "coal gas"),
    ("It is either whale oil or paraffin.", None),
    ("No idea", None),
])
def test_choice_extraction(text, expected):
    q = Question(id="q", question="?", answer="paraffin", choices=("paraffin", "whale oil", "coal gas"))
    assert extract_answer(text, q) == expected


def test_a_closing_answer_without_a_number_is_unparseable_not_a_guess():
    q = Question(id="q", question="?", answer="17")
    assert extract_answer("Round 3 was hard.\nAnswer: I cannot tell", q) is None
    assert extract_answer("The answer is computed as follows:\n3*4+5 = 17", q) == "17"
