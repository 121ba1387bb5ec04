"""The runs dashboard: pages under /ui that read this gateway's own GraphQL API in the browser."""

from gateway.ui.routes import UI_ROUTE, ui_routes

__all__ = ["UI_ROUTE", "ui_routes"]
