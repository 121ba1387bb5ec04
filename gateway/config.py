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

from gateway.quotas import DEFAULT_UPSTREAM_RATES as DEFAULT_UPSTREAM_RATES

log = logging.getLogger(__name__)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceOptions(_Section):
    """The keys every `[[sources]]` entry has; each cloud's options model adds its own.

    `Settings` accepts any further keys: the registry validates each source against its
    cloud's model (`Cloud.options`), so a cloud defined outside `gateway/` brings its own keys.
    """

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    #: The cloud's kind name (`healthomics`, `tencent-omics`, `datazone`, …).
    provider: str = Field(pattern=r"^[a-z0-9-]{1,32}$")
    region: str
    endpoint_url: str | None = None
    account: str | None = None


class SourceConfig(SourceOptions):
    """One upstream account + region (+ Tencent project or DataZone domain), named by operators.

    The clouds' own keys are declared here too, so providers read them typed; which apply to
    which cloud is the cloud's options model's to say.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    profile: str | None = None
    role_arn: str | None = None
    project_id: str | None = None
    domain_id: str | None = None
    #: The SQS queue this source's status-change events reach (read with its credentials).
    events_queue_url: str | None = None
    #: DataZone: the jobs whose runs the catalogue sweeps (no DataZone call lists jobs).
    jobs: tuple[str, ...] | None = None

    @property
    def account_key(self) -> str:
        """Sources naming one account share its rate budget; by default each is its own."""
        return self.account or f"source:{self.name}"


class ApiKeyConfig(_Section):
    """One client key, stored as the SHA-256 of the key (`gateway hash-key` makes both)."""

    name: str = Field(min_length=1, max_length=128)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    #: Sources this key may read; `["*"]` grants every configured source.
    sources: list[str] = Field(default_factory=list)
    #: Extra grants: `logs` lets this key read run and task logs (of its sources only).
    scopes: list[Literal["logs"]] = Field(default_factory=list)


class JwtConfig(_Section):
    """Bearer JWTs verified by PyJWT against a JWKS URL or a static key (PEM or HMAC secret)."""

    jwks_url: str | None = None
    key: str | None = None
    issuer: str | None = None
    audience: str | None = None
    algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256"])
    #: The claim listing granted sources (a list, or a space-separated string); `*` grants all.
    sources_claim: str = "sources"
    #: The claim listing extra grants (a list or a space-separated string): `logs` reads logs.
    scopes_claim: str = "scopes"
    leeway_seconds: float = Field(default=30.0, ge=0, le=600)

    @model_validator(mode="after")
    def _one_key_source(self) -> JwtConfig:
        if (self.jwks_url is None) == (self.key is None):
            raise ValueError("set exactly one of `jwks_url` and `key`")
        if "none" in [a.lower() for a in self.algorithms]:
            raise ValueError("algorithm `none` is never accepted")
        return self


class AuthConfig(_Section):
    """How clients authenticate; `none` is an explicit, loudly logged opt-in."""

    mode: Literal["none", "api_key", "jwt"] = "none"
    api_keys: list[ApiKeyConfig] = Field(default_factory=list)
    jwt: JwtConfig | None = None

    @model_validator(mode="after")
    def _mode_has_credentials(self) -> AuthConfig:
        if self.mode == "api_key" and not self.api_keys:
            raise ValueError('mode "api_key" needs at least one [[auth.api_keys]] entry')
        if self.mode == "jwt" and self.jwt is None:
            raise ValueError('mode "jwt" needs an [auth.jwt] section')
        return self


class GraphQLConfig(_Section):
    """The GraphQL endpoint; `persisted_queries` speaks Apollo's APQ protocol.

    `auto` registers any operation sent with its sha256 (clients then send only the hash);
    `allowlist` runs only the operations of `persisted_query_manifest` (an Apollo persisted
    query manifest, or a JSON object of hash → query); `off` ignores the hashes.
    """

    playground: bool = False
    introspection: bool = False
    #: graphql-core's "Did you mean …?" hints, which tell a stranger the schema's names.
    suggestions: bool = False
    cors_origins: list[str] = Field(default_factory=list)
    max_depth: int = Field(default=15, ge=1)
    max_aliases: int = Field(default=30, ge=0)
    max_tokens: int = Field(default=5_000, ge=10)
    max_body_bytes: int = Field(default=1_000_000, ge=1_000)
    #: JSON nesting a body, a GET parameter or a WebSocket message may carry (bounded before
    #: parsing: see gateway/security/body.py).
    max_json_depth: int = Field(default=64, ge=4, le=512)
    #: Estimated nodes: first/last multiplied through nested connections (GitHub's way).
    max_nodes: int = Field(default=500_000, ge=1)
    max_upstream_calls: int = Field(default=2_000, ge=1)
    #: Where `gateway assets --dest` put GraphiQL's files (default: inside the package).
    assets_dir: str | None = None
    persisted_queries: Literal["off", "auto", "allowlist"] = "auto"
    persisted_query_manifest: Path | None = None
    persisted_query_cache_size: int = Field(default=10_000, ge=1)
    #: `@defer`/`@stream` (graphql-js 17's pending/incremental/completed frames over
    #: multipart/mixed or SSE). Experimental in graphql-core 3.3, so off unless asked for.
    incremental: bool = False
    #: GraphQL over Server-Sent Events (`graphql-sse`, distinct connections) beside WebSocket.
    sse: bool = True
    #: A comment line this often keeps proxies from closing an idle event stream.
    sse_heartbeat_seconds: float = Field(default=15.0, gt=0, le=300)

    @model_validator(mode="after")
    def _allowlist_needs_manifest(self) -> GraphQLConfig:
        if self.persisted_queries == "allowlist" and self.persisted_query_manifest is None:
            raise ValueError('persisted_queries = "allowlist" needs persisted_query_manifest')
        return self


class FederationConfig(_Section):
    """Apollo Federation: who may read the subgraph SDL (`_service { sdl }`) while
    `[graphql] introspection` is off — API key names (or JWT subjects) of routers and rover."""

    router_keys: list[str] = Field(default_factory=list)


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
    """Upstream fan-out and resilience (caps, timeouts, rates, breaker) and per-client quotas."""

    concurrency_per_account: int = Field(default=16, ge=1, le=1_000)
    upstream_timeout_seconds: float = Field(default=10.0, gt=0)
    tencent_describe_chunk: int = Field(default=100, ge=1, le=100)
    #: Tencent's documented quota per action and account; raise it only if yours was raised.
    tencent_requests_per_second: int = Field(default=20, ge=1, le=10_000)
    #: After this, a query's remaining upstream calls fail fast with UPSTREAM_TIMEOUT.
    query_deadline_seconds: float = Field(default=30.0, gt=0)
    #: Client-side calls/s per upstream account and `provider:Operation` (`provider:*` for every
    #: operation); setting the table replaces these defaults (the documented quotas).
    upstream_rates: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_UPSTREAM_RATES))
    #: Calls are paced at this share of each quota, so jitter on the way never exceeds it.
    upstream_rate_headroom: float = Field(default=0.9, gt=0, le=1)
    #: Consecutive failed calls that open a source's circuit, and how long it stays open.
    breaker_failures: int = Field(default=5, ge=1)
    breaker_cooldown_seconds: float = Field(default=30.0, gt=0)
    #: Per client (API key or JWT subject): queries per minute and cost points per hour, where
    #: a query's points are its estimated upstream calls (at least 1). 0 switches a limit off.
    queries_per_minute: int = Field(default=600, ge=0)
    cost_points_per_hour: int = Field(default=100_000, ge=0)
    #: Memory budgets (bytes) of what clients can make the gateway keep; the defaults, with
    #: `[cache] max_bytes`, fit a 512 MiB pod (docs/memory.md). Parsed documents and their
    #: validation (text + ~700 bytes per token), APQ registrations (their text), kept answers
    #: (encoded JSON; `[cache] responses_max_bytes` bounds them too, the smaller wins).
    document_cache_bytes: int = Field(default=32 * 1024 * 1024, ge=0)
    persisted_query_bytes: int = Field(default=16 * 1024 * 1024, ge=0)
    kept_answer_bytes: int = Field(default=32 * 1024 * 1024, ge=0)
    #: Gateway replicas sharing the upstream quotas. While Redis (the shared bucket) is
    #: unreachable, each paces in-process at quota ÷ replicas, so together they stay under it.
    replicas: int = Field(default=1, ge=1, le=1_000)
    #: On shutdown, in-flight queries get this long to finish.
    shutdown_grace_seconds: float = Field(default=20.0, ge=0)


class PricingConfig(_Section):
    """Where cost estimates take prices: the AWS Price List API (cached `ttl_seconds`, shared
    through the cache backend) or the dated table shipped with the gateway (air-gapped)."""

    source: Literal["api", "table"] = "api"
    #: A table of your own in the shipped table's format (default: the shipped one).
    table_path: Path | None = None
    #: The Price List endpoint's region (it is served from us-east-1, eu-central-1, ap-south-1).
    region: Literal["us-east-1", "eu-central-1", "ap-south-1"] = "us-east-1"
    ttl_seconds: float = Field(default=86_400.0, ge=60)


class LogsConfig(_Section):
    """Log reading: how much of a Tencent run's engine log (a signed COS URL) is fetched."""

    max_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)


