"""Markdown tables of bench.py's results: the median of each figure's runs, with ratios."""

import statistics
from collections.abc import Callable, Sequence
from typing import Any


def render(results: dict[str, Any]) -> str:
    """Render the machine line and one table per section that ran."""
    machine = results["machine"]
    settings = results["settings"]
    lines = [
        f"Machine: {machine['cpus']} CPUs ({machine['cpu_model']}), {machine['memory_gib']} GiB; "
        f"Python {machine['python']}; {_versions(machine['packages'])}; {machine['date']}.",
        f"Server latency L = {1000 * settings['latency_s']:g} ms; medians of "
        f"{settings['repeats']} run(s){' (quick mode)' if settings['quick'] else ''}.",
    ]
    for name, figures in results["sections"].items():
        lines += ["", f"### {name}", ""]
        if "failed" in figures:
            lines.append(f"Failed:\n\n```\n{figures['failed'].rstrip()}\n```")
        elif "skipped" in figures:
            lines.append(f"Skipped: {figures['skipped']}")
        else:
            lines += RENDERERS[name](figures)
        load_before = ", ".join(f"{value:.2f}" for value in figures["load_average_before"])
        lines += ["", f"Load average before the section: {load_before}."]
        if figures.get("idle_before") is False:
            lines.append("The machine did not become idle within --idle-timeout before it.")
    return "\n".join(lines)


def _versions(packages: dict[str, str]) -> str:
    return ", ".join(f"{name} {version}" for name, version in packages.items())


def _median(values: Sequence[float]) -> float:
    return statistics.median(values)


def _throughput(figures: dict[str, Any]) -> list[str]:
    lines = [
        "| C | L (ms) | requests | limit C/L (req/s) | probe run (req/s) | ÷ limit "
        "| probe CPU, whole process (ms/req) | openai SDK loop (req/s) | ÷ limit "
        "| bare aiohttp loop (req/s) | ÷ limit |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in figures["rows"]:
        limit = row["limit_per_s"]
        probe = _median(row["probe_per_s"])
        sdk = _median(row["sdk-aiohttp_per_s"])
        floor = _median(row["aiohttp_per_s"])
        lines.append(
            f"| {row['concurrency']} | {1000 * row.get('latency_s', figures['latency_s']):g} "
            f"| {row['requests']} | {limit:.0f} | {probe:.0f} "
            f"| {probe / limit:.0%} | {_median(row['probe_cpu_ms_per_request']):.2f} "
            f"| {sdk:.0f} | {sdk / limit:.0%} | {floor:.0f} | {floor / limit:.0%} |"
        )
    return lines


def _cpu(figures: dict[str, Any]) -> list[str]:
    runs = figures["cpu_ms_per_request"]
    sdk = _median(runs["sdk-aiohttp"])
    rows = [
        ("bare aiohttp loop (request loop only)", runs["aiohttp"]),
        ("openai SDK over DefaultAioHttpClient (request loop only)", runs["sdk-aiohttp"]),
        ("the same, sending with AsyncOpenAI.post (request loop only)", runs["sdk-post"]),
        ("probe run, whole process ÷ requests", runs["probe_total"]),
        (
            f"probe run, marginal: (CPU of {figures['requests']} − CPU of "
            f"{figures['small_run_requests']}) ÷ difference",
            runs["probe_marginal"],
        ),
    ]
    lines = [
        f"{figures['requests']} requests at concurrency {figures['concurrency']}.",
        "",
        "| client | CPU ms per request | ÷ SDK over aiohttp |",
        "| --- | ---: | ---: |",
    ]
    for label, values in rows:
        if not values:
            lines.append(f"| {label} | not measured in quick mode | |")
            continue
        value = _median(values)
        lines.append(f"| {label} | {value:.2f} | {value / sdk:.2f}× |")
    return lines


def _inspect(figures: dict[str, Any]) -> list[str]:
    runs = figures["runs"]
    peer, probe = runs["inspect_ai"], runs["probe"]

    def cell(items: list[dict[str, float]], key: str) -> float:
        return _median([item[key] for item in items])

    lines = [
        f"{figures['inspect_ai_version']}: {figures['requests']} questions × 1 sample at "
        f"concurrency {figures['concurrency']}, whole processes.",
        "",
        "| figure | inspect_ai | probe | inspect_ai ÷ probe |",
        "| --- | ---: | ---: | ---: |",
    ]
    for label, key in (
        ("wall time (s)", "wall_s"),
        ("CPU user+system (s)", "cpu_s"),
        ("time from first to last question request at the server (s)", "requests_active_s"),
        ("peak RSS (MiB)", "max_rss_mib"),
    ):
        lines.append(
            f"| {label} | {cell(peer, key):.2f} | {cell(probe, key):.2f} "
            f"| {cell(peer, key) / cell(probe, key):.1f}× |"
        )
    return lines


def _report(figures: dict[str, Any]) -> list[str]:
    runs = figures["runs"]
    return [
        f"`probe report` on a synthetic run of {figures['records']:,} sample records "
        f"({figures['questions']:,} questions × 4 thresholds × 5 samples).",
        "",
        "| wall (s) | CPU user+system (s) | peak RSS (MiB) |",
        "| ---: | ---: | ---: |",
        f"| {_median([run['wall_s'] for run in runs]):.1f} "
        f"| {_median([run['cpu_s'] for run in runs]):.1f} "
        f"| {_median([run['max_rss_mib'] for run in runs]):.0f} |",
    ]


RENDERERS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "throughput": _throughput,
    "cpu": _cpu,
    "inspect": _inspect,
    "report": _report,
}
