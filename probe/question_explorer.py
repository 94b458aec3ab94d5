"""The question table of report.html: which questions it lists, each with its samples.

Each listed question carries a chip per sample and every raw response, so a page listing
all questions of a large run would grow with its sample count: 1,000,000 samples made a
417 MB page. Up to MAX_LISTED questions the table lists them all. Past that it lists the
questions a reader most needs to check, taken in turn from three rankings, and states how
many it left out. samples.jsonl keeps every sample, and summary.json the c_q and modal
answer of every question.
"""

import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from probe.outcomes import VALID_OUTCOMES
from probe.questions import Question
from probe.run_data import RunData
from probe.samples import SampleRecord
from probe.summary import QuestionSummary

# The maximum number of questions the table lists. At 4 thresholds × 5 samples with short
# answers a question adds about 9 KB to the page, and long reasoning texts add far more.
MAX_LISTED = 200

# Why a question is listed when the table cannot list them all: a short label for each
# ranking, shown on its rows, and which questions the ranking contains, in which order.
FAILED = "failed samples"
CONFIDENTLY_WRONG = "confidently wrong"
LEAST_CONSISTENT = "least consistent"
IN_SET_ORDER = "set order"
RANKINGS = {
    FAILED: "with samples not counted in the rates, most such samples first",
    CONFIDENTLY_WRONG: "whose modal answer is wrong, highest c_q first",
    LEAST_CONSISTENT: "whose best-guess samples agree least, lowest c_q first",
    IN_SET_ORDER: "first in the question set, to fill the table",
}


@dataclass(frozen=True)
class QuestionRow:
    """One question of the table with its samples per condition."""

    question: Question
    summary: QuestionSummary | None
    samples: tuple[tuple[float, tuple[SampleRecord, ...]], ...]
    outcomes: tuple[str, ...]
    listed_for: str | None = None


@dataclass(frozen=True)
class QuestionTable:
    """The rows of the question table, and how many questions per reason, when not all fit."""

    rows: list[QuestionRow]
    questions: int
    listed_for: dict[str, int]

    @property
    def left_out(self) -> int:
        return self.questions - len(self.rows)

    @property
    def rankings(self) -> list[tuple[str, int, str]]:
        """Each ranking that contributed rows: its label, its row count and its description."""
        return [(label, count, RANKINGS[label]) for label, count in self.listed_for.items()]


def question_table(run: RunData, limit: int = MAX_LISTED) -> QuestionTable:
    """Choose the questions of the table and read their full records from samples.jsonl."""
    if len(run.questions) <= limit:
        reasons: dict[str, str | None] = {question.id: None for question in run.questions}
    else:
        reasons = dict(_choose(run, limit))
    by_id = {question.id: question for question in run.questions}
    rows = _rows(run, [by_id[question_id] for question_id in reasons], reasons)

    listed_for = Counter(row.listed_for for row in rows if row.listed_for is not None)
    return QuestionTable(rows=rows, questions=len(run.questions), listed_for=dict(listed_for))


def _choose(run: RunData, limit: int) -> dict[str, str]:
    """Take question ids in turn from each ranking until `limit` are chosen, by reason.

    The result is grouped by reason, each group in the order of its ranking.
    """
    rankings = {
        FAILED: _most_failed(run),
        CONFIDENTLY_WRONG: _confidently_wrong(run.summary.per_question),
        LEAST_CONSISTENT: _least_consistent(run.summary.per_question),
    }
    chosen: dict[str, str] = {}
    for turn in itertools.zip_longest(*rankings.values()):
        if len(chosen) >= limit:
            break
        for reason, question_id in zip(rankings, turn, strict=True):
            if question_id is not None and len(chosen) < limit:
                chosen.setdefault(question_id, reason)

    # A run with few problems, or whose consistency is withheld, fills the rest in set order.
    for question in run.questions:
        if len(chosen) >= limit:
            break
        chosen.setdefault(question.id, IN_SET_ORDER)

    order = {label: index for index, label in enumerate(RANKINGS)}
    return dict(sorted(chosen.items(), key=lambda item: order[item[1]]))


def _most_failed(run: RunData) -> list[str]:
    failed = Counter(
        record.question_id for record in run.records if record.outcome not in VALID_OUTCOMES
    )
    return [question_id for question_id, _ in failed.most_common()]


def _confidently_wrong(per_question: Sequence[QuestionSummary]) -> list[str]:
    wrong = [item for item in per_question if item.modal_correct is False and item.modal_answer]
    wrong.sort(key=lambda item: (-item.confidence, item.entropy))
    return [item.id for item in wrong]


def _least_consistent(per_question: Sequence[QuestionSummary]) -> list[str]:
    answered = [item for item in per_question if item.valid > 0]
    answered.sort(key=lambda item: (item.confidence, -item.entropy))
    return [item.id for item in answered]


def _rows(
    run: RunData, questions: Sequence[Question], reasons: dict[str, str | None]
) -> list[QuestionRow]:
    records = _by_question_and_threshold(run.full_records({question.id for question in questions}))
    summaries = {item.id: item for item in run.summary.per_question}
    rows = []
    for question in questions:
        samples = tuple((t, tuple(records.get((question.id, t), []))) for t in run.thresholds)
        seen = {record.outcome.value for _, listed in samples for record in listed}
        rows.append(
            QuestionRow(
                question=question,
                summary=summaries.get(question.id),
                samples=samples,
                outcomes=tuple(sorted(seen)),
                listed_for=reasons[question.id],
            )
        )
    return rows


def _by_question_and_threshold(
    records: Iterable[SampleRecord],
) -> dict[tuple[str, float], list[SampleRecord]]:
    grouped: dict[tuple[str, float], list[SampleRecord]] = defaultdict(list)
    for record in sorted(records, key=lambda record: record.sample_index):
        grouped[(record.question_id, record.threshold)].append(record)
    return grouped