class SubscriptionsConfig(_Section):
    """Polling on subscribers' behalf: first interval, doubled while unchanged up to the max."""

    poll_interval_seconds: float = Field(default=5.0, gt=0)
    max_interval_seconds: float = Field(default=60.0, gt=0)


class EventsConfig(_Section):
    """EventBridge → SQS push: HealthOmics status-change events wake subscribers early.

    Events are hints, never data: each makes the watched run be read fresh (rate-limited);
    polling stays as the safety net, at `safety_poll_interval_seconds` while events flow.
    """

    #: A queue EventBridge delivers to, shared by the pushed sources (a source may also name
    #: its own: `events_queue_url` in its `[[sources]]` entry).
    sqs_queue_url: str | None = None
    #: Whose credentials (profile, role) read the shared queue: a source's name; default: the
    #: first source of a cloud that publishes events.
    source: str | None = None
    #: The queues' region (default: from the queue URL, else the reading source's) and, for
    #: the emulator, their endpoint (default: the reading source's).
    region: str | None = None
    endpoint_url: str | None = None
    wait_seconds: int = Field(default=20, ge=0, le=20)
    visibility_timeout_seconds: int = Field(default=30, ge=0, le=43_200)
    #: Fresh reads caused by events, per second across the process (a forged flood costs this).
    max_reads_per_second: float = Field(default=5.0, gt=0)
    safety_poll_interval_seconds: float = Field(default=60.0, gt=0)


