"""Redis primitives of the shared hub: a poller lease per watched object and versioned events.

The lease (`SET key owner PX ttl`, renewed only by its owner) elects one poller per object
across replicas; it expires by itself when its holder dies, so another replica takes over.
Each change the poller sees gets the next version of that object (a Redis counter kept beside
the last fingerprint) and is published only if the fingerprint differs from the last one and
the publisher still holds the lease: versions only grow, and no state is published twice,
whoever polls. Scripts run atomically on the server (no check-then-act race between replicas).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

# KEYS[1] lease; ARGV owner, ttl ms. Take a free lease or renew one's own.
_HOLD = """
local cur = redis.call('GET', KEYS[1])
if cur == false or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""

# KEYS[1] lease. Give it up only if it is still ours.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# KEYS[1] lease, KEYS[2] state hash; ARGV owner, fingerprint, settled (0/1), channel, state
# ttl ms. Returns {version, changed}: -1 when the lease is no longer ours (nothing published).
_PUBLISH = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {-1, 0} end
local cur = redis.call('HMGET', KEYS[2], 'v', 'fp')
if cur[2] == ARGV[2] then
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
  return {tonumber(cur[1]), 0}
end
local v = redis.call('HINCRBY', KEYS[2], 'v', 1)
redis.call('HSET', KEYS[2], 'fp', ARGV[2], 'settled', ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('PUBLISH', ARGV[4], cjson.encode({k = KEYS[2], v = v, fp = ARGV[2], s = ARGV[3]}))
return {v, 1}
"""


@dataclass(frozen=True)
class Version:
    """One published state of a watched object, as every replica sees it."""

    name: str
    version: int
    fingerprint: str
    settled: bool


class Leases:
    """Leases, state and channels of watched objects under one key prefix."""

    def __init__(self, redis: Any, prefix: str, owner: str) -> None:
        self.redis = redis
        self.prefix = prefix + "live:"
        self.owner = owner
        self._hold = redis.register_script(_HOLD)
        self._release = redis.register_script(_RELEASE)
        self._publish = redis.register_script(_PUBLISH)

    def lease_key(self, name: str) -> str:
        return f"{self.prefix}lease:{name}"

    def state_key(self, name: str) -> str:
        return f"{self.prefix}state:{name}"

    def channel(self, name: str) -> str:
        return f"{self.prefix}ch:{name}"

    @property
    def pattern(self) -> str:
        return f"{self.prefix}ch:*"

    def wake_channel(self) -> str:
        return f"{self.prefix}wake"

    async def hold(self, name: str, ttl: float) -> bool:
        """Take or renew `name`'s lease for `ttl` seconds; False while another replica has it."""
        return bool(await self._hold(keys=[self.lease_key(name)], args=[self.owner, _ms(ttl)]))

    async def release(self, name: str) -> None:
        await self._release(keys=[self.lease_key(name)], args=[self.owner])

    async def publish(
        self, name: str, fingerprint: str, settled: bool, keep: float
    ) -> tuple[int, bool]:
        """Record and announce a state; (version, changed), version -1 if the lease was lost."""
        version, changed = await self._publish(
            keys=[self.lease_key(name), self.state_key(name)],
            args=[self.owner, fingerprint, int(settled), self.channel(name), _ms(keep)],
        )
        return int(version), bool(changed)

    async def current(self, name: str) -> Version | None:
        """The last published state of `name` (None before its first poll)."""
        raw = await self.redis.hmget(self.state_key(name), "v", "fp", "settled")
        if raw[0] is None:
            return None
        return Version(name, int(raw[0]), _text(raw[1]), _text(raw[2]) == "1")

    def parse(self, data: bytes | str) -> Version | None:
        """A published event; None for anything malformed (never trusted beyond a hint)."""
        try:
            doc = orjson.loads(data)
            state = str(doc["k"])
            if not state.startswith(self.prefix + "state:"):
                return None
            name = state.removeprefix(self.prefix + "state:")
            return Version(name, int(doc["v"]), str(doc["fp"]), str(doc["s"]) == "1")
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return None

    async def ask_wake(self, name: str) -> None:
        """Ask whichever replica polls `name` to poll it now (a push event arrived here)."""
        await self.redis.publish(self.wake_channel(), name)


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else value
