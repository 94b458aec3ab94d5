"""A scriptable OpenAI-compatible HTTP server on 127.0.0.1 for tests.

It speaks plain HTTP/1.1 over asyncio streams, so a test can return any status, headers or
body, hold a request past the client's timeout, or close the connection without a reply.
It runs on its own event loop in a background thread and is reached over a real socket.
"""

import asyncio
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


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

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class OpenAIServer:
    """Serves chat completions from a responder function; use as a context manager.

    The responder gets each request and its 0-based index among chat-completion requests.
    GET /v1/models lists `model_ids`.
    """

    def __init__(
        self, responder: Responder, *, model_ids: tuple[str, ...] = ("fake-model",)
    ) -> None:
        self.responder = responder
        self.model_ids = model_ids
        self.requests: list[ReceivedRequest] = []
        self.request_times: list[float] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> "OpenAIServer":
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        future.result(timeout=10)
        return self

    def __exit__(self, *exc_info: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._serve_connection, "127.0.0.1", 0)
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
            return Reply(
                body={
                    "object": "list",
                    "data": [{"id": name, "object": "model"} for name in self.model_ids],
                }
            )
        with self._lock:
            index = len(self.requests)
            self.requests.append(request)
            self.request_times.append(time.monotonic())
        return self.responder(request, index)


async def _read_request(reader: asyncio.StreamReader) -> ReceivedRequest | None:
    line = await reader.readline()
    if not line:
        return None
    method, path, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        header = await reader.readline()
        if header in (b"\r\n", b"\n", b""):
            break
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    raw = await reader.readexactly(length) if length else b""
    body = json.loads(raw) if raw else None
    return ReceivedRequest(method=method, path=path, headers=headers, body=body)


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
