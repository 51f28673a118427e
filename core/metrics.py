"""The application's Prometheus series, shared by the API and worker processes.

Counters live in the process that does the work: claims, completions and releases in the API,
lease expiries and SLA thresholds in the worker (served by `serve` at
DOCKETFLOW_WORKER_APP_METRICS_ADDRESS). Queue depth, age, risk and stuck engagements are read
from PostgreSQL at scrape time by the API (api/metrics.py), so every replica reports the same
floor. An activity retried after its transaction committed counts again: the counters are
at-least-once, the database rows are exact.

Labels are ids and keys, never names: firm_id and template key, as in the alerts.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

NAMESPACE = "docketflow"

TASK_CLAIMS = Counter(
    "task_claims",
    "Tasks claimed, by queue and how (claim, claim-next)",
    ["queue", "via"],
    namespace=NAMESPACE,
)
TASK_COMPLETIONS = Counter(
    "task_completions",
    "Tasks completed through the API, by queue and outcome",
    ["queue", "outcome"],
    namespace=NAMESPACE,
)
TASK_RELEASES = Counter(
    "task_releases",
    "Tasks given back to their queue by their holder",
    ["queue"],
    namespace=NAMESPACE,
)
LEASE_EXPIRIES = Counter(
    "task_lease_expiries",
    "Claimed tasks returned to their queue because the lease lapsed",
    ["queue"],
    namespace=NAMESPACE,
)
SLA_EVENTS = Counter(
    "sla_events",
    "SLA thresholds reached by open tasks: warning, breach or escalation",
    ["kind", "firm_id", "template"],
    namespace=NAMESPACE,
)
UPDATE_LATENCY = Histogram(
    "workflow_update_seconds",
    "Time from sending a workflow Update to its result (API side), by update and outcome",
    ["update", "outcome"],
    namespace=NAMESPACE,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20),
)

# Read from PostgreSQL at scrape time (api/metrics.py), not counted in process.
QUEUE_DEPTH = Gauge("queue_depth", "Open (unclaimed) tasks", ["queue"], namespace=NAMESPACE)
QUEUE_OLDEST_AGE = Gauge(
    "queue_oldest_age_seconds",
    "Age of the oldest open task (0 when empty)",
    ["queue"],
    namespace=NAMESPACE,
)
QUEUE_AT_RISK = Gauge(
    "queue_at_risk",
    "Live tasks due within the queue's at-risk window",
    ["queue"],
    namespace=NAMESPACE,
)
QUEUE_BREACHED = Gauge(
    "queue_breached", "Live tasks already past their due time", ["queue"], namespace=NAMESPACE
)
STUCK_ENGAGEMENTS = Gauge(
    "engagements_stuck",
    "Engagements parked as stuck (a step raised) awaiting a manager",
    namespace=NAMESPACE,
)


def serve(address: str) -> None:
    """Serve the process's series on `host:port` from a daemon thread (the worker's)."""
    host, _, port = address.rpartition(":")
    start_http_server(int(port), addr=host or "127.0.0.1")
