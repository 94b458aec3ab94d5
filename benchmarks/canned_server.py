"""An OpenAI-compatible chat server for benchmarks: a canned reply after a fixed latency.

It replies to every POST .../chat/completions with `n` choices after `--latency` seconds and
spends as little CPU as it can doing so: an asyncio Protocol with no HTTP framework, no
JSON parsing of the request (a regular expression reads `n`), and a reply body built from a
template. Each choice's content is a new number, so the endpoint check's canary samples
differ and probe treats the server as sampling independently.

GET .../models lists one model, and GET /stats returns what the server counted since it
started, as JSON: chat requests, choices, the time from the first request's arrival to the
last reply, and the server's own CPU seconds. The requests of probe's endpoint check, told
apart by their prompts, are counted on their own and left out of that time, so it covers
only the question requests. It listens on 127.0.0.1 only and prints its
port on the first line of stdout.

    python benchmarks/canned_server.py --latency 0.05 --port 0
"""

import argparse
import asyncio
import itertools
import json
import re
import resource
import sys
import time

HOST = "127.0.0.1"
MODEL = "canned-model"

_CONTENT_LENGTH = re.compile(rb"content-length:\s*(\d+)", re.IGNORECASE)
_N = re.compile(rb'"n"\s*:\s*(\d+)')
_CHOICE = (
    '{{"index":{index},"message":{{"role":"assistant","content":"{content}"}},'
    '"finish_reason":"stop"}}'
)
_BODY = (
    '{{"id":"chatcmpl-{id}","object":"chat.completion","created":0,"model":"' + MODEL + '",'
    '"choices":[{choices}],'
    '"usage":{{"prompt_tokens":40,"completion_tokens":{completion},"total_tokens":{total}}}}}'
)
# Words of the prompts of probe's endpoint check (probe/capabilities.py).
_CHECK_PROMPTS = (b"lighthouse keeper", b"random sequence of 12 digits")
_MODELS = json.dumps({"object": "list", "data": [{"id": MODEL, "object": "model"}]}).encode()


class Counters:
    """Request counts and times since the server started."""

    def __init__(self) -> None:
        self.requests = 0
        self.check_requests = 0
        self.choices = 0
        self.first_request_at: float | None = None
        self.last_reply_at: float | None = None
        self.replies = itertools.count()

    def as_json(self) -> bytes:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        active = None
        if self.first_request_at is not None and self.last_reply_at is not None:
            active = self.last_reply_at - self.first_request_at
        return json.dumps(
            {
                "requests": self.requests,
                "check_requests": self.check_requests,
                "choices": self.choices,
                "active_s": active,
                "cpu_s": usage.ru_utime + usage.ru_stime,
            }
        ).encode()


class _Connection(asyncio.Protocol):
    def __init__(self, counters: Counters, latency_s: float) -> None:
        self._counters = counters
        self._latency_s = latency_s
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None
        self._loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while True:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            match = _CONTENT_LENGTH.search(self._buffer, 0, end)
            length = int(match.group(1)) if match else 0
            if len(self._buffer) < end + 4 + length:
                return
            head = bytes(self._buffer[:end])
            body = bytes(self._buffer[end + 4 : end + 4 + length])
            del self._buffer[: end + 4 + length]
            self._handle(head, body)

    def _handle(self, head: bytes, body: bytes) -> None:
        request_line = head.split(b"\r\n", 1)[0]
        if request_line.startswith(b"POST") and b"/chat/completions" in request_line:
            self._chat(body)
        elif b"/models" in request_line:
            self._write(_MODELS)
        elif b"/stats" in request_line:
            self._write(self._counters.as_json())
        else:
            self._write(b'{"error":{"message":"not found"}}', status=b"404 Not Found")

    def _chat(self, body: bytes) -> None:
        counters = self._counters
        match = _N.search(body)
        n = int(match.group(1)) if match else 1
        is_check = any(words in body for words in _CHECK_PROMPTS)
        if is_check:
            counters.check_requests += 1
        else:
            if counters.first_request_at is None:
                counters.first_request_at = time.monotonic()
            counters.requests += 1
            counters.choices += n

        reply_id = next(counters.replies)
        choices = ",".join(
            _CHOICE.format(index=index, content=reply_id * 8 + index) for index in range(n)
        )
        reply = _BODY.format(id=reply_id, choices=choices, completion=2 * n, total=40 + 2 * n)
        if self._latency_s > 0:
            self._loop.call_later(self._latency_s, self._reply, reply.encode(), is_check)
        else:
            self._reply(reply.encode(), is_check)

    def _reply(self, body: bytes, is_check: bool) -> None:
        self._write(body)
        if not is_check:
            self._counters.last_reply_at = time.monotonic()

    def _write(self, body: bytes, status: bytes = b"200 OK") -> None:
        if self._transport is None or self._transport.is_closing():
            return
        self._transport.write(
            b"HTTP/1.1 " + status + b"\r\ncontent-type: application/json\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )


async def serve(port: int, latency_s: float) -> None:
    counters = Counters()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _Connection(counters, latency_s), HOST, port, backlog=4096
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--latency", type=float, default=0.05, help="Seconds before each reply (default: 0.05)."
    )
    parser.add_argument(
        "--port", type=int, default=0, help="Port on 127.0.0.1; 0 picks a free one (default)."
    )
    args = parser.parse_args()
    try:
        asyncio.run(serve(args.port, args.latency))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
