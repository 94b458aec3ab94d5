"""Simulated models whose true behaviour is known in advance, for validating probe's figures.

Each simulated question q has a probability p_q that the model knows its answer (`known`).
A policy decides from p_q and the stated threshold t how likely one sample is to answer:

- calibrated answers when p_q > t, and abstains otherwise;
- overconfident always answers;
- underconfident answers only when p_q ≥ t + margin (margin 0.2 by default);
- threshold-blind answers with one fixed probability at every t, whatever p_q;
- noisy-calibrated makes the calibrated decision, flipped with a fixed probability.

An answer is correct with probability p_q. A wrong answer is one of a few wrong values drawn
with skewed shares, so wrong answers cluster the way a real model's do: mostly on one
plausible value, sometimes on others. Answers are numbers, so grading is unambiguous.

Because p_q and the policy are known, every rate has an exact true value (`true_rates`), and
the figures probe estimates from samples can be checked against it. The HTTP server that
plays these models is in probe.simulated_server.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

from probe.consistency import ABSTAINED_KEY
from probe.metrics import exact_threshold, penalty
from probe.outcomes import Outcome
from probe.questions import Question
from probe.samples import SampleRecord

Policy = Literal[
    "calibrated", "overconfident", "underconfident", "threshold-blind", "noisy-calibrated"
]
POLICIES: tuple[Policy, ...] = get_args(Policy)

# Shares of the wrong values among wrong answers: one dominant plausible mistake, a few
# rarer ones. The largest share matters most: when (1 − p_q)·0.4 > p_q, that is for
# p_q < 2/7, the modal best-guess answer is a wrong one.
WRONG_ANSWER_SHARES: tuple[float, ...] = (0.4, 0.3, 0.2, 0.1)

# The spread of p_q in generated question sets: (share of questions, lowest p_q, highest
# p_q), drawn uniformly within each group. Fabricated questions have p_q = 0 and are unanswerable.
KNOWLEDGE_GROUPS: tuple[tuple[str, float, float, float], ...] = (
    ("fabricated", 0.10, 0.0, 0.0),
    ("obscure", 0.15, 0.02, 0.30),
    ("less-known", 0.50, 0.30, 0.85),
    ("well-known", 0.25, 0.85, 1.0),
)

ABSTENTION = "I don't know"

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class PolicySettings:
    """The free parameters of the policies."""

    # underconfident abstains whenever p_q < t + underconfidence_margin.
    underconfidence_margin: float = 0.2
    # threshold-blind answers with this probability at every t.
    blind_answer_probability: float = 0.8
    # noisy-calibrated flips its calibrated decision with this probability, per sample.
    flip_probability: float = 0.1


DEFAULT_SETTINGS = PolicySettings()


@dataclass(frozen=True)
class SimulatedQuestion:
    """A question with its known p_q, its correct value and the wrong values the model gives."""

    id: str
    text: str
    known: float
    answer: int | None
    wrong_answers: tuple[int, ...]

    @property
    def unanswerable(self) -> bool:
        return self.answer is None

    def to_question(self) -> Question:
        """Return the question-set record; its metadata keeps p_q and the wrong values."""
        return Question(
            id=self.id,
            question=self.text,
            answers=() if self.answer is None else (str(self.answer),),
            answer_type="number",
            format_instruction="Answer with the number only.",
            language="en",
            unanswerable=self.unanswerable,
            tags=("simulated",),
            metadata={"known": self.known, "wrong_answers": list(self.wrong_answers)},
        )

    @classmethod
    def from_question(cls, question: Question) -> "SimulatedQuestion":
        """Read a simulated question back from a question-set record.

        Raises ValueError when the record lacks the metadata that `to_question` writes.
        """
        try:
            known = float(question.metadata["known"])
            wrong = tuple(int(value) for value in question.metadata["wrong_answers"])
            answer = None if question.unanswerable else int(question.answers[0])
        except (KeyError, TypeError, ValueError):
            raise ValueError(
                f"question {question.id!r} is not a simulated question: expected a numeric "
                'gold answer and the metadata "known" (p_q) and "wrong_answers". Generate the '
                "set with `probe simulate questions`."
            ) from None
        if not 0 <= known <= 1 or len(wrong) != len(WRONG_ANSWER_SHARES):
            raise ValueError(
                f"question {question.id!r}: known must be between 0 and 1 and wrong_answers "
                f"must list {len(WRONG_ANSWER_SHARES)} values, got {known!r} and {list(wrong)}"
            )
        return cls(question.id, question.question, known, answer, wrong)


# Policies


def answer_probability(
    policy: Policy,
    known: npt.ArrayLike,
    threshold: float,
    settings: PolicySettings = DEFAULT_SETTINGS,
) -> FloatArray:
    """Return, per question, the probability that one sample at threshold t answers."""
    exact_threshold(threshold)
    p = np.asarray(known, dtype=np.float64)
    calibrated = (p > threshold).astype(np.float64)

    if policy == "calibrated":
        return calibrated
    if policy == "overconfident":
        return np.ones_like(p)
    if policy == "underconfident":
        # Rounded so that p_q = t + margin answers despite float error, as the rule says.
        return (np.round(p - threshold, 12) >= settings.underconfidence_margin).astype(np.float64)
    if policy == "threshold-blind":
        return np.full_like(p, settings.blind_answer_probability)
    if policy == "noisy-calibrated":
        flip = settings.flip_probability
        return calibrated * (1 - flip) + (1 - calibrated) * flip
    raise ValueError(f"unknown policy {policy!r}; use one of: {', '.join(POLICIES)}")


def modal_share(known: npt.ArrayLike) -> FloatArray:
    """Return the true share of the most common answer at t = 0 under the calibrated policy.

    The calibrated policy answers every best-guess sample when p_q > 0, with the correct
    value at rate p_q and the most common wrong value at rate (1 − p_q)·0.4, so the
    consistency confidence c_q estimates max(p_q, 0.4·(1 − p_q)). At p_q = 0 it abstains.
    """
    p = np.asarray(known, dtype=np.float64)
    share = np.maximum(p, WRONG_ANSWER_SHARES[0] * (1 - p))
    return np.where(p > 0, share, 0.0)


# True values


@dataclass(frozen=True)
class TrueRates:
    """The exact expected rates of a policy at one threshold over a population of questions.

    Each is a mean over the population with every question weighted equally, which is what
    probe's pooled rates estimate when every question has the same number of valid samples.
    """

    threshold: float
    coverage: float
    accuracy: float
    error: float
    # None when the policy never answers, so precision is undefined.
    precision: float | None
    score: float


def true_rates(
    policy: Policy,
    known: npt.ArrayLike,
    threshold: float,
    settings: PolicySettings = DEFAULT_SETTINGS,
) -> TrueRates:
    """Compute the exact rates at t from p_q and the policy.

    With a_q the answer probability: coverage = mean a_q, accuracy = mean a_q·p_q,
    error = mean a_q·(1 − p_q), precision = accuracy / coverage, and
    score = accuracy − t/(1 − t)·error.
    """
    p = np.asarray(known, dtype=np.float64)
    answers = answer_probability(policy, p, threshold, settings)
    coverage = float(answers.mean())
    accuracy = float((answers * p).mean())
    error = float((answers * (1 - p)).mean())
    return TrueRates(
        threshold=threshold,
        coverage=coverage,
        accuracy=accuracy,
        error=error,
        precision=accuracy / coverage if coverage > 0 else None,
        score=accuracy - penalty(threshold) * error,
    )


# Question sets


def draw_known(count: int, rng: np.random.Generator) -> FloatArray:
    """Draw p_q for `count` questions from the groups of KNOWLEDGE_GROUPS."""
    shares = np.array([group[1] for group in KNOWLEDGE_GROUPS])
    groups = rng.choice(len(KNOWLEDGE_GROUPS), size=count, p=shares / shares.sum())
    lows = np.array([group[2] for group in KNOWLEDGE_GROUPS])[groups]
    highs = np.array([group[3] for group in KNOWLEDGE_GROUPS])[groups]
    known: FloatArray = np.round(lows + (highs - lows) * rng.random(count), 4)
    return known


def simulated_questions(count: int, seed: int = 0) -> list[SimulatedQuestion]:
    """Generate `count` numeric questions with p_q, correct and wrong values, from a seed."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    rng = np.random.default_rng(seed)
    known = draw_known(count, rng)
    questions = []
    for index, p in enumerate(known, start=1):
        # Four-digit values: one correct, then the wrong ones, all distinct.
        values = rng.choice(
            np.arange(1000, 10000), size=len(WRONG_ANSWER_SHARES) + 1, replace=False
        )
        questions.append(
            SimulatedQuestion(
                id=f"sim-{index:04d}",
                text=f"What is the registry number of simulated item {index}?",
                known=float(p),
                answer=None if p == 0 else int(values[0]),
                wrong_answers=tuple(int(value) for value in values[1:]),
            )
        )
    return questions


