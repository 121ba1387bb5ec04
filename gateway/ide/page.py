"""The GraphiQL page, served from the gateway's own pinned assets so it works offline.

Strawberry's page loads React and GraphiQL from a CDN, which labs in air-gapped networks cannot
reach; this page loads the copies `gateway assets` installed, under a Content-Security-Policy
that allows nothing but this origin. Without those copies it says what to run instead.
"""

from __future__ import annotations

import html
import json
import secrets
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from starlette.responses import HTMLResponse

from gateway.clouds.base import Cloud
from gateway.config import Settings
from gateway.ide.assets import VENDOR_DIR, missing

#: Where the vendored files are served (see `gateway.app`).
VENDOR_ROUTE = "/graphiql/vendor"
#: The page refers to them relative to /graphql, so a gateway behind a path prefix still works.
_VENDOR_HREF = VENDOR_ROUTE.lstrip("/")

_TREE = """\
# batch → runs → tasks of "{source}" (Ctrl-Enter runs it).
# Watch a run live until it settles: paste its id into
# subscription {{ runUpdated(id: "…") {{ status state }} }}
query Tree {{
  batches(source: "{source}"{status}, first: 1) {{
    edges {{
      node {{
        id name status state totalRuns
        runs(first: 5) {{
          edges {{
            node {{
              id name status state startedAt stoppedAt
              tasks(first: 5) {{
                edges {{ node {{ name status state }} }}
                pageInfo {{ hasNextPage }}
              }}
            }}
          }}
          pageInfo {{ hasNextPage endCursor }}
        }}
      }}
    }}
  }}
}}
"""

_SOURCES = """\
# runs gateway: the configured sources.
query Sources {
  sources { name provider region }
}
"""


def example_query(settings: Settings, clouds: Iterable[Cloud]) -> str:
    """A batch → runs → tasks tree of the first source whose cloud offers one; no id needed."""
    filters = {c.kind.value: c.example_batch_filter for c in clouds}
    for source in settings.sources:
        status = filters.get(source.provider)
        if status is not None:
            return _TREE.format(source=source.name, status=status)
    return _SOURCES


@cache
def _template() -> str:
    return (Path(__file__).parent / "graphiql.html").read_text()


def _csp(nonce: str) -> str:
    return (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; "
        "connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def _missing_page(files: list[str]) -> HTMLResponse:
    items = "".join(f"<li><code>{html.escape(f)}</code></li>" for f in files)
    body = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>runs gateway · GraphiQL assets missing</title></head><body>"
        "<h1>GraphiQL's assets are not installed</h1>"
        "<p>This gateway serves GraphiQL from its own pinned copies, so it works without "
        "internet access. Install them once, then reload this page:</p>"
        "<pre>gateway assets</pre>"
        "<p>(<code>bash scripts/setup.sh</code> runs it too.) Missing files:</p>"
        f"<ul>{items}</ul>"
        "<p>GraphQL itself works meanwhile: POST queries to this URL.</p></body></html>"
    )
    return HTMLResponse(body, status_code=503)


def assets_dir(settings: Settings) -> Path:
    """Where this gateway's GraphiQL assets live (`[graphql] assets_dir` or the package's)."""
    configured = settings.graphql.assets_dir
    return Path(configured) if configured else VENDOR_DIR


def graphiql_page(settings: Settings, clouds: Iterable[Cloud]) -> HTMLResponse:
    """The page with the example query preloaded, or a page saying to run `gateway assets`."""
    absent = missing(assets_dir(settings))
    if absent:
        return _missing_page(absent)
    nonce = secrets.token_urlsafe(16)
    # JSON inside <script>: escape "<" so no query text can close the script element.
    query_js = json.dumps(example_query(settings, clouds)).replace("<", "\\u003c")
    page = (
        _template()
        .replace("{{VENDOR}}", _VENDOR_HREF)
        .replace("{{NONCE}}", nonce)
        .replace("{{EXAMPLE_QUERY}}", query_js)
    )
    return HTMLResponse(page, headers={"Content-Security-Policy": _csp(nonce)})
