"""The Price List API as the emulator serves it, read with a real boto3 `pricing` client."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.emulator.conftest import Served, aws_client


def _filters(**terms: str) -> list[dict[str, str]]:
    return [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in terms.items()]


def test_one_instance_price(emulator: Served) -> None:
    pricing = aws_client(emulator, "pricing")
    answer = pricing.get_products(
        ServiceCode="AmazonOmics",
        Filters=_filters(resourceType="omics.m.xlarge", regionCode="us-east-1"),
    )
    [raw] = answer["PriceList"]  # each product is a JSON document in a string
    product = json.loads(raw)
    assert product["product"]["attributes"]["resourceType"] == "omics.m.xlarge"
    [term] = product["terms"]["OnDemand"].values()
    [dim] = term["priceDimensions"].values()
    expected = emulator.emulator.pricing.price("us-east-1", "omics.m.xlarge")
    assert float(dim["pricePerUnit"]["USD"]) == expected


def test_storage_prices_and_paging(emulator: Served) -> None:
    pricing = aws_client(emulator, "pricing")
    found = [
        json.loads(p)
        for p in pricing.get_products(
            ServiceCode="AmazonOmics", Filters=_filters(resourceType="Dynamic Run Storage")
        )["PriceList"]
    ]
    assert {p["product"]["attributes"]["regionCode"] for p in found} >= {"us-east-1", "eu-west-1"}
    seen, token = 0, None
    while True:
        extra = {"NextToken": token} if token else {}
        page = pricing.get_products(
            ServiceCode="AmazonOmics",
            Filters=_filters(regionCode="us-east-1"),
            MaxResults=7,
            **extra,
        )
        seen += len(page["PriceList"])
        token = page.get("NextToken")
        if not token:
            break
    assert seen == sum(1 for p in emulator.emulator.pricing.book if p.region == "us-east-1")


def test_errors(emulator: Served) -> None:
    pricing = aws_client(emulator, "pricing")
    with pytest.raises(pricing.exceptions.NotFoundException):
        pricing.get_products(ServiceCode="AmazonNothing")
    with pytest.raises(pricing.exceptions.InvalidNextTokenException):
        pricing.get_products(ServiceCode="AmazonOmics", NextToken="forged")
    loose: Any = aws_client(emulator, "pricing", parameter_validation=False)
    with pytest.raises(loose.exceptions.InvalidParameterException, match="MaxResults"):
        loose.get_products(ServiceCode="AmazonOmics", MaxResults=101)
