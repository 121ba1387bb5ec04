"""The emulator as one ASGI app: AWS REST-JSON by path, Tencent by `X-TC-Action`, control API.

`create_emulator()` is what tests and the gateway's demo mode call; real botocore, aiobotocore
and Tencent SDK clients talk to the resulting app over loopback exactly as to the clouds.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from gateway.emulator.aws.json_protocol import JsonDispatcher, JsonService
from gateway.emulator.aws.protocol import (
    AwsCall,
    AwsError,
    Handler,
    Pager,
    error_response,
    json_response,
    parse_params,
    routes_for,
    service_model,
    validate,
)
from gateway.emulator.aws.protocol import Route as AwsRoute
from gateway.emulator.aws.sigv4 import AuthError, verify
from gateway.emulator.calls import CallLog
from gateway.emulator.clock import SimClock
from gateway.emulator.control import control_app
from gateway.emulator.datazone import service as datazone
from gateway.emulator.datazone.data import DataZoneData
from gateway.emulator.faults import Faults
from gateway.emulator.healthomics import service as healthomics
from gateway.emulator.healthomics.data import HealthOmicsData
from gateway.emulator.held import ClientGone, unless_disconnected
from gateway.emulator.sqs.eventbridge import EventBridgeEmitter
from gateway.emulator.sqs.queues import Queues
from gateway.emulator.sqs.service import SqsService
from gateway.emulator.tencent.data import TencentData
from gateway.emulator.tencent.service import TencentService

_FAULT_ERRORS = {
    "throttle": ("ThrottlingException", "Rate exceeded", 429),
    "error": ("InternalServerException", "An internal error occurred. Try again.", 500),
}


#: The queue an EventBridge rule for `aws.omics` status changes delivers to.
EVENT_QUEUE = "omics-status-events"


class AwsDispatcher:
    """Routes AWS requests by the model's requestUri; checks SigV4, faults and validation."""

    def __init__(self, handlers: dict[str, dict[str, Handler]], faults: Faults, calls: CallLog):
        self.faults = faults
        self.calls = calls
        self.handlers = handlers
        self.routes: list[AwsRoute] = [
            route for service, ops in handlers.items() for route in routes_for(service, ops)
        ]

    def _match(self, method: str, raw_path: str) -> tuple[AwsRoute, dict[str, str]] | None:
        for route in self.routes:
            labels = route.match(method, raw_path)
            if labels is not None:
                return route, labels
        return None

    async def __call__(self, request: Request) -> Response:
        arrived = time.monotonic()
        raw_path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
        raw_path = raw_path.split("?", 1)[0]
        raw_query = request.scope.get("query_string", b"").decode("latin-1")
        found = self._match(request.method, raw_path)
        if found is None:
            return error_response("UnknownOperationException", "Unknown operation", 404)
        route, labels = found
        try:
            response = await self._answer(request, route, labels, raw_path, raw_query)
        except ClientGone:
            return Response(status_code=499)
        self.calls.record(route.service, route.operation, response.status_code, arrived)
        return response

    async def _answer(
        self, request: Request, route: AwsRoute, labels: dict[str, str], raw_path: str, query: str
    ) -> Response:
        body = await request.body()
        try:
            signed = verify(
                method=request.method,
                raw_path=raw_path,
                raw_query=query,
                headers=[
                    (k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]
                ],
                body=body,
                service=service_model(route.service).metadata["signingName"],
            )
        except AuthError as exc:
            return error_response(exc.code, exc.message, exc.status)
        outcome = await unless_disconnected(
            request, self.faults.gate(route.service, route.operation)
        )
        if outcome != "ok":
            return error_response(*_FAULT_ERRORS[outcome])
        try:
            params = parse_params(route, labels, query)
            members = route.model.input_shape.members
            for name, value in params.items():
                validate(members[name], value, name)
            call = AwsCall(route.service, route.operation, params, signed.region)
            result = await self.handlers[route.service][route.operation](call)
        except AwsError as exc:
            return error_response(exc.code, exc.message, exc.status)
        return json_response(route, result)


@dataclass
class Emulator:
    """Everything a test or the demo needs: the ASGI app and the knobs and truths behind it."""

    app: Starlette
    clock: SimClock
    faults: Faults
    calls: CallLog
    healthomics: HealthOmicsData
    datazone: DataZoneData
    tencent: TencentData
    seed: int = 0
    scale: str = "demo"
    quotas: bool = True
    #: SQS queues, and the one HealthOmics' EventBridge events are delivered to.
    sqs: Queues | None = None
    events: EventBridgeEmitter | None = None

    @property
    def event_queue_url(self) -> str:
        assert self.events is not None
        return self.events.queue.url

    def dataset(self) -> dict[str, Any]:
        """The `/_emulator/dataset` document: top-level ids per service and region."""
        summary: dict[str, Any] = {
            "healthomics": self.healthomics.dataset_summary(),
            "tencent": self.tencent.dataset_summary(),
            "datazone": self.datazone.dataset_summary(),
        }
        if self.healthomics.reference_batch_id is not None:
            summary["reference"] = {
                "healthomics": {
                    "region": self.healthomics.region,
                    "batchId": self.healthomics.reference_batch_id,
                }
            }
        return summary


def create_emulator(seed: int = 0, scale: str = "demo", quotas: bool = True) -> Emulator:
    """Build the whole emulator for a seed and scale (`small`, `demo`, `large`)."""
    clock = SimClock()
    faults = Faults(seed=seed, quotas=quotas)
    calls = CallLog()
    ho = HealthOmicsData(seed, scale, clock)
    dz = DataZoneData(seed, scale, clock)
    tc = TencentData(seed, scale, clock)
    secret = hashlib.sha256(f"emulator-tokens:{seed}".encode()).digest()
    dispatcher = AwsDispatcher(
        {
            healthomics.SERVICE: healthomics.HealthOmicsService(
                ho, Pager(healthomics.SERVICE, secret, faults, calls)
            ).operations,
            datazone.SERVICE: datazone.DataZoneService(
                dz, Pager(datazone.SERVICE, secret, faults, calls)
            ).operations,
        },
        faults,
        calls,
    )
    tencent = TencentService(tc, clock, faults, calls)
    queues = Queues(clock)
    emitter = EventBridgeEmitter(
        ho, queues.create(ho.region, ho.account, EVENT_QUEUE), faults, seed
    )
    clock.listen(emitter)
    json_services: list[JsonService] = [SqsService(queues).json_service()]
    json_dispatcher = JsonDispatcher(json_services, faults, calls)

    async def entry(request: Request) -> Response:
        if (
            request.method == "POST"
            and request.url.path == "/"
            and "x-tc-action" in request.headers
        ):
            return await tencent.handle(request)
        if JsonDispatcher.accepts(request):
            return await json_dispatcher(request)
        return await dispatcher(request)

    app = Starlette()
    emulator = Emulator(
        app,
        clock,
        faults,
        calls,
        ho,
        dz,
        tc,
        seed=seed,
        scale=scale,
        quotas=quotas,
        sqs=queues,
        events=emitter,
    )
    methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]
    app.router.routes.extend(
        [
            Mount("/_emulator", app=control_app(emulator)),
            Route("/{path:path}", entry, methods=methods),
        ]
    )
    return emulator
