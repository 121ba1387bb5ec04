"""HealthOmics' nested upstream structures, field by field under botocore's names."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON


@strawberry.type(description="GetBatch.defaultRunSetting: what every run of the batch shares.")
class HealthOmicsDefaultRunSetting:
    cache_behavior: str | None
    cache_id: str | None
    log_level: str | None
    name: str | None
    output_bucket_owner_id: str | None
    output_uri: str | None
    parameters: JSON | None
    priority: int | None
    retention_mode: str | None
    role_arn: str | None
    run_group_id: str | None
    run_tags: JSON | None
    storage_capacity: int | None
    storage_type: str | None
    workflow_id: str | None
    workflow_owner_id: str | None
    workflow_type: str | None
    workflow_version_name: str | None


@strawberry.type(description="GetBatch.runSummary: run counts by state (eventually consistent).")
class HealthOmicsRunSummary:
    pending_run_count: int | None
    starting_run_count: int | None
    running_run_count: int | None
    stopping_run_count: int | None
    completed_run_count: int | None
    deleted_run_count: int | None
    failed_run_count: int | None
    cancelled_run_count: int | None


@strawberry.type(description="GetBatch.submissionSummary: submission outcomes by kind.")
class HealthOmicsSubmissionSummary:
    successful_start_submission_count: int | None
    failed_start_submission_count: int | None
    pending_start_submission_count: int | None
    successful_cancel_submission_count: int | None
    failed_cancel_submission_count: int | None
    successful_delete_submission_count: int | None
    failed_delete_submission_count: int | None


@strawberry.type(description="GetRun.logLocation: the run's CloudWatch log streams.")
class HealthOmicsRunLogLocation:
    engine_log_stream: str | None
    run_log_stream: str | None


@strawberry.type(description="GetRunTask.imageDetails: the container image a task ran.")
class HealthOmicsImageDetails:
    image: str | None
    image_digest: str | None
    source_image: str | None
