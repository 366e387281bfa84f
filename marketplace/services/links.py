"""Absolute links for messages written outside a request (jobs, the outbox)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def public_url(endpoint: str, **values) -> str:
    """An absolute link for messages sent outside a request (PUBLIC_URL is the site's root)."""
    base = urlsplit(current_app.config.get("PUBLIC_URL") or "http://localhost:5000")
    adapter = current_app.url_map.bind(
        base.netloc, url_scheme=base.scheme or "http", script_name=base.path or "/"
    )
    return adapter.build(endpoint, values, force_external=True)
