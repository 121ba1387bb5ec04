"""The AWS Price List API (botocore service `pricing`, JSON 1.1): GetProducts for AmazonOmics.

Each product is one JSON string, as the real API answers: `product.attributes` (resourceType,
regionCode…) and `terms.OnDemand.<term>.priceDimensions.<dim>.pricePerUnit.USD`. Filters are
matched like TERM_MATCH (exact attribute value); pages are filter-bound like every listing.
The prices are the emulator's "today": they differ a little from the gateway's shipped table on
purpose, so a test can tell which one a figure came from.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from gateway.emulator.aws.protocol import AwsCall, AwsError, Handler, Pager

SERVICE = "pricing"
SERVICE_CODE = "AmazonOmics"
PUBLISHED = "2026-11-01T00:00:00Z"
#: USD per vCPU-hour by instance family, and per GiB-hour of run storage, in us-east-1.
FAMILY_RATE = {"c": 0.05854, "m": 0.06609, "r": 0.08690}
GPU_TYPES = {"omics.g4dn.xlarge": 0.6426, "omics.g5.xlarge": 1.2342, "omics.g5.2xlarge": 1.4841}
STORAGE = {"Run Storage": 0.0001957, "Dynamic Run Storage": 0.0004080}
SIZES = {
    "large": 2,
    "xlarge": 4,
    "2xlarge": 8,
    "4xlarge": 16,
    "8xlarge": 32,
    "12xlarge": 48,
    "16xlarge": 64,
    "24xlarge": 96,
    "32xlarge": 128,
    "48xlarge": 192,
}
#: Regions with HealthOmics prices, and what they cost relative to us-east-1.
REGIONS = {"us-east-1": 1.0, "us-west-2": 1.0, "eu-west-1": 1.1, "eu-central-1": 1.14}


@dataclass(frozen=True)
class Price:
    region: str
    resource_type: str
    usd: float
    unit: str


def price_book() -> list[Price]:
    """Every AmazonOmics price the emulator knows, in a stable order."""
    out: list[Price] = []
    for region, factor in REGIONS.items():
        for family, rate in FAMILY_RATE.items():
            for size, vcpus in SIZES.items():
                usd = round(rate * vcpus * factor, 4)
                out.append(Price(region, f"omics.{family}.{size}", usd, "hrs"))
        for name, usd in GPU_TYPES.items():
            out.append(Price(region, name, round(usd * factor, 4), "hrs"))
        for name, usd in STORAGE.items():
            out.append(Price(region, name, round(usd * factor, 7), "GB-Hours"))
    return out


def product_json(price: Price) -> str:
    """One Price List entry as the API serialises it (a JSON document in a string)."""
    sku = hashlib.sha256(f"{price.region}|{price.resource_type}".encode()).hexdigest()[:16].upper()
    term = f"{sku}.JRTCKXETXF"
    return json.dumps(
        {
            "product": {
                "productFamily": "Storage" if "Storage" in price.resource_type else "Compute",
                "attributes": {
                    "servicecode": SERVICE_CODE,
                    "regionCode": price.region,
                    "resourceType": price.resource_type,
                    "servicename": "AWS HealthOmics",
                },
                "sku": sku,
            },
            "serviceCode": SERVICE_CODE,
            "terms": {
                "OnDemand": {
                    term: {
                        "priceDimensions": {
                            f"{term}.6YS6EN2CT7": {
                                "unit": price.unit,
                                "endRange": "Inf",
                                "beginRange": "0",
                                "appliesTo": [],
                                "rateCode": f"{term}.6YS6EN2CT7",
                                "description": f"{price.resource_type} in {price.region}",
                                "pricePerUnit": {"USD": f"{price.usd:.10f}"},
                            }
                        },
                        "sku": sku,
                        "effectiveDate": PUBLISHED,
                        "offerTermCode": "JRTCKXETXF",
                        "termAttributes": {},
                    }
                }
            },
            "version": PUBLISHED[:10].replace("-", "") + "000000",
            "publicationDate": PUBLISHED,
        }
    )


def _attributes(price: Price) -> dict[str, str]:
    return {
        "servicecode": SERVICE_CODE,
        "regionCode": price.region,
        "resourceType": price.resource_type,
    }


class PricingService:
    """GetProducts over the price book."""

    def __init__(self, pager: Pager) -> None:
        self.pager = pager
        self.book = price_book()
        self.operations: dict[str, Handler] = {"GetProducts": self.get_products}

    def price(self, region: str, resource_type: str) -> float | None:
        """Ground truth for tests: the USD price of one resource type in one region."""
        for p in self.book:
            if (p.region, p.resource_type) == (region, resource_type):
                return p.usd
        return None

    async def get_products(self, call: AwsCall) -> dict[str, Any]:
        p = call.params
        code = p.get("ServiceCode")
        if code is None:
            raise AwsError("InvalidParameterException", "ServiceCode is required.", 400)
        if code != SERVICE_CODE:
            raise AwsError("NotFoundException", f"Service {code} was not found.", 400)
        filters = p.get("Filters", [])
        for f in filters:
            if f["Type"] not in ("TERM_MATCH", "EQUALS"):
                raise AwsError("InvalidParameterException", f"Unsupported type {f['Type']}", 400)
        chosen = [
            price
            for price in self.book
            if all(_attributes(price).get(f["Field"]) == f["Value"] for f in filters)
        ]
        try:
            page, token = self.pager.page(
                chosen,
                operation=call.operation,
                filters={"code": code, "filters": filters},
                token=p.get("NextToken"),
                token_param="NextToken",
                limit=p.get("MaxResults", 100),
            )
        except AwsError as exc:
            raise AwsError("InvalidNextTokenException", exc.message, 400) from exc
        return {
            "FormatVersion": p.get("FormatVersion", "aws_v1"),
            "PriceList": [product_json(price) for price in page],
            "NextToken": token,
        }
