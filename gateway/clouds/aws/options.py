"""Source keys every AWS cloud accepts: a named profile and a role to assume per source."""

from __future__ import annotations

from gateway.config import SourceOptions


class AwsSourceOptions(SourceOptions):
    """`profile` picks a shared-config profile; `role_arn` is assumed for multi-account setups."""

    profile: str | None = None
    role_arn: str | None = None
