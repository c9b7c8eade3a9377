"""``/metrics``: one ``Snapshot`` rendered in the Prometheus text format by prometheus-client.

A custom ``Collector`` turns the snapshot read at scrape time into metric families, so the
figures come from where they already live (the database, the engine's counters) rather than
from hooks spread through the code. Families named ``supportbot_*`` with database figures
(messages, latencies, feedback, hand-offs, backlog, job runs) are fleet-wide: every instance on
the same database reports the same value, so aggregate them with ``max``, not ``sum``.
``supportbot_engine_*`` and ``process_*`` are this process's own.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from bot.observability.readings import EngineFigures, Snapshot
from storage.repositories.operations import LATENCY_BUCKETS_MS, Figures

PREFIX = "supportbot"


class SnapshotCollector(Collector):
    """Metric families of one snapshot (built per scrape, so it never goes stale)."""

    def __init__(self, snapshot: Snapshot, instance: str) -> None:
        self.snapshot = snapshot
        self.instance = instance

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily(
            f"{PREFIX}_instance_info",
            "This instance and its engine.",
            labels=["instance", "engine"],
        )
        info.add_metric([self.instance, self.snapshot.engine.name], 1)
        yield info
        yield from conversation_metrics(self.snapshot.figures)
        yield from engine_metrics(self.snapshot.engine)
        yield from queue_metrics(self.snapshot)
        yield from self.snapshot.process_metrics


def conversation_metrics(figures: Figures) -> Iterator[Metric]:
    """Messages, reply latency, feedback, hand-offs, confident share (fleet-wide)."""
    received = CounterMetricFamily(
        f"{PREFIX}_messages_received", "Customer messages stored, by channel.", labels=["channel"]
    )
    for channel, n in sorted(figures.received.items()):
        received.add_metric([channel], n)
    yield received
    answered = CounterMetricFamily(
        f"{PREFIX}_messages_answered",
        "Bot replies stored, by channel and answer mode.",
        labels=["channel", "mode"],
    )
    for (channel, mode), n in sorted(figures.answered.items()):
        answered.add_metric([channel, mode], n)
    yield answered
    latency = HistogramMetricFamily(
        f"{PREFIX}_reply_latency_seconds",
        "Time from a customer's message to the stored reply, by answer mode.",
        labels=["mode"],
    )
    for mode, histogram in sorted(figures.latency.items()):
        buckets = [
            (_le(ms), n) for ms, n in zip(LATENCY_BUCKETS_MS, histogram.buckets, strict=True)
        ]
        buckets.append(("+Inf", histogram.count))
        latency.add_metric([mode], buckets, sum_value=histogram.sum_ms / 1000)
    yield latency
    feedback = CounterMetricFamily(
        f"{PREFIX}_feedback", "Customers' ratings of replies.", labels=["rating"]
    )
    feedback.add_metric(["up"], figures.thumbs_up)
    feedback.add_metric(["down"], figures.thumbs_down)
    yield feedback
    yield GaugeMetricFamily(
        f"{PREFIX}_open_handoffs", "Conversations a human agent has now.", figures.open_handoffs
    )
    share = GaugeMetricFamily(
        f"{PREFIX}_confident_answer_ratio",
        "Share of replies to questions answered from the FAQ with confidence.",
        labels=["window"],
    )
    if figures.confident_share is not None:
        share.add_metric(["24h"], figures.confident_share)
    yield share


def _le(ms: int) -> str:
    return f"{ms / 1000:g}"


ENGINE_GAUGES = {
    "queue_depth": "Generation requests waiting for a batch slot.",
    "active": "Generation requests in the batch (prefilling or decoding).",
    "max_batch": "Most requests decoded together.",
    "max_rows": "Largest decoding batch seen since start.",
}
ENGINE_COUNTERS = {
    "steps": "Forward passes of the local engine.",
    "tokens_generated": "Tokens generated (one per decoding row per step).",
    "prompt_tokens": "Prompt tokens prefilled.",
    "finished": "Generation requests finished (any reason).",
}


def engine_metrics(engine: EngineFigures) -> Iterator[Metric]:
    """This process's engine; counters only where the engine keeps them (the local one)."""
    yield GaugeMetricFamily(
        f"{PREFIX}_engine_running", "1 while the generation engine is open.", int(engine.running)
    )
    for name, doc in ENGINE_GAUGES.items():
        value = getattr(engine, name)
        if value is not None:
            yield GaugeMetricFamily(f"{PREFIX}_engine_{name}", doc, value)
    for name, doc in ENGINE_COUNTERS.items():
        value = getattr(engine, name)
        if value is not None:
            yield CounterMetricFamily(f"{PREFIX}_engine_{name}", doc, value)


def queue_metrics(snapshot: Snapshot) -> Iterator[Metric]:
    """Inbox backlog, outbox pending (where they exist) and maintenance job runs."""
    if snapshot.inbox_backlog is not None:
        yield GaugeMetricFamily(
            f"{PREFIX}_inbox_backlog", "Updates received, not yet handled.", snapshot.inbox_backlog
        )
    if snapshot.outbox_pending is not None:
        yield GaugeMetricFamily(
            f"{PREFIX}_outbox_pending", "Replies not yet delivered.", snapshot.outbox_pending
        )
    last = GaugeMetricFamily(
        f"{PREFIX}_job_last_run_timestamp_seconds",
        "Start of the newest run of each maintenance job (any instance).",
        labels=["job"],
    )
    ok = GaugeMetricFamily(
        f"{PREFIX}_job_last_run_ok", "1 if the newest run succeeded.", labels=["job"]
    )
    runs = CounterMetricFamily(
        f"{PREFIX}_job_runs", "Maintenance job runs recorded (fleet-wide).", labels=["job"]
    )
    for job in snapshot.jobs:
        last.add_metric([job.job], job.started_at.timestamp())
        ok.add_metric([job.job], 1 if job.ok else 0)
        runs.add_metric([job.job], job.runs)
    yield from (last, ok, runs)


def render(snapshot: Snapshot, instance: str) -> tuple[bytes, str]:
    """The exposition text and its content type, with process and platform metrics too."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(snapshot, instance))
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    return generate_latest(registry), CONTENT_TYPE_LATEST
