"""Conditions and the prompts that state them.

A condition is one prompt variant: a confidence threshold t stated with its scoring rule
(Kalai, Nachum, Vempala and Zhang, "Why Language Models Hallucinate", 2025, arXiv
2509.04664): +1 for a correct answer, −t/(1−t) for a wrong one, 0 for abstaining. t = 0 is
the best-guess condition, plain binary grading.
"""

from dataclasses import dataclass
from fractions import Fraction

from probe.metrics import exact_threshold, format_penalty
from probe.questions import Question

DEFAULT_THRESHOLDS: tuple[float, ...] = (0.0, 0.5, 0.75, 0.9)

# The exact phrase each template asks the model to use when it abstains.
ABSTENTION_PHRASES: dict[str, str] = {
    "en": "I don't know",
    "zh-Hant": "我不知道",
    "zh-Hans": "我不知道",
}

# Placeholders: {percent} is t as a percentage, {penalty} the points lost for a wrong answer,
# {abstention} the phrase above. These strings are stored in run.json with every run.
TEMPLATES: dict[str, dict[str, str]] = {
    "en": {
        "best_guess": (
            "Answer the question with your best guess, even if you are unsure. "
            "Scoring: a correct answer earns 1 point; an incorrect answer and "
            '"{abstention}" both earn 0 points. Reply with the answer only.'
        ),
        "threshold": (
            "Answer the question only if you are more than {percent} confident that your "
            "answer is correct. Scoring: a correct answer earns 1 point, an incorrect answer "
            'loses {penalty} {points}, and "{abstention}" earns 0 points. If you are not more '
            "than {percent} confident, reply exactly: {abstention}. Otherwise reply with the "
            "answer only."
        ),
    },
    "zh-Hant": {
        "best_guess": (
            "請給出你最好的猜測，即使你不確定。計分方式：答對得 1 分；答錯或回答"
            "「{abstention}」都得 0 分。請只回答答案。"
        ),
        "threshold": (
            "只有在你有超過 {percent} 的把握答對時才回答問題。計分方式：答對得 1 分，"
            "答錯扣 {penalty} 分，回答「{abstention}」得 0 分。如果你的把握沒有超過 "
            "{percent}，請只回答：{abstention}。否則請只回答答案。"
        ),
    },
    "zh-Hans": {
        "best_guess": (
            "请给出你最好的猜测，即使你不确定。计分方式：答对得 1 分；答错或回答"
            "“{abstention}”都得 0 分。请只回答答案。"
        ),
        "threshold": (
            "只有在你有超过 {percent} 的把握答对时才回答问题。计分方式：答对得 1 分，"
            "答错扣 {penalty} 分，回答“{abstention}”得 0 分。如果你的把握没有超过 "
            "{percent}，请只回答：{abstention}。否则请只回答答案。"
        ),
    },
}

# Added after the lettered options of a choice question that has no format_instruction.
CHOICE_INSTRUCTIONS: dict[str, str] = {
    "en": "Answer with the letter of one option.",
    "zh-Hant": "請只回答一個選項的字母。",
    "zh-Hans": "请只回答一个选项的字母。",
}

_TRADITIONAL_REGIONS = {"tw", "hk", "mo", "hant"}

# Numbers written with up to this many decimals are shown in full by format_number.
EXACT_DECIMALS = 6


@dataclass(frozen=True)
class Condition:
    """One prompt variant, identified by its stated threshold."""

    threshold: float

    def __post_init__(self) -> None:
        exact_threshold(self.threshold)

    @property
    def is_best_guess(self) -> bool:
        return self.threshold == 0

    @property
    def label(self) -> str:
        return f"t={format_number(self.threshold)}"


def format_number(value: Fraction | float) -> str:
    """Format a number without float noise: 3 → "3", 0.995 → "0.995", 7/3 → "2.33".

    A number written with at most EXACT_DECIMALS decimals is shown as written, so thresholds
    such as 0.995 and 0.999 stay apart from each other and from 1. Any other number is
    rounded to two decimals, or to as many more as it takes to show that it is not whole.
    """
    number = float(value)
    written = repr(number)  # the shortest decimal text that reads back as the same float
    if "e" not in written and len(written.partition(".")[2]) <= EXACT_DECIMALS:
        return written.removesuffix(".0")

    decimals = 2
    text = f"{number:.{decimals}f}"
    while float(text).is_integer() and not number.is_integer() and decimals < 17:
        decimals += 1
        text = f"{number:.{decimals}f}"
    return text.rstrip("0").rstrip(".") or "0"


def format_percent(threshold: float) -> str:
    """Format t as a percentage: 0.75 → "75%", 0.333 → "33.3%"."""
    return format_number(exact_threshold(threshold) * 100) + "%"


def template_language(language: str) -> str:
    """Choose the template for a BCP 47 tag: Traditional or Simplified Chinese, else English."""
    parts = language.lower().replace("_", "-").split("-")
    if parts[0] != "zh":
        return "en"
    if _TRADITIONAL_REGIONS.intersection(parts[1:]):
        return "zh-Hant"
    return "zh-Hans"


def build_messages(question: Question, condition: Condition) -> list[dict[str, str]]:
    """Build the chat messages for one question under one condition."""
    language = template_language(question.language)
    templates = TEMPLATES[language]
    template = templates["best_guess" if condition.is_best_guess else "threshold"]
    penalty_text = format_penalty(condition.threshold)

    instructions = template.format(
        percent=format_percent(condition.threshold),
        penalty=penalty_text,
        points="point" if penalty_text == "1" else "points",
        abstention=ABSTENTION_PHRASES[language],
    )
    user_text = question.question
    if question.options:
        listed = "\n".join(f"{letter}. {text}" for letter, text in question.lettered_options())
        user_text = f"{user_text}\n{listed}"
    if question.format_instruction:
        user_text = f"{user_text}\n{question.format_instruction}"
    elif question.options:
        user_text = f"{user_text}\n{CHOICE_INSTRUCTIONS[language]}"

    return [
        {"role": "system", "content": instructions},
        {"role": "user", "content": user_text},
    ]
