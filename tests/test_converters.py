"""`probe questions convert` and `stats`: standard sets and mapped files to probe JSONL."""

import csv
import io
import json
from pathlib import Path

import pytest

from probe.cli import main
from probe.converters import ConvertOptions, convert_file
from probe.errors import QuestionSetError
from probe.questions import load_question_set

SIMPLEQA_ROWS = [
    (
        {
            "topic": "Science and technology",
            "answer_type": "Person",
            "urls": ["https://example.org/a"],
        },
        "Who received the IEEE Frank Rosenblatt Award in 2010?",
        "Michio Sugeno",
    ),
    (
        {"topic": "Geography", "answer_type": "Number", "urls": []},
        "How many metres high is the waterfall?",
        "211 (acceptable range: anything between 208 and 214)",
    ),
    (
        {"topic": "History", "answer_type": "Date", "urls": []},
        "In what year did the treaty come into force?",
        "1889",
    ),
    (
        {"topic": "Sports", "answer_type": "Number", "urls": []},
        "In which place did she finish?",
        "15th place",
    ),
    (
        {"topic": "Art", "answer_type": "Date", "urls": []},
        "On what date was the museum opened?",
        "April 12, 1993",
    ),
    (
        {"topic": "Music", "answer_type": "Other", "urls": []},
        'Which band, formed in 1990, released "Sparks"?',
        "The Vanes",
    ),
]


def simpleqa_csv() -> str:
    # The metadata cells are Python dict literals, as in the published file.
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["metadata", "problem", "answer"])
    for metadata, problem, answer in SIMPLEQA_ROWS:
        writer.writerow([repr(metadata), problem, answer])
    return buffer.getvalue()


SIMPLEQA = simpleqa_csv()
CHINESE_SIMPLEQA = [
    {
        "id": "abc",
        "primary_category": "中华文化",
        "secondary_category": "中医",
        "question": "PAL电视制式首次面世是哪一年？",
        "answer": "1963年",
        "urls": ["https://example.org"],
    },
    {
        "id": "def",
        "primary_category": "人文与社会科学",
        "secondary_category": "历史",
        "question": "《冥祥记》是哪位古代人物所撰写的作品？",
        "answer": "王琰",
    },
]
MMLU = 'What is 2+2?,3,4,5,6,B\n"Which is a mammal, by definition?",Shark,Whale,Trout,C\n'


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_simpleqa(tmp_path: Path) -> None:
    conversion = convert_file(
        write(tmp_path / "simple_qa_test_set.csv", SIMPLEQA), ConvertOptions("simpleqa")
    )

    questions = {question.id: question for question in conversion.questions}
    assert conversion.problems == ()
    assert [q.answer_type for q in conversion.questions] == [
        "person",
        "number",
        "year",
        "text",
        "date",
        "text",
    ]
    assert questions["simpleqa-0001"].tags == ("Science and technology",)
    assert questions["simpleqa-0001"].metadata["urls"] == ["https://example.org/a"]
    assert questions["simpleqa-0006"].question == 'Which band, formed in 1990, released "Sparks"?'


def test_simpleqa_bad_metadata_named(tmp_path: Path) -> None:
    path = write(tmp_path / "s.csv", 'metadata,problem,answer\n"{not a dict",Q?,A\n')

    conversion = convert_file(path, ConvertOptions("simpleqa"))

    assert conversion.questions == ()
    assert conversion.problems[0].startswith(f"{path}:2: the metadata column is not a Python dict")


def test_chinese_simpleqa(tmp_path: Path) -> None:
    text = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in CHINESE_SIMPLEQA)

    conversion = convert_file(write(tmp_path / "c.jsonl", text), ConvertOptions("chinese-simpleqa"))

    first, second = conversion.questions
    assert (first.id, first.answer_type, first.language) == ("abc", "year", "zh-Hans")
    assert first.tags == ("中华文化", "中医")
    assert second.answer_type == "text"


@pytest.mark.parametrize("header", ["", "question,A,B,C,D,answer\n"])
def test_mmlu(tmp_path: Path, header: str) -> None:
    path = write(tmp_path / "anatomy_test.csv", header + MMLU)

    conversion = convert_file(path, ConvertOptions("mmlu"))

    first, second = conversion.questions
    assert first.answer_type == "choice"
    assert first.options == ("3", "4", "5", "6")
    assert first.answers == ("B",)
    assert first.tags == ("anatomy",)
    assert second.options == ("Shark", "Whale", "Trout")


