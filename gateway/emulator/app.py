"""The emulator as one ASGI app: AWS REST-JSON by path, Tencent by `X-TC-Action`, control API.

`create_emulator()` is what tests and the gateway's demo mode call; real botocore, aiobotocore
and Tencent SDK clients talk to the resulting app over loopback exactly as to the clouds.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from gateway.emulator.aws.data import account_id
from gateway.emulator.aws.json_protocol import JsonDispatcher, JsonService
from gateway.emulator.aws.logs import SERVICE as LOGS
from gateway.emulator.aws.logs import LogsService
from gateway.emulator.aws.pricing import SERVICE as PRICING
from gateway.emulator.aws.pricing import PricingService
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
from gateway.emulator.aws.sts import Identities, StsService
from gateway.emulator.calls import CallLog
from gateway.emulator.clock import SimClock
from gateway.emulator.control import control_app
from gateway.emulator.datazone import service as datazone
from gateway.emulator.datazone.data import DataZoneData
from gateway.emulator.faults import Faults, spoil
from gateway.emulator.healthomics import service as healthomics
from gateway.emulator.healthomics.data import HealthOmicsData
from gateway.emulator.healthomics.workflow_logs import GROUP as LOG_GROUP
from gateway.emulator.healthomics.workflow_logs import WorkflowLogs
from gateway.emulator.held import ClientGone, unless_disconnected
from gateway.emulator.sqs.eventbridge import EventBridgeEmitter
from gateway.emulator.sqs.queues import Queues
from gateway.emulator.sqs.service import SqsService
from gateway.emulator.tencent.data import TencentData
from gateway.emulator.tencent.run_logs import RunLogs
from gateway.emulator.tencent.service import TencentService

#: AWS accounts the emulator holds data for (each its own seed): one per role a test assumes.
ACCOUNTS = 4
_FAULT_ERRORS = {
    "throttle": ("ThrottlingException", "Rate exceeded", 429),
    "error": ("InternalServerException", "An internal error occurred. Try again.", 500),
}


#: The queue an EventBridge rule for `aws.omics` status changes delivers to.
EVENT_QUEUE = "omics-status-events"


class AwsDispatcher:
    """Routes AWS requests by the model's requestUri; checks SigV4, faults and validation."""

    def __init__(
        self,
        handlers: dict[str, dict[str, Handler]],
        faults: Faults,
        calls: CallLog,
        identities: Identities | None = None,
        worlds: Callable[[str], dict[str, dict[str, Handler]]] | None = None,
    ):
        self.faults = faults
        self.calls = calls
        self.handlers = handlers
        # Who signed decides whose data answers: the base credentials the default account,
        # STS credentials the account of the role they were issued for.
        self.identities = identities
        self.worlds = worlds
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
        identities = self.identities
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
                secrets=identities.secrets() if identities is not None else None,
            )
            handlers = self.handlers
            if identities is not None and self.worlds is not None:
                identity = identities.check(
                    signed.access_key, request.headers.get("x-amz-security-token")
                )
                if identity.account != identities.default_account:
                    handlers = self.worlds(identity.account)
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
            result = await handlers[route.service][route.operation](call)
        except AwsError as exc:
            return error_response(exc.code, exc.message, exc.status)
        response = json_response(route, result)
        spoiled = self.faults.effective(route.service, route.operation).answer
        if spoiled:
            response.body = spoil(bytes(response.body), spoiled)
            response.headers["content-length"] = str(len(response.body))
        return response


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
    workflow_logs: WorkflowLogs
    pricing: PricingService
    seed: int = 0
    scale: str = "demo"
    quotas: bool = True
    sts: StsService | None = None

    @property
    def accounts(self) -> list[str]:
        """The AWS accounts whose roles STS assumes; the first is the base credentials' own."""
        return [account_id(self.seed + k) for k in range(ACCOUNTS)]

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

    def services(h: HealthOmicsData, d: DataZoneData) -> dict[str, dict[str, Handler]]:
        return {
            healthomics.SERVICE: healthomics.HealthOmicsService(
                h, Pager(healthomics.SERVICE, secret, faults, calls)
            ).operations,
            datazone.SERVICE: datazone.DataZoneService(
                d, Pager(datazone.SERVICE, secret, faults, calls)
            ).operations,
        }

    seeds = {account_id(seed + k): seed + k for k in range(ACCOUNTS)}
    worlds: dict[str, dict[str, dict[str, Handler]]] = {}

    def world(account: str) -> dict[str, dict[str, Handler]]:
        """Another account's data, built on its first call (its own seed, same clock)."""
        if account not in worlds:
            other = seeds[account]
            worlds[account] = services(
                HealthOmicsData(other, scale, clock), DataZoneData(other, scale, clock)
            )
        return worlds[account]

    identities = Identities(ho.account)
    sts = StsService(identities, seeds.__contains__, calls)
    dispatcher = AwsDispatcher(services(ho, dz), faults, calls, identities, world)
    tencent = TencentService(tc, clock, faults, calls, RunLogs(tc, clock, secret))
    workflow_logs = WorkflowLogs(ho)
    pricing = PricingService(Pager(PRICING, secret, faults, calls))
    queues = Queues(clock)
    emitter = EventBridgeEmitter(
        ho, queues.create(ho.region, ho.account, EVENT_QUEUE), faults, seed
    )
    clock.listen(emitter)
    json_services: list[JsonService] = [
        JsonService(
            LOGS,
            LogsService(
                {LOG_GROUP: workflow_logs},
                ho.region,
                clock,
                faults,
                Pager(LOGS, secret, faults, calls),
                secret,
            ).operations,
            validation_code="InvalidParameterException",
        ),
        JsonService(PRICING, pricing.operations, validation_code="InvalidParameterException"),
        SqsService(queues).json_service(),
    ]
    json_dispatcher = JsonDispatcher(json_services, faults, calls, identities=identities)

    async def entry(request: Request) -> Response:
        if (
            request.method == "POST"
            and request.url.path == "/"
            and "x-tc-action" in request.headers
        ):
            return await tencent.handle(request)
        if request.method == "POST" and request.url.path == "/" and StsService.wants(request):
            return await sts.handle(request)
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
        workflow_logs,
        pricing,
        seed=seed,
        scale=scale,
        quotas=quotas,
        sts=sts,
        sqs=queues,
        events=emitter,
    )
    methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]
    app.router.routes.extend(
        [
            Mount("/_emulator", app=control_app(emulator)),
            Route("/_cos/{path:path}", tencent.logs.serve, methods=["GET"]),
            Route("/{path:path}", entry, methods=methods),
        ]
    )
    return emulator