class ObservabilityConfig(_Section):
    """Logs, metrics and traces. Traces are exported only when `otlp_endpoint` is set."""

    log_format: Literal["json", "text"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    metrics: bool = Field(default=True, description="serve Prometheus metrics at /metrics")
    otlp_endpoint: str | None = Field(
        default=None, description="OTLP/HTTP traces endpoint, e.g. http://collector:4318/v1/traces"
    )
    service_name: str = "runs-gateway"


class CatalogConfig(_Section):
    """The run catalogue (`gateway.catalog`): a durable copy of every source's runs.

    SQLite under `data_dir` by default; PostgreSQL (`postgresql+asyncpg://…`) for several
    replicas, its URL from `url_file` (a secret file) or the environment
    (`GATEWAY_CATALOG__URL`), never required in the config file.
    """

    enabled: bool = False
    #: Whether this process syncs (under leases) or only serves what others synced.
    sync: bool = True
    url: str | None = Field(default=None, pattern=r"^(sqlite\+aiosqlite|postgresql\+asyncpg)://")
    url_file: Path | None = None
    data_dir: Path = Path("data")
    #: At most this share of each upstream operation's paced rate goes to the sync.
    quota_share: float = Field(default=0.3, gt=0, le=1)
    #: Calls/s assumed for an operation no rate table names (the sync paces it at the share).
    fallback_rate: float = Field(default=5.0, gt=0)
    sweep_interval_seconds: float = Field(default=60.0, gt=0)
    lease_seconds: float = Field(default=30.0, gt=0)
    retention_days: int = Field(default=0, ge=0)
    deleted_retention_days: int = Field(default=30, ge=0)
    orphan_retention_days: int = Field(default=7, ge=0)
    #: Store run parameters, role ARNs, session policies and Tencent Input/Option too.
    store_parameters: bool = False
    #: DataZone has no call that lists jobs: the job ids to sweep, by source name.
    #: Deprecated: a DataZone source's `jobs` option says it (still read, with a warning).
    datazone_jobs: dict[str, list[str]] = Field(default_factory=dict)


class UiConfig(_Section):
    """The runs dashboard (`gateway.ui`): pages under /ui reading this gateway's GraphQL API."""

    enabled: bool = False


class Settings(BaseSettings):
    """The whole configuration; unknown keys anywhere are an error that names them."""

    model_config = SettingsConfigDict(
        env_prefix="GATEWAY_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    sources: list[SourceConfig] = Field(default_factory=list)
    auth: AuthConfig = AuthConfig()
    graphql: GraphQLConfig = GraphQLConfig()
    federation: FederationConfig = FederationConfig()
    cursors: CursorConfig = CursorConfig()
    cache: CacheConfig = CacheConfig()
    limits: LimitsConfig = LimitsConfig()
    subscriptions: SubscriptionsConfig = SubscriptionsConfig()
    pricing: PricingConfig = PricingConfig()
    logs: LogsConfig = LogsConfig()
    events: EventsConfig = EventsConfig()
    observability: ObservabilityConfig = ObservabilityConfig()
    catalog: CatalogConfig = CatalogConfig()
    ui: UiConfig = UiConfig()

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