def test_mmlu_bad_letter_named(tmp_path: Path) -> None:
    path = write(tmp_path / "x.csv", "Q?,a,b,E\n")

    conversion = convert_file(path, ConvertOptions("mmlu"))

    assert "the last column must be the answer letter A–B, found 'E'" in conversion.problems[0]


def test_mapped_csv(tmp_path: Path) -> None:
    path = write(
        tmp_path / "mine.csv",
        "qid,prompt,gold,kind\n7,Capital of France?,Paris|Paris (city),place\n",
    )
    options = ConvertOptions(
        "csv",
        mapping={"id": "qid", "question": "prompt", "answers": "gold", "answer_type": "kind"},
        alias_separator="|",
    )

    (question,) = convert_file(path, options).questions

    assert question.id == "7"
    assert question.answers == ("Paris", "Paris (city)")
    assert question.answer_type == "place"
    assert question.language == "en"


def test_mapped_jsonl_options_and_language(tmp_path: Path) -> None:
    record = {"q": "哪一个?", "a": "B", "opts": ["甲", "乙"]}
    path = write(tmp_path / "mine.jsonl", json.dumps(record, ensure_ascii=False) + "\n")
    options = ConvertOptions(
        "jsonl",
        mapping={"question": "q", "answers": "a", "options": "opts"},
        language="zh-Hant",
        answer_type="choice",
    )

    (question,) = convert_file(path, options).questions

    assert question.options == ("甲", "乙")
    assert question.language == "zh-Hant"


def test_mapped_missing_column_named(tmp_path: Path) -> None:
    path = write(tmp_path / "mine.csv", "prompt,gold\nQ?,A\n")
    options = ConvertOptions("csv", mapping={"question": "problem", "answers": "gold"})

    problems = convert_file(path, options).problems

    assert problems == (f"{path}:2: column 'problem' not found; the row has: prompt, gold",)


def test_mapping_needs_question_and_answers(tmp_path: Path) -> None:
    with pytest.raises(QuestionSetError, match="needs a mapping for answers"):
        convert_file(tmp_path / "x.csv", ConvertOptions("csv", mapping={"question": "q"}))


def test_cli_convert_writes_valid_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write(tmp_path / "simple_qa_test_set.csv", SIMPLEQA)
    output = tmp_path / "out" / "simpleqa.jsonl"

    assert main(["questions", "convert", str(source), "--from", "simpleqa", "-o", str(output)]) == 0

    assert len(load_question_set(output)) == 6
    assert "wrote 6 questions" in capsys.readouterr().out


def test_cli_convert_refuses_invalid_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write(tmp_path / "x.csv", "Q?,a,b,E\nWhat?,a,b,A\n")
    output = tmp_path / "out.jsonl"

    assert main(["questions", "convert", str(source), "--from", "mmlu", "-o", str(output)]) == 2
    assert "--skip-invalid" in capsys.readouterr().err
    assert not output.exists()

    assert (
        main(
            [
                "questions",
                "convert",
                str(source),
                "--from",
                "mmlu",
                "-o",
                str(output),
                "--skip-invalid",
            ]
        )
        == 0
    )
    assert len(load_question_set(output)) == 1


def test_cli_stats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write(tmp_path / "simple_qa_test_set.csv", SIMPLEQA)
    output = tmp_path / "simpleqa.jsonl"
    main(["questions", "convert", str(source), "--from", "simpleqa", "-o", str(output)])
    capsys.readouterr()

    assert main(["questions", "stats", str(output)]) == 0

    printed = capsys.readouterr().out
    assert f"{output}: 6 questions" in printed
    assert "    text    2" in printed
    assert "    en  6" in printed
    assert "    Geography               1" in printed


def test_simpleqa_other_columns_listed(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text("question,gold\nWhat is 2+2?,4\nCapital of France?,Paris\n", encoding="utf-8")
    with pytest.raises(QuestionSetError) as caught:
        convert_file(path, ConvertOptions(format="simpleqa"))
    message = str(caught.value)
    assert f"{path}:1: the simpleqa format reads the columns problem and answer" in message
    assert "The columns found are: question, gold." in message
    assert "--from csv --map question=question --map answers=gold" in message


def test_csv_format_reads_tsv(tmp_path: Path) -> None:
    path = tmp_path / "q.tsv"
    path.write_text("prompt\ttarget\nWhat is 2+2?\t4\n", encoding="utf-8")
    options = ConvertOptions(format="csv", mapping={"question": "prompt", "answers": "target"})
    conversion = convert_file(path, options)
    assert conversion.problems == ()
    assert conversion.questions[0].question == "What is 2+2?"
    assert list(conversion.questions[0].answers) == ["4"]
