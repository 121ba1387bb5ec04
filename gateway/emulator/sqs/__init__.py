"""SQS (JSON 1.0, query-compatible) and the EventBridge deliveries HealthOmics makes into it."""
