"""The dashboard's routes: one HTML shell and its static ES modules, under a strict CSP.

The shell is the same for every view (the views route on the URL's hash, so a view's link can
be shared and its filters survive a reload); it holds no inline script or style, and the CSP
allows scripts, styles and connections to this origin only. Nothing is fetched from outside at
run time: the modules are ours, build-free, and use no third-party library (see app.js).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

UI_ROUTE = "/ui"
STATIC = Path(__file__).resolve().parent / "static"

#: 'self' only; no 'unsafe-inline' for scripts or styles (the modules set positions through
#: the CSSOM, which a CSP does not govern); connect-src 'self' covers the same-origin WebSocket.
CSP = (
    "default-src 'none'; "
    "script-src 'self'; "
    "style-src 'self'; "
    "img-src 'self' data:; "
    "connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@cache
def _shell() -> str:
    return (STATIC / "index.html").read_text()


async def page(request: Request) -> Response:
    return HTMLResponse(_shell(), headers=HEADERS)


async def to_page(request: Request) -> Response:
    return RedirectResponse(f"{UI_ROUTE}/", status_code=308)


class _Static(StaticFiles):
    """The modules with the same headers as the page (nosniff matters for module scripts)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        extra = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await super().__call__(scope, receive, with_headers)


def ui_routes() -> list[BaseRoute]:
    """/ui (redirect), /ui/ (the shell) and /ui/static/… (its modules and stylesheet)."""
    return [
        Route(UI_ROUTE, to_page),
        Route(f"{UI_ROUTE}/", page),
        Mount(f"{UI_ROUTE}/static", _Static(directory=STATIC), name="ui-static"),
    ]
