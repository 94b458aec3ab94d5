"""An OpenAI-compatible chat server on 127.0.0.1 that plays a simulated model.

The server reads the threshold t that probe's prompt states ("more than 75% confident"; the
best-guess prompt states none, so t = 0), finds the question by its text, and answers as
the policy of probe.simulated decides: a number, or "I don't know". It honours `n`, returns
logprobs when asked, and answers the verbalised-confidence prompt with "Answer: …" and
"Confidence: …" lines. Any other prompt, such as those of probe's endpoint check, gets a
random string of digits, so independent samples differ.

Replies are seeded. The j-th request for one (question, threshold) draws from a generator
seeded with (seed, question, threshold, j). So the answers a run gets for one question and
threshold, taken as a multiset, do not depend on the order in which concurrent requests
arrive.

It speaks plain HTTP/1.1 with keep-alive on asyncio streams, and only on 127.0.0.1.
"""

import asyncio
import json
import logging
import math
import re
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from probe.simulated import (
    ABSTENTION,
    DEFAULT_SETTINGS,
    WRONG_ANSWER_SHARES,
    Policy,
    PolicySettings,
    SimulatedQuestion,
    answer_probability,
    sample_answer,
)

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"

# probe states t as a percentage in the system message; the best-guess prompt has none.
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")

# The reply form the verbalised-confidence prompt asks for.
VERBALISED_MARKER = "Confidence:"

# Bodies larger than this are rejected: a chat request from probe is a few kilobytes.
MAX_BODY_BYTES = 1_000_000

# Seed parts that keep the random streams of verbalised and other prompts apart from the
# streams of each (question, threshold). Thresholds with more than four decimals have their
# streams from FINE_THRESHOLD_STREAMS up (threshold_stream).
VERBALISED_STREAM = 1_000_001
OTHER_STREAM = 1_000_003
FINE_THRESHOLD_STREAMS = 2_000_000


def stated_threshold(system_prompt: str) -> float:
    """Read t from a prompt: the first percentage it states, or 0 when it states none."""
    match = _PERCENT.search(system_prompt)
    return float(match.group(1)) / 100 if match else 0.0


def threshold_stream(threshold: float) -> int:
    """Return the seed part of the random stream of one threshold.

    It is t in units of 0.0001 for a t with at most four decimals. A finer t, such as
    0.99999, gets t in units of 1e-9 above FINE_THRESHOLD_STREAMS, so that it neither
    shares the stream of t rounded to four decimals nor changes the streams of the others.
    """
    coarse = threshold * 10_000
    if abs(coarse - round(coarse)) < 1e-6:
        return round(coarse)
    return FINE_THRESHOLD_STREAMS + round(threshold * 1e9)


@dataclass(frozen=True)
class Sampled:
    """One simulated choice: its text and the probability of each of its tokens."""

    text: str
    token_probabilities: tuple[tuple[str, float], ...]


