import json
from pathlib import Path

import pytest

from probe.errors import QuestionSetError
from probe.questions import load_question_set

GOOD = {
    "id": "q1",
    "question": "What is the capital of France?",
    "answers": ["Paris"],
    "answer_type": "place",
    "language": "en",
}


def write_lines(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    with pytest.raises(QuestionSetError) as caught:
        load_question_set(path)
    return str(caught.value)


def test_load_valid_record(tmp_path: Path) -> None:
    question_set = load_question_set(write_lines(tmp_path, json.dumps(GOOD)))
    assert len(question_set) == 1
    assert question_set.questions[0].answers == ("Paris",)
    assert len(question_set.sha256) == 64


def test_invalid_json_names_file_and_line(tmp_path: Path) -> None:
    path = write_lines(tmp_path, json.dumps(GOOD), '{"id": "q2", "question": ')
    message = load_error(path)
    assert f"{path}:2: invalid JSON" in message
    assert "one complete JSON object" in message


def test_missing_field_named(tmp_path: Path) -> None:
    record = {key: value for key, value in GOOD.items() if key != "answer_type"}
    message = load_error(write_lines(tmp_path, json.dumps(record)))
    assert ':1: missing field "answer_type"' in message


def test_duplicate_id_names_both_lines(tmp_path: Path) -> None:
    message = load_error(write_lines(tmp_path, json.dumps(GOOD), json.dumps(GOOD)))
    assert ":2: duplicate id 'q1', first used on line 1" in message


def test_empty_answers_on_answerable_question(tmp_path: Path) -> None:
    message = load_error(write_lines(tmp_path, json.dumps(GOOD | {"answers": []})))
    assert "answers is empty on an answerable question" in message
    assert '"unanswerable": true' in message


def test_empty_answers_allowed_when_unanswerable(tmp_path: Path) -> None:
    record = GOOD | {"answers": [], "unanswerable": True}
    assert load_question_set(write_lines(tmp_path, json.dumps(record))).questions[0].unanswerable


def test_unknown_answer_type_lists_choices(tmp_path: Path) -> None:
    message = load_error(write_lines(tmp_path, json.dumps(GOOD | {"answer_type": "colour"})))
    assert "unknown answer_type 'colour'" in message
    assert "date, year, number, person, place, text" in message


def test_unknown_field_suggests_metadata(tmp_path: Path) -> None:
    message = load_error(write_lines(tmp_path, json.dumps(GOOD | {"anwsers": ["x"]})))
    assert 'unknown field "anwsers"' in message


def test_misspelt_field_and_type_suggested(tmp_path: Path) -> None:
    record = GOOD | {"answer_type": "plcae", "tag": ["x"]}
    message = load_error(write_lines(tmp_path, json.dumps(record)))
    assert 'unknown answer_type \'plcae\'. Did you mean "place"?' in message
    assert 'unknown field "tag". Did you mean "tags"?' in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"id": 5}, 'field "id": expected text, found 5.'),
        (
            {"unanswerable": "maybe"},
            "field \"unanswerable\": expected true or false, found 'maybe'.",
        ),
        ({"question": ""}, 'field "question": must not be empty.'),
        ({"answers": "Paris"}, "field \"answers\": expected a list, found 'Paris'."),
        (
            {"options": ["a", "b"]},
            ':1: options are set but answer_type is "place": set answer_type to "choice"',
        ),
    ],
)
def test_invalid_field_in_probe_words(tmp_path: Path, change: dict, expected: str) -> None:
    message = load_error(write_lines(tmp_path, json.dumps(GOOD | change)))
    assert expected in message
    assert "Input should" not in message
    assert "Value error" not in message


def test_every_problem_reported_at_once(tmp_path: Path) -> None:
    message = load_error(write_lines(tmp_path, "not json", json.dumps(GOOD), "[1, 2]"))
    assert "2 problem(s)" in message
    assert ":3: expected a JSON object, found list" in message


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    assert "cannot read the question set" in load_error(tmp_path / "absent.jsonl")


@pytest.mark.parametrize("name", ["starter", "demo"])
def test_shipped_sets_load(name: str) -> None:
    question_set = load_question_set(
        Path(__file__).parent.parent / "question_sets" / f"{name}.jsonl"
    )
    assert len(question_set) >= 20


def test_starter_set_composition() -> None:
    questions = load_question_set(
        Path(__file__).parent.parent / "question_sets" / "starter.jsonl"
    ).questions
    english = [q for q in questions if q.language == "en"]
    chinese = [q for q in questions if q.language.startswith("zh")]
    assert len(questions) >= 80
    assert sum("well-known" in q.tags for q in english) >= 20
    assert sum("less-known" in q.tags for q in english) >= 30
    assert sum(q.unanswerable for q in english) >= 15
    assert len(chinese) >= 15
    assert any(
        q.unanswerable
        and q.answer_type == "date"
        and "DD-MM" in q.question + (q.format_instruction or "")
        for q in chinese
    )


def test_demo_questions_come_from_starter() -> None:
    folder = Path(__file__).parent.parent / "question_sets"
    starter = {q.id: q for q in load_question_set(folder / "starter.jsonl")}
    for question in load_question_set(folder / "demo.jsonl"):
        assert starter[question.id] == question


def question_set_error(path: Path) -> str:
    with pytest.raises(QuestionSetError) as caught:
        load_question_set(path)
    return str(caught.value)


def test_csv_file_points_to_convert(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text("question,gold\nWhat is 2+2?,4\n", encoding="utf-8")
    message = question_set_error(path)
    assert "looks like a CSV file (first line: question, gold)" in message
    assert (
        f"probe questions convert {path} --from csv --map question=question "
        f"--map answers=gold -o {tmp_path / 'q.jsonl'}"
    ) in message
    assert "invalid JSON" not in message


def test_tsv_file_detected_by_first_line(tmp_path: Path) -> None:
    path = tmp_path / "q.txt"
    path.write_text("prompt\ttarget\nWhat is 2+2?\t4\n", encoding="utf-8")
    message = question_set_error(path)
    assert "looks like a TSV file" in message
    assert "--map question=prompt --map answers=target" in message


def test_simpleqa_csv_points_to_simpleqa(tmp_path: Path) -> None:
    path = tmp_path / "simple_qa_test_set.csv"
    path.write_text('metadata,problem,answer\n"{}",Who?,Ada\n', encoding="utf-8")
    message = question_set_error(path)
    assert f"probe questions convert {path} --from simpleqa" in message


def test_headerless_mmlu_csv_points_to_mmlu(tmp_path: Path) -> None:
    path = tmp_path / "anatomy_test.csv"
    path.write_text("Which bone?,femur,tibia,ulna,radius,A\n", encoding="utf-8")
    message = question_set_error(path)
    assert f"probe questions convert {path} --from mmlu" in message


def test_broken_jsonl_not_taken_for_csv(tmp_path: Path) -> None:
    path = write_lines(tmp_path, '{"id": "a", "question": "x",')
    message = question_set_error(path)
    assert "invalid JSON" in message
    assert "CSV" not in message
