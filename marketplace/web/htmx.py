"""One URL, two renderings: full page for browsers, just the partial for htmx."""

from flask import Flask, make_response, render_template, request


def is_partial_request() -> bool:
    """True for an htmx request that wants a fragment (not boosted, not a history restore)."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render(page: str, partial: str, **context):
    """Render the page, or only its partial for htmx; caches must keep them apart."""
    template = partial if is_partial_request() else page
    response = make_response(render_template(template, **context))
    response.vary.add("HX-Request")
    return response


def init_app(app: Flask) -> None:
    app.jinja_env.globals["is_partial_request"] = is_partial_request
