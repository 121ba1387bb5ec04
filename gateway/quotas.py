"""The pacing table: each upstream operation's rate, where documented the quota itself.

Its own module because it is a table of facts (checked against the clouds' quota pages), read
by the config's defaults, the benchmarks and the docs; `[limits] upstream_rates` overrides it.
"""

from __future__ import annotations

#: Documented HealthOmics quotas (10/s for the run reads). Tencent's 20/s per action is its own
#: rolling window (`tencent_requests_per_second`), held for the whole call, not this table.
DEFAULT_UPSTREAM_RATES: dict[str, float] = {
    "healthomics:GetRun": 10.0,
    "healthomics:ListRuns": 10.0,
    "healthomics:ListRunTasks": 10.0,
    # CloudWatch Logs, per account and region: GetLogEvents 10/s, FilterLogEvents 5/s.
    "healthomics:GetLogEvents": 10.0,
    "healthomics:FilterLogEvents": 5.0,
    # The Price List API publishes no per-operation figure; prices are read once a day anyway.
    "healthomics:GetProducts": 5.0,
    # SQS (the EventBridge push queue): AWS documents standard queues as "nearly unlimited"
    # calls per second per action, so these are our choice, not a quota. ReceiveMessage is
    # long-polled (one call per `[events] wait_seconds` while idle); deletes and visibility
    # changes follow the messages received, at most 10 per receive.
    "sqs:ReceiveMessage": 10.0,
    "sqs:DeleteMessageBatch": 10.0,
    "sqs:ChangeMessageVisibility": 10.0,
}
