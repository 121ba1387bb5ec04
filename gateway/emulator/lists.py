"""`/_emulator/lists`: read and change any paged listing between two client requests.

    GET    /_emulator/lists?service=omics&listing=ListRuns&parent=   → {"ids": [...]}
    POST   /_emulator/lists  {"service", "listing", "parent", and one change:
               "insert": N                       N new items at the head
               "ids": [...]                      delete these
               "at": i                           delete the item at position i
               "before": i, "count": k           delete the k items before position i
               "after": i, "count": k}           delete the k items after position i
           → {"ids": [...the listing now], "inserted": [...], "deleted": [...]}
    DELETE /_emulator/lists                      undo every change of every listing

Positions count in the listing as it is at that moment (unfiltered but for `parent`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.emulator.datazone.lists import DataZoneLists
from gateway.emulator.edits import Change, EditError, Scope
from gateway.emulator.healthomics.lists import HealthOmicsLists
from gateway.emulator.tencent.lists import TencentLists

if TYPE_CHECKING:
    from gateway.emulator.app import Emulator


class Editable(Protocol):
    """One cloud's listings as the control API changes them."""

    listings: tuple[str, ...]

    def scope(self, listing: str, parent: str) -> Scope: ...

    def ids(self, listing: str, parent: str) -> list[str]: ...

    def insert(self, listing: str, parent: str, count: int) -> list[str]: ...

    def delete(self, listing: str, parent: str, ids: list[str]) -> None: ...


def editables(emulator: Emulator) -> dict[str, Editable]:
    return {
        "omics": HealthOmicsLists(emulator.healthomics),
        "tencent": TencentLists(emulator.tencent),
        "datazone": DataZoneLists(emulator.datazone),
    }


def apply(lists: Editable, listing: str, parent: str, change: Change) -> dict[str, Any]:
    """Apply one change to one listing; what the listing shows afterwards."""
    inserted = lists.insert(listing, parent, change.insert) if change.insert else []
    deleted = change.victims(lists.ids(listing, parent))
    if deleted:
        lists.delete(listing, parent, deleted)
    return {"ids": lists.ids(listing, parent), "inserted": inserted, "deleted": deleted}


def lists_endpoint(emulator: Emulator) -> Any:
    """The Starlette endpoint behind `/_emulator/lists`."""
    clouds = editables(emulator)

    def target(values: Any) -> tuple[Editable, str, str]:
        service = str(values.get("service", ""))
        listing = str(values.get("listing", ""))
        lists = clouds.get(service)
        if lists is None:
            raise EditError(f"service must be one of {sorted(clouds)}")
        if listing not in lists.listings:
            raise EditError(f"listing must be one of {list(lists.listings)} for {service}")
        return lists, listing, str(values.get("parent") or "")

    async def endpoint(request: Request) -> Response:
        try:
            if request.method == "DELETE":
                for edits in (emulator.healthomics, emulator.tencent, emulator.datazone):
                    edits.edits.reset()
                return JSONResponse({"reset": True})
            if request.method == "GET":
                lists, listing, parent = target(request.query_params)
                return JSONResponse({"ids": lists.ids(listing, parent)})
            body = await request.json()
            if not isinstance(body, dict):
                raise EditError("expected a JSON object")
            lists, listing, parent = target(body)
            return JSONResponse(apply(lists, listing, parent, Change.parse(body)))
        except (EditError, ValueError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)

    return endpoint
