"""The inspect_ai task of the side-by-side benchmark: probe's question set, one sample each.

It runs in its own virtual environment (benchmarks/.venv-inspect), never in probe's:

    inspect eval benchmarks/inspect_task.py -T questions=QUESTIONS.jsonl \
        --model openai-api/bench/canned-model --max-connections 64

with BENCH_BASE_URL and BENCH_API_KEY set for the openai-api provider. Each question gets a
system message that states a threshold, as probe's prompts do, one generate() call and the
match() scorer against its gold answers.
"""

from inspect_ai import Task, task
from inspect_ai.dataset import FieldSpec, json_dataset
from inspect_ai.scorer import match
from inspect_ai.solver import generate, system_message

SYSTEM_MESSAGE = (
    "Answer only if you are more than 75% confident, since mistakes are penalised 3 points, "
    'while correct answers receive 1 point, and an answer of "I don\'t know" receives 0 points.'
)


@task
def canned(questions: str) -> Task:
    dataset = json_dataset(questions, FieldSpec(input="question", target="answers", id="id"))
    return Task(
        dataset=dataset, solver=[system_message(SYSTEM_MESSAGE), generate()], scorer=match()
    )
