"""HealthOmics prices: the AWS Price List API (`pricing` GetProducts) or a shipped, dated table.

GetProducts is asked for one resource type in one region (ServiceCode AmazonOmics, TERM_MATCH on
`resourceType` and `regionCode`); its PriceList entries are JSON documents in strings, the USD
figure under terms.OnDemand.<term>.priceDimensions.<dim>.pricePerUnit.USD. No answer is not a
zero: a missing price stays missing (`None`) and the figures that needed it say so. Caching
(a day, shared) is the graph floor's job, like every upstream read.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from gateway.clouds.aws.wire import AwsWire
from gateway.clouds.healthomics.states import KIND
from gateway.config import LimitsConfig, PricingConfig, SourceConfig
from gateway.guards import SourceGuard

SERVICE = "pricing"
SERVICE_CODE = "AmazonOmics"
STATIC_STORAGE = "Run Storage"
DYNAMIC_STORAGE = "Dynamic Run Storage"
SHIPPED_TABLE = Path(__file__).with_name("prices.json")


@dataclass(frozen=True)
class Price:
    """One price and where it came from: `api` (the Price List API) or `table:<date>`."""

    usd: float
    source: str


@dataclass(frozen=True)
class PriceTable:
    date: str
    regions: dict[str, dict[str, float]]

    def price(self, region: str, resource_type: str) -> Price | None:
        usd = self.regions.get(region, {}).get(resource_type)
        return None if usd is None else Price(usd, f"table:{self.date}")


@cache
def load_table(path: Path = SHIPPED_TABLE) -> PriceTable:
    """The table at `path` (the shipped one by default): `date` and `regions.<r>.<type>`."""
    raw = json.loads(path.read_text())
    regions = {
        str(region): {str(k): float(v) for k, v in prices.items()}
        for region, prices in raw["regions"].items()
    }
    return PriceTable(str(raw["date"]), regions)


def usd_of(product: Any) -> float | None:
    """The on-demand USD price of one PriceList entry (a JSON string), if it has exactly one."""
    try:
        doc = json.loads(product) if isinstance(product, str) else product
        found = [
            float(dim["pricePerUnit"]["USD"])
            for term in doc["terms"]["OnDemand"].values()
            for dim in term["priceDimensions"].values()
        ]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return found[0] if len(found) == 1 else None


class PriceList:
    """Prices for one source's account, from the configured place."""

    def __init__(
        self,
        config: SourceConfig,
        limits: LimitsConfig,
        gate: asyncio.Semaphore,
        pricing: PricingConfig,
        guard: SourceGuard | None = None,
    ) -> None:
        self.config = pricing
        self.name = config.name
        self._table = pricing.table_path
        # The Price List API lives in a few regions of its own, whatever the source's region.
        where = config.model_copy(update={"region": pricing.region})
        self.wire = AwsWire(where, limits, SERVICE, gate, kind=KIND, guard=guard)

    @property
    def from_api(self) -> bool:
        return self.config.source == "api"

    def table(self) -> PriceTable:
        return load_table(self._table) if self._table is not None else load_table()

    async def price(self, region: str, resource_type: str) -> Price | None:
        """The price of `resource_type` in `region`; one GetProducts call when from the API."""
        if not self.from_api:
            return self.table().price(region, resource_type)
        filters = [
            {"Type": "TERM_MATCH", "Field": "resourceType", "Value": resource_type},
            {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
        ]

        async def invoke(client: Any) -> dict[str, Any]:
            result: dict[str, Any] = await client.get_products(
                ServiceCode=SERVICE_CODE, Filters=filters, FormatVersion="aws_v1", MaxResults=10
            )
            return result

        response = await self.wire.call("GetProducts", invoke)
        prices = {usd_of(p) for p in response.get("PriceList", [])} - {None}
        if len(prices) != 1:
            return None  # none, or ambiguous: never a guess
        (usd,) = prices
        assert usd is not None
        return Price(usd, "api")

    async def aclose(self) -> None:
        await self.wire.aclose()