class SimulatedModel:
    """Answers chat-completion request bodies for one policy over a set of questions."""

    def __init__(
        self,
        questions: Sequence[SimulatedQuestion],
        policy: Policy,
        *,
        seed: int = 0,
        settings: PolicySettings = DEFAULT_SETTINGS,
        name: str | None = None,
        format_error_rate: float = 0.0,
    ) -> None:
        self.policy = policy
        self.name = name or f"simulated-{policy}"
        self.seed = seed
        self.settings = settings
        # Share of verbalised replies that break the requested format, to exercise parsing.
        self.format_error_rate = format_error_rate
        self._questions = list(questions)
        self._index_of_text = {question.text: index for index, question in enumerate(questions)}
        self._served: Counter[tuple[int, int]] = Counter()
        self._lock = threading.Lock()
        self._other_requests = 0

    def complete(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Return (status, JSON body) for one chat-completion request body."""
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return 400, _error_body("messages must be a non-empty list")
        system = " ".join(
            str(m.get("content", "")) for m in messages if m.get("role") in ("system", "developer")
        )
        user = str(messages[-1].get("content", ""))
        count = body.get("n") or 1
        if not isinstance(count, int) or not 1 <= count <= 128:
            return 400, _error_body(f"n must be an integer from 1 to 128, got {count!r}")

        question = self._find(user)
        if question is None:
            sampled = [self._other_choice() for _ in range(count)]
            return 200, self._completion(sampled, logprobs=bool(body.get("logprobs")))

        verbalised = VERBALISED_MARKER in system
        threshold = 0.0 if verbalised else stated_threshold(system)
        if not 0 <= threshold < 1:
            return 400, _error_body(
                f"the prompt states a threshold of {threshold * 100:g}%; the simulated model "
                "needs one at least 0% and below 100%"
            )
        sampled = [self._question_choice(question, threshold, verbalised) for _ in range(count)]
        return 200, self._completion(sampled, logprobs=bool(body.get("logprobs")))

    def _find(self, user_text: str) -> int | None:
        # probe sends the question text, then the format instruction on the next line.
        return self._index_of_text.get(user_text.split("\n", 1)[0].strip())

    def _generator(self, index: int, stream: int) -> np.random.Generator:
        with self._lock:
            arrival = self._served[(index, stream)]
            self._served[(index, stream)] += 1
        return np.random.default_rng([self.seed, index, stream, arrival])

    def _question_choice(self, index: int, threshold: float, verbalised: bool) -> Sampled:
        question = self._questions[index]
        stream = VERBALISED_STREAM if verbalised else threshold_stream(threshold)
        rng = self._generator(index, stream)

        value = sample_answer(question, self.policy, threshold, rng, self.settings)
        answered = answer_probability(self.policy, [question.known], threshold, self.settings)[0]
        if value is None:
            tokens: tuple[tuple[str, float], ...] = ((ABSTENTION, 1 - answered),)
        else:
            probability = answered * _value_share(question, value)
            # The first token carries the uncertainty and the rest follow from it, as with a
            # real tokenizer that splits a number into pieces.
            text = str(value)
            tokens = ((text[:2], probability), (text[2:], 1.0))
        if verbalised:
            return self._verbalised(question, tokens, rng)
        return Sampled("".join(token for token, _ in tokens), tokens)

    def _verbalised(
        self,
        question: SimulatedQuestion,
        tokens: tuple[tuple[str, float], ...],
        rng: np.random.Generator,
    ) -> Sampled:
        answer = "".join(token for token, _ in tokens)
        stated = stated_confidence(self.policy, question.known, rng)
        if rng.random() < self.format_error_rate:
            text = f"{answer} (I am fairly sure about this)"
        else:
            text = f"Answer: {answer}\n{VERBALISED_MARKER} {stated}"
        return Sampled(text, ((text, tokens[0][1]),))

    def _other_choice(self) -> Sampled:
        with self._lock:
            self._other_requests += 1
            arrival = self._other_requests
        rng = np.random.default_rng([self.seed, OTHER_STREAM, arrival])
        text = "".join(str(digit) for digit in rng.integers(0, 10, size=12)) + " lighthouse"
        return Sampled(text, ((text, 1.0),))

    def _completion(self, sampled: Sequence[Sampled], *, logprobs: bool) -> dict[str, Any]:
        choices = []
        for index, item in enumerate(sampled):
            choice: dict[str, Any] = {
                "index": index,
                "message": {"role": "assistant", "content": item.text},
                "finish_reason": "stop",
            }
            if logprobs:
                tokens = [_token(text, p) for text, p in item.token_probabilities]
                choice["logprobs"] = {"content": tokens}
            choices.append(choice)
        completion_tokens = sum(len(item.token_probabilities) for item in sampled)
        return {
            "id": "chatcmpl-simulated",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.name,
            "choices": choices,
            "usage": {
                "prompt_tokens": 60,
                "completion_tokens": completion_tokens,
                "total_tokens": 60 + completion_tokens,
            },
        }


def stated_confidence(policy: Policy, known: float, rng: np.random.Generator) -> int:
    """Return the 0–100 confidence a policy states for its answer in the verbalised prompt.

    calibrated and threshold-blind state p_q, overconfident states p_q pulled 70% of the way
    to 1, underconfident p_q − 0.2, and noisy-calibrated p_q with Gaussian noise (sd 0.1).
    """
    if policy == "overconfident":
        stated = known + 0.7 * (1 - known)
    elif policy == "underconfident":
        stated = known - 0.2
    elif policy == "noisy-calibrated":
        stated = known + float(rng.normal(0, 0.1))
    else:
        stated = known
    return round(100 * min(1.0, max(0.0, stated)))


def _value_share(question: SimulatedQuestion, value: int) -> float:
    """Return the probability that an answer of the model is this value."""
    if value == question.answer:
        return question.known
    return (1 - question.known) * WRONG_ANSWER_SHARES[question.wrong_answers.index(value)]


def _token(text: str, probability: float) -> dict[str, Any]:
    logprob = math.log(probability) if probability > 0 else -9999.0
    return {"token": text, "logprob": logprob, "bytes": list(text.encode()), "top_logprobs": []}


def _error_body(message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "code": None}}


# HTTP


_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}


class SimulatedServer:
    """Serves one SimulatedModel over HTTP/1.1 on 127.0.0.1."""

    def __init__(self, model: SimulatedModel, *, port: int = 0) -> None:
        self.model = model
        self.requested_port = port
        self.port = 0
        self.requests = 0
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.StreamWriter] = set()

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}/v1"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, HOST, self.requested_port)
        self.port = self._server.sockets[0].getsockname()[1]
        logger.info("simulated %s model serving at %s", self.model.policy, self.base_url)

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        # Idle keep-alive connections would otherwise hold wait_closed open.
        for writer in list(self._connections):
            writer.close()
        await self._server.wait_closed()
        logger.info("simulated model at %s stopped after %d requests", self.base_url, self.requests)

    async def serve_forever(self) -> None:
        if self._server is None:
            await self.start()
        assert self._server is not None
        await self._server.serve_forever()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections.add(writer)
        try:
            while True:
                request = await read_http_request(reader)
                if request is None:
                    break
                status, payload = self._route(request.method, request.path, request.body)
                writer.write(_encode(status, payload, request.keep_alive))
                await writer.drain()
                if not request.keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError) as error:
            logger.debug("connection closed: %s", error)
        finally:
            self._connections.discard(writer)
            writer.close()

    def _route(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        if method == "GET" and path.rstrip("/").endswith("/models"):
            return 200, {"object": "list", "data": [{"id": self.model.name, "object": "model"}]}
        if not path.rstrip("/").endswith("/chat/completions"):
            return 404, _error_body(f"no route {method} {path}")
        if method != "POST":
            return 405, _error_body(f"use POST for {path}")
        self.requests += 1
        try:
            parsed = json.loads(body)
        except json.JSONDecodeError as error:
            return 400, _error_body(f"invalid JSON body: {error.msg}")
        if not isinstance(parsed, dict):
            return 400, _error_body("the body must be a JSON object")
        return self.model.complete(parsed)


@dataclass(frozen=True)
class HttpRequest:
    """One HTTP/1.1 request as read from a connection: header names are lower case."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    keep_alive: bool


async def read_http_request(reader: asyncio.StreamReader) -> HttpRequest | None:
    """Read one request from a keep-alive connection; None when the client closed it.

    Raises ValueError for a body over MAX_BODY_BYTES. The test suite's scriptable server
    reads its requests with this function too.
    """
    line = await reader.readline()
    if not line:
        return None
    method, path, version = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        header = await reader.readline()
        if header in (b"\r\n", b"\n", b""):
            break
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()

    length = int(headers.get("content-length", "0"))
    if length > MAX_BODY_BYTES:
        raise ValueError(f"request body of {length} bytes is too large")
    body = await reader.readexactly(length) if length else b""
    keep_alive = headers.get("connection", "").lower() != "close" and "1.1" in version
    return HttpRequest(method, path, headers, body, keep_alive)


def _encode(status: int, payload: dict[str, Any], keep_alive: bool) -> bytes:
    data = json.dumps(payload).encode()
    head = (
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(data)}\r\n"
        f"connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n"
    )
    return head.encode() + data


class ServerThread:
    """Runs a SimulatedServer on its own event loop in a background thread.

    For tests and library use: `with ServerThread(model) as server: ... server.base_url`.
    """

    def __init__(self, model: SimulatedModel, *, port: int = 0) -> None:
        self.server = SimulatedServer(model, port=port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def __enter__(self) -> "ServerThread":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self._loop).result(timeout=10)
        return self

    def __exit__(self, *exc_info: object) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
