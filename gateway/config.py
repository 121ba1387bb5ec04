"""Gateway configuration: a TOML file, overridden by `GATEWAY_*` environment variables.

Every section of DESIGN exists from the start so a config file written today stays valid as
features land. No secrets live here: upstream credentials come from each cloud's own chain.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from gateway.providers.base import ProviderKind

log = logging.getLogger(__name__)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceConfig(_Section):
    """One upstream account + region (+ Tencent project or DataZone domain), named by operators."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    provider: ProviderKind
    region: str
    endpoint_url: str | None = None
    profile: str | None = None
    role_arn: str | None = None
    project_id: str | None = None
    domain_id: str | None = None
    account: str | None = None

    @property
    def account_key(self) -> str:
        """Sources naming one account share its rate budget; by default each is its own."""
        return self.account or f"source:{self.name}"


class AuthConfig(_Section):
    """How clients authenticate; `none` is an explicit, loudly logged opt-in."""

    mode: Literal["none"] = "none"


class GraphQLConfig(_Section):
    """The GraphQL endpoint; `persisted_queries` speaks Apollo's APQ protocol.

    `auto` registers any operation sent with its sha256 (clients then send only the hash);
    `allowlist` runs only the operations of `persisted_query_manifest` (an Apollo persisted
    query manifest, or a JSON object of hash → query); `off` ignores the hashes.
    """

    playground: bool = False
    introspection: bool = False
    #: Where `gateway assets --dest` put GraphiQL's files (default: inside the package).
    assets_dir: str | None = None
    persisted_queries: Literal["off", "auto", "allowlist"] = "auto"
    persisted_query_manifest: Path | None = None
    persisted_query_cache_size: int = Field(default=10_000, ge=1)

    @model_validator(mode="after")
    def _allowlist_needs_manifest(self) -> GraphQLConfig:
        if self.persisted_queries == "allowlist" and self.persisted_query_manifest is None:
            raise ValueError('persisted_queries = "allowlist" needs persisted_query_manifest')
        return self


class CursorConfig(_Section):
    """Cursor key ring: the first key encrypts, all decrypt, so keys rotate across replicas."""

    keys: list[str] = Field(default_factory=list)
    token_ttl_seconds: int = Field(default=86_400, ge=60)
    max_walk_pages: int = Field(default=50, ge=1, le=10_000)


class CacheConfig(_Section):
    """Cross-request cache of upstream results, TTL by state; Redis (`url`) when scaled out.

    With `url` set, replicas also share the cursor token store and the upstream rate budget.
    """

    url: str | None = Field(default=None, pattern=r"^(redis|rediss|unix)://")
    key_prefix: str = "rgw:"
    #: Records and listings of settled runs and batches (they rarely change).
    settled_ttl_seconds: float = Field(default=3_600.0, ge=0)
    #: Records of live (not yet settled) objects.
    live_ttl_seconds: float = Field(default=5.0, ge=0)
    #: Pages of live listings (the next `after` re-reads its cursor's page from here).
    page_ttl_seconds: float = Field(default=5.0, ge=0)
    #: The in-process backend's bounds; the least recently used entry goes first.
    max_entries: int = Field(default=50_000, ge=0)
    max_bytes: int = Field(default=256 * 1024 * 1024, ge=0)
    #: Whole answers, in-process, each until its earliest-expiring upstream result expires.
    responses_max_entries: int = Field(default=256, ge=0)
    responses_max_bytes: int = Field(default=64 * 1024 * 1024, ge=0)


class LimitsConfig(_Section):
    """Upstream fan-out: concurrent calls per upstream account, and the per-call timeout."""

    concurrency_per_account: int = Field(default=16, ge=1, le=1_000)
    upstream_timeout_seconds: float = Field(default=10.0, gt=0)
    tencent_describe_chunk: int = Field(default=100, ge=1, le=100)
    #: Tencent's documented quota per action and account; raise it only if yours was raised.
    tencent_requests_per_second: int = Field(default=20, ge=1, le=10_000)
    #: Client-side calls/s per upstream account and `provider:Operation` (`provider:*` for a
    #: whole provider); empty here means no client-side pacing. Shared through Redis with
    #: `[cache] url`, so N replicas together stay under one quota.
    upstream_rates: dict[str, float] = Field(default_factory=dict)


class SubscriptionsConfig(_Section):
    """Polling on subscribers' behalf: first interval, doubled while unchanged up to the max."""

    poll_interval_seconds: float = Field(default=5.0, gt=0)
    max_interval_seconds: float = Field(default=60.0, gt=0)


class ObservabilityConfig(_Section):
    """Logs, metrics and traces. Traces are exported only when `otlp_endpoint` is set."""

    log_format: Literal["json", "text"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    metrics: bool = Field(default=True, description="serve Prometheus metrics at /metrics")
    otlp_endpoint: str | None = Field(
        default=None, description="OTLP/HTTP traces endpoint, e.g. http://collector:4318/v1/traces"
    )
    service_name: str = "runs-gateway"


class Settings(BaseSettings):
    """The whole configuration; unknown keys anywhere are an error that names them."""

    model_config = SettingsConfigDict(
        env_prefix="GATEWAY_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    sources: list[SourceConfig] = Field(default_factory=list)
    auth: AuthConfig = AuthConfig()
    graphql: GraphQLConfig = GraphQLConfig()
    cursors: CursorConfig = CursorConfig()
    cache: CacheConfig = CacheConfig()
    limits: LimitsConfig = LimitsConfig()
    subscriptions: SubscriptionsConfig = SubscriptionsConfig()
    observability: ObservabilityConfig = ObservabilityConfig()

    @model_validator(mode="after")
    def _unique_sources(self) -> Settings:
        names = [s.name for s in self.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique: {dupes}")
        return self

    def source(self, name: str) -> SourceConfig | None:
        return next((s for s in self.sources if s.name == name), None)


class ConfigError(Exception):
    """The configuration cannot be used; the message names the offending keys."""


def load_settings(path: str | Path | None = None, **overrides: Any) -> Settings:
    """Read `path` (TOML) under environment overrides; `overrides` win over both (tests, demo)."""
    toml_path = Path(path) if path is not None else None
    if toml_path is not None and not toml_path.is_file():
        raise ConfigError(f"config file not found: {toml_path}")

    class _FileSettings(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            chain: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
            if toml_path is not None:
                chain.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
            return tuple(chain)

    try:
        loaded = _FileSettings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}") from None
    return Settings.model_validate(loaded.model_dump())
