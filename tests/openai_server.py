"""A scriptable OpenAI-compatible HTTP server on 127.0.0.1 for tests.

It speaks plain HTTP/1.1 over asyncio streams, so a test can return any status, headers or
body, hold a request past the client's timeout, or close the connection without a reply.
It runs on its own event loop in a background thread and is reached over a real socket.

A separate responder serves the requests of probe's endpoint check. By default it is an
honest sampler that honours n and returns distinct canary texts, so a test's responder gets
only the question requests, and its request index counts only those.
"""

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from probe.capabilities import CANARY_PROMPT, CAP_PROMPT
from probe.simulated_server import read_http_request


@dataclass
class Reply:
    """What the server does with one request."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    drop_connection: bool = False


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


def chat_reply(
    content: str | None,
    *,
    model: str = "fake-model",
    finish_reason: str = "stop",
    reasoning_content: str | None = None,
    refusal: str | None = None,
    choices: int = 1,
) -> Reply:
    """Build a 200 chat-completion reply with `choices` copies of one message."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if reasoning_content is not None:
        message["reasoning_content"] = reasoning_content
    if refusal is not None:
        message["refusal"] = refusal
    return Reply(
        body={
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [
                {"index": index, "message": message, "finish_reason": finish_reason}
                for index in range(choices)
            ],
            "usage": {"prompt_tokens": 20, "completion_tokens": 5, "total_tokens": 25},
        }
    )


def choices_reply(
    contents: Sequence[str | None],
    *,
    model: str = "fake-model",
    usage: dict[str, Any] | None = None,
    logprobs: bool = False,
) -> Reply:
    """Build a 200 chat-completion reply with one choice per content.

    The default usage counts the prompt once and 5 completion tokens per choice.
    """
    logprob = {"content": [{"token": "x", "logprob": -0.1, "bytes": [120], "top_logprobs": []}]}
    choices = [
        {
            "index": index,
            "message": {"role": "assistant", "content": content},
            "finish_reason": "stop",
            "logprobs": logprob if logprobs else None,
        }
        for index, content in enumerate(contents)
    ]
    if usage is None:
        completion = 5 * len(contents)
        total = 20 + completion
        usage = {"prompt_tokens": 20, "completion_tokens": completion, "total_tokens": total}
    body = {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": choices,
    }
    if usage:
        body["usage"] = usage
    return Reply(body=body)


def requested_n(request: "ReceivedRequest") -> int:
    return int(request.body.get("n") or 1)


def requested_cap(request: "ReceivedRequest") -> int:
    body = request.body
    return int(body.get("max_tokens") or body.get("max_completion_tokens") or 16)


def is_check_request(request: "ReceivedRequest") -> bool:
    """Return whether a chat request is one of the endpoint check's, by its prompt."""
    if request.method != "POST" or not isinstance(request.body, dict):
        return False
    return user_prompt(request) in (CAP_PROMPT, CANARY_PROMPT)


class HonestSampler:
    """A responder for the endpoint check that samples independently, as a healthy server does.

    With `max_n` it returns at most that many choices, as a server that caps or ignores n.
    """

    def __init__(self, *, max_n: int | None = None, model: str = "fake-model") -> None:
        self.max_n = max_n
        self.model = model
        self._counter = itertools.count()

    def __call__(self, request: "ReceivedRequest", index: int) -> Reply:
        n = requested_n(request)
        if self.max_n is not None:
            n = min(n, self.max_n)
        cap = requested_cap(request)
        if user_prompt(request) == CAP_PROMPT:
            usage = {"prompt_tokens": 12, "completion_tokens": cap, "total_tokens": 12 + cap}
            return choices_reply(["1 2 3 4 5 6 7"] * n, model=self.model, usage=usage)
        texts = [f"{next(self._counter) * 7919 % 1000003:012d} lantern" for _ in range(n)]
        logprobs = bool(request.body.get("logprobs"))
        return choices_reply(texts, model=self.model, logprobs=logprobs)


def error_reply(
    status: int,
    message: str,
    *,
    code: Any = None,
    kind: str | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code}
    return Reply(status=status, body={"error": error}, headers=headers or {})


Responder = Callable[[ReceivedRequest, int], Reply]

HONEST_SAMPLER = HonestSampler()

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class OpenAIServer:
    """Serves chat completions from a responder function; use as a context manager.

    The responder gets each request and its 0-based index among chat-completion requests.
    Requests of the endpoint check go to `checks` instead (pass None to send them to the
    responder too); they are kept in `check_requests`. GET /v1/models lists `model_ids`,
    or replies with `models_reply` when one is given. `port` 0 picks a free port; a test
    restarts a stopped server on the same port by passing its old one.
    """

    def __init__(
        self,
        responder: Responder,
        *,
        model_ids: tuple[str, ...] = ("fake-model",),
        checks: "Responder | None" = HONEST_SAMPLER,
        models_reply: Reply | None = None,
        port: int = 0,
        record: bool = True,
    ) -> None:
        self.responder = responder
        self.checks = checks
        self.model_ids = model_ids
        self.models_reply = models_reply
        self.record = record
        self.requests: list[ReceivedRequest] = []
        self.request_times: list[float] = []
        self.check_requests: list[ReceivedRequest] = []
        self.served = 0
        self._stopped = False
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> "OpenAIServer":
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        future.result(timeout=10)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Close the listening socket and every connection; later connections are refused."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._serve_connection, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in asyncio.all_tasks(self._loop):
                if task is not asyncio.current_task():
                    task.cancel()

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                reply = self._reply_to(request)
                if reply.delay_s:
                    await asyncio.sleep(reply.delay_s)
                if reply.drop_connection:
                    break
                writer.write(_encode(reply))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def _reply_to(self, request: ReceivedRequest) -> Reply:
        if request.method == "GET" and request.path.endswith("/models"):
            return self.models_reply or Reply(
                body={
                    "object": "list",
                    "data": [{"id": name, "object": "model"} for name in self.model_ids],
                }
            )
        if self.checks is not None and is_check_request(request):
            with self._lock:
                self.check_requests.append(request)
                index = len(self.check_requests) - 1
            return self.checks(request, index)
        with self._lock:
            index = self.served
            self.served += 1
            if self.record:
                self.requests.append(request)
                self.request_times.append(time.monotonic())
        return self.responder(request, index)


async def _read_request(reader: asyncio.StreamReader) -> ReceivedRequest | None:
    request = await read_http_request(reader)
    if request is None:
        return None
    body = json.loads(request.body) if request.body else None
    return ReceivedRequest(
        method=request.method, path=request.path, headers=request.headers, body=body
    )


def _encode(reply: Reply) -> bytes:
    payload = json.dumps(reply.body).encode() if reply.body is not None else b""
    head = [
        f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Status')}",
        "content-type: application/json",
        f"content-length: {len(payload)}",
    ]
    head += [f"{name}: {value}" for name, value in reply.headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + payload


def system_prompt(request: ReceivedRequest) -> str:
    return str(request.body["messages"][0]["content"])


def user_prompt(request: ReceivedRequest) -> str:
    return str(request.body["messages"][-1]["content"])


def stated_threshold(request: ReceivedRequest) -> float:
    """Read t back from probe's prompt: the percentage it states, or 0 for best guess."""
    import re

    match = re.search(r"(\d+(?:\.\d+)?)\s*%", system_prompt(request))
    return float(match.group(1)) / 100 if match else 0.0
