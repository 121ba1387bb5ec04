"""Shared pieces of the AWS-side dataset: scales, deterministic randomness and id makers.

The HealthOmics and DataZone generators (healthomics_data.py, datazone_data.py) build on these
so one seed gives one world, the same on every machine and at every import.
"""

from __future__ import annotations

import hashlib
import random
import string
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

#: Where the AWS-side data lives; requests signed for other regions see an empty world.
AWS_REGION = "us-east-1"


@dataclass(frozen=True)
class Scale:
    """How big a generated world is; `small` still holds every case tests need."""

    name: str
    archetype_copies: int
    runs_per_batch: tuple[int, int]
    tasks_per_run: tuple[int, int]
    standalone_runs: int
    reference: bool
    dz_domains: int
    dz_jobs_per_domain: int
    dz_runs_per_job: tuple[int, int]


SCALES: dict[str, Scale] = {
    "small": Scale("small", 1, (3, 7), (2, 12), 6, False, 1, 4, (1, 12)),
    "demo": Scale("demo", 2, (5, 40), (3, 40), 20, True, 2, 6, (1, 80)),
    "large": Scale("large", 8, (20, 200), (5, 60), 200, True, 3, 20, (1, 400)),
}


def scale_named(name: str) -> Scale:
    try:
        return SCALES[name]
    except KeyError:
        raise ValueError(f"unknown scale {name!r}; choose one of {sorted(SCALES)}") from None


def rng_for(seed: int, *keys: object) -> random.Random:
    """A random stream that depends only on the seed and the keys, never on call order."""
    digest = hashlib.sha256(repr((seed, *keys)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def account_id(seed: int) -> str:
    return str(rng_for(seed, "account").randrange(10**11, 10**12))


def uuid_from(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def hex_digest(rng: random.Random, length: int = 64) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(length))


def alnum_id(rng: random.Random, length: int = 14) -> str:
    return "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(length))


class DigitIds:
    """Unique digit-string ids per kind (HealthOmics ids are `[0-9]+`, at most 18 chars).

    An affine map over `10**(width-1)` keeps ids unique and unordered; the leading digit
    names the kind, so a run id is never also a batch id.
    """

    def __init__(self, seed: int, prefix: int, width: int) -> None:
        self._space = 10 ** (width - 1)
        self._prefix = str(prefix)
        self._offset = rng_for(seed, "ids", prefix).randrange(self._space)
        self._width = width - 1

    def __call__(self, k: int) -> str:
        if not 0 <= k < self._space:
            raise ValueError("id space exhausted")
        num = (k * 1_000_003 + self._offset) % self._space
        return self._prefix + str(num).zfill(self._width)


def seconds(n: float) -> timedelta:
    """A duration rounded to whole milliseconds, the precision the wire carries."""
    return timedelta(milliseconds=round(n * 1000))


def at_or_none(when: datetime | None, now: datetime) -> datetime | None:
    """A timestamp only once it has happened in simulated time."""
    return when if when is not None and when <= now else None
