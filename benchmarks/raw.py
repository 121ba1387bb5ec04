"""The raw client: the reference tree's 103 upstream calls made with the least a careful user
would write — botocore's serializer (with its parameter validation) and SigV4 signer, httpx,
orjson — at the gateway's concurrency (the batch's three reads together, then every run's
ListRunTasks at once), against the same emulator. With bare graphql-core executing the same
tree (benchmarks/bare.py), it is the CPU floor the gateway's cold tree is measured against.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import botocore.session
import httpx
import orjson
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.serialize import create_serializer
from botocore.utils import percent_encode_sequence

from gateway.emulator.aws.sigv4 import DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY


class RawClient:
    """botocore's pieces without botocore's client, over one httpx connection pool."""

    def __init__(self, endpoint: str, region: str = "us-east-1") -> None:
        self.endpoint = endpoint.rstrip("/")
        self.model = botocore.session.get_session().get_service_model("omics")
        self.serializer = create_serializer("rest-json", include_validation=True)
        self.signer = SigV4Auth(
            Credentials(DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY), "omics", region
        )
        self.http = httpx.AsyncClient(limits=httpx.Limits(max_connections=128), timeout=60)
        #: Calls made, per operation.
        self.calls: Counter[str] = Counter()

    async def call(self, operation: str, **params: Any) -> dict[str, Any]:
        op = self.model.operation_model(operation)
        request = self.serializer.serialize_to_request(params, op)
        url = self.endpoint + request["url_path"]
        if request["query_string"]:
            url += "?" + percent_encode_sequence(request["query_string"])
        aws = AWSRequest(request["method"], url, request["headers"], request["body"])
        self.signer.add_auth(aws)
        prepared = aws.prepare()
        response = await self.http.request(
            prepared.method, prepared.url, headers=dict(prepared.headers), content=prepared.body
        )
        if response.status_code != 200:
            raise RuntimeError(f"{operation}: HTTP {response.status_code} {response.text[:200]}")
        parsed: dict[str, Any] = orjson.loads(response.content)
        self.calls[operation] += 1
        return parsed

    async def tree(self, batch_id: str) -> dict[str, Any]:
        """The reference tree's calls: GetBatch, ListRunsInBatch and ListRuns(batchId)
        together, then one ListRunTasks per run, all at once. Returns the answers."""
        batch, subs, runs = await asyncio.gather(
            self.call("GetBatch", batchId=batch_id),
            self.call("ListRunsInBatch", batchId=batch_id, maxItems=100),
            self.call("ListRuns", batchId=batch_id, maxResults=100),
        )
        ids = [r["id"] for r in runs["items"]]
        pages = await asyncio.gather(
            *(self.call("ListRunTasks", id=run_id, maxResults=100) for run_id in ids)
        )
        return {"batch": batch, "subs": subs, "runs": runs, "tasks": pages}

    async def aclose(self) -> None:
        await self.http.aclose()