# Sampling


def sample_answer(
    question: SimulatedQuestion,
    policy: Policy,
    threshold: float,
    rng: np.random.Generator,
    settings: PolicySettings = DEFAULT_SETTINGS,
) -> int | None:
    """Draw one sample: the value the model answers, or None when it abstains."""
    answers = answer_probability(policy, [question.known], threshold, settings)[0]
    if rng.random() >= answers:
        return None
    if question.answer is not None and rng.random() < question.known:
        return question.answer
    index = rng.choice(len(WRONG_ANSWER_SHARES), p=WRONG_ANSWER_SHARES)
    return question.wrong_answers[index]


def sample_counts(
    policy: Policy,
    known: npt.ArrayLike,
    threshold: float,
    samples: int,
    rng: np.random.Generator,
    settings: PolicySettings = DEFAULT_SETTINGS,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Draw the correct, incorrect and abstained counts of `samples` samples per question.

    Equivalent to drawing every sample with `sample_answer` and counting outcomes, because
    the decision to answer and the correctness of an answer are independent per sample.
    """
    p = np.asarray(known, dtype=np.float64)
    answered = rng.binomial(samples, answer_probability(policy, p, threshold, settings))
    correct = rng.binomial(answered, p)
    return (
        correct.astype(np.float64),
        (answered - correct).astype(np.float64),
        (samples - answered).astype(np.float64),
    )


def best_guess_cluster_sizes(
    known: npt.ArrayLike, samples: int, rng: np.random.Generator
) -> npt.NDArray[np.int64]:
    """Draw the cluster sizes of `samples` best-guess samples per question, calibrated policy.

    Returns a (questions × clusters) array: the correct value, then each wrong value in the
    order of WRONG_ANSWER_SHARES, then abstentions. The calibrated policy answers every
    sample at t = 0 when p_q > 0 and abstains on every sample when p_q = 0.
    """
    p = np.asarray(known, dtype=np.float64)
    wrong = np.asarray(WRONG_ANSWER_SHARES)
    probabilities = np.column_stack([p, np.outer(1 - p, wrong), np.zeros_like(p)])
    probabilities[p == 0] = 0.0
    probabilities[p == 0, -1] = 1.0
    return np.array([rng.multinomial(samples, row) for row in probabilities], dtype=np.int64)


def known_of(questions: Sequence[SimulatedQuestion]) -> FloatArray:
    return np.array([question.known for question in questions], dtype=np.float64)


def simulate_records(
    questions: Sequence[SimulatedQuestion],
    policy: Policy,
    thresholds: Sequence[float],
    samples: int,
    seed: int,
    settings: PolicySettings = DEFAULT_SETTINGS,
) -> list[SampleRecord]:
    """Draw every sample of a run as the records `probe run` would write, without HTTP.

    Outcomes and answer keys are what probe's grader gives these numeric answers: the
    key of a number is its digits, and an abstention gets ABSTAINED_KEY.
    """
    rng = np.random.default_rng(seed)
    records = []
    for question in questions:
        for threshold in thresholds:
            for index in range(samples):
                value = sample_answer(question, policy, threshold, rng, settings)
                records.append(_record(question, threshold, index, value))
    return records


def _record(
    question: SimulatedQuestion, threshold: float, index: int, value: int | None
) -> SampleRecord:
    if value is None:
        outcome, answer, key = Outcome.ABSTAINED, ABSTENTION, ABSTAINED_KEY
    else:
        correct = value == question.answer
        outcome = Outcome.CORRECT if correct else Outcome.INCORRECT
        answer, key = str(value), str(value)
    return SampleRecord(
        question_id=question.id,
        threshold=threshold,
        sample_index=index,
        outcome=outcome,
        answer=answer,
        answer_key=key,
        reason="simulated",
    )
