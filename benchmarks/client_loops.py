"""Reference clients: the same chat requests as probe's, sent by a bare loop over one library.

Each client keeps `--concurrency` requests in flight until `--requests` have completed,
then prints one JSON line with the wall and CPU seconds of the request loop alone (imports
and start-up excluded). They are the yardsticks probe is measured against:

- `aiohttp`: aiohttp.ClientSession posting JSON, reading the reply as JSON. The floor.
- `sdk-aiohttp`: AsyncOpenAI over DefaultAioHttpClient, max_retries=0, as probe/client.py.
- `sdk-post`: the same client, but sending through `AsyncOpenAI.post` with a plain dict
  body, which skips the SDK's recursive transform of the request parameters.
- `sdk-httpx`: AsyncOpenAI over a plain httpx.AsyncClient.
- `httpx`: httpx.AsyncClient posting JSON.

    python benchmarks/client_loops.py sdk-aiohttp --base-url http://127.0.0.1:PORT/v1 \
        --requests 2000 --concurrency 64
"""

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

CLIENTS = ("aiohttp", "sdk-aiohttp", "sdk-post", "sdk-httpx", "httpx")

# A message of about the size of probe's threshold prompt.
MESSAGES = [
    {
        "role": "system",
        "content": "Answer only if you are more than 75% confident, since mistakes are "
        "penalised 3 points, while correct answers receive 1 point, and an answer of "
        '"I don\'t know" receives 0 points.',
    },
    {"role": "user", "content": "What is the boiling point of water at sea level in kelvin?"},
]
REQUEST = {"model": "canned-model", "messages": MESSAGES, "max_tokens": 256, "temperature": 1.0}

Send = Callable[[], Awaitable[Any]]


async def drive(send: Send, requests: int, concurrency: int) -> None:
    """Keep `concurrency` calls of `send` in flight until `requests` have completed."""
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await send()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def run_aiohttp(base_url: str, requests: int, concurrency: int) -> None:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def send() -> Any:
            async with session.post(f"{base_url}/chat/completions", json=REQUEST) as response:
                return await response.json()

        await drive(send, requests, concurrency)


async def run_httpx(base_url: str, requests: int, concurrency: int) -> None:
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:

        async def send() -> Any:
            response = await client.post(f"{base_url}/chat/completions", json=REQUEST)
            return response.json()

        await drive(send, requests, concurrency)


async def run_sdk(
    base_url: str, requests: int, concurrency: int, *, transport: str, post: bool = False
) -> None:
    import httpx
    from openai import AsyncOpenAI, DefaultAioHttpClient
    from openai.types.chat import ChatCompletion

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    http: httpx.AsyncClient
    if transport == "aiohttp":
        http = DefaultAioHttpClient(limits=limits, timeout=60)
    else:
        http = httpx.AsyncClient(limits=limits, timeout=60)
    client = AsyncOpenAI(base_url=base_url, api_key="no-key", max_retries=0, http_client=http)

    async def send() -> Any:
        if post:
            return await client.post("/chat/completions", body=REQUEST, cast_to=ChatCompletion)
        return await client.chat.completions.create(**REQUEST)  # type: ignore[call-overload]

    try:
        await drive(send, requests, concurrency)
    finally:
        await client.close()


def run(client: str, base_url: str, requests: int, concurrency: int) -> dict[str, Any]:
    """Run one client's loop and return its wall and CPU seconds."""
    loops: dict[str, Callable[[], Coroutine[Any, Any, None]]] = {
        "aiohttp": lambda: run_aiohttp(base_url, requests, concurrency),
        "httpx": lambda: run_httpx(base_url, requests, concurrency),
        "sdk-aiohttp": lambda: run_sdk(base_url, requests, concurrency, transport="aiohttp"),
        "sdk-post": lambda: run_sdk(
            base_url, requests, concurrency, transport="aiohttp", post=True
        ),
        "sdk-httpx": lambda: run_sdk(base_url, requests, concurrency, transport="httpx"),
    }
    # The loops import their libraries, so one warm-up request runs first and the timing
    # leaves the imports out.
    asyncio.run(_warm_up(client, base_url))
    started_wall, started_cpu = time.perf_counter(), time.process_time()
    asyncio.run(loops[client]())
    return {
        "client": client,
        "requests": requests,
        "concurrency": concurrency,
        "loop_wall_s": time.perf_counter() - started_wall,
        "loop_cpu_s": time.process_time() - started_cpu,
    }


async def _warm_up(client: str, base_url: str) -> None:
    if client == "aiohttp":
        await run_aiohttp(base_url, 1, 1)
    elif client == "httpx":
        await run_httpx(base_url, 1, 1)
    else:
        await run_sdk(base_url, 1, 1, transport="httpx" if client == "sdk-httpx" else "aiohttp")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("client", choices=CLIENTS)
    parser.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8000/v1")
    parser.add_argument("--requests", type=int, default=2000, help="Requests to complete.")
    parser.add_argument("--concurrency", type=int, default=64, help="Requests in flight.")
    args = parser.parse_args()
    print(json.dumps(run(args.client, args.base_url, args.requests, args.concurrency)))


if __name__ == "__main__":
    main()
