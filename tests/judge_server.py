"""A scripted LLM judge on 127.0.0.1: replies chosen by the answer under judgement."""

import re
from collections.abc import Callable
from pathlib import Path

import yaml

from probe.config import EndpointConfig, JudgeConfig
from tests.openai_server import OpenAIServer, ReceivedRequest, Reply, chat_reply, error_reply

# A reply of None stands for an HTTP 500 from the judge endpoint.
JudgeScript = Callable[[str, int], str | Reply | None]


def judged_answer(request: ReceivedRequest) -> str:
    """Read back the answer that probe's judge prompt asks about."""
    prompt = str(request.body["messages"][-1]["content"])
    found = re.search(r"^Answer to grade: (.*)$", prompt, re.MULTILINE)
    return found.group(1) if found else ""


class ScriptedJudge:
    """Replies with script(answer, how often this answer was asked before)."""

    def __init__(self, script: JudgeScript) -> None:
        self.script = script
        self.asked: dict[str, int] = {}

    def __call__(self, request: ReceivedRequest, index: int) -> Reply:
        answer = judged_answer(request)
        count = self.asked.get(answer, 0)
        self.asked[answer] = count + 1
        reply = self.script(answer, count)
        if reply is None:
            return error_reply(500, "the judge is down")
        if isinstance(reply, Reply):
            return reply
        return chat_reply(reply, model="judge-1")


def judge_config(server: OpenAIServer, **fields: object) -> JudgeConfig:
    endpoint = EndpointConfig(
        base_url=server.base_url,
        model="judge-1",
        temperature=0.7,
        max_retries=0,
        max_concurrency=4,
        **{key: value for key, value in fields.items() if key in EndpointConfig.model_fields},
    )
    rest = {key: value for key, value in fields.items() if key in JudgeConfig.model_fields}
    return JudgeConfig(endpoint=endpoint, **rest)  # type: ignore[arg-type]


def write_judge_yaml(path: Path, server: OpenAIServer, mode: str = "ungraded-only") -> Path:
    config = {
        "endpoint": {"base_url": server.base_url, "model": "judge-1", "max_retries": 0},
        "mode": mode,
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path
