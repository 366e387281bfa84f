"""Logs as one `key=value` line per event, each carrying the request id.

Every request gets an id: the caller's X-Request-ID when it is a sane token (a proxy or
balancer set it), else a new one. It is returned in the X-Request-ID header and printed on
every line logged while the request runs, so one request can be followed through the logs.
After each request the `qhatu.access` logger writes one access line.
"""

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_app_context, request
from flask.logging import default_handler

ACCESS_LOGGER = "qhatu.access"
REQUEST_ID_HEADER = "X-Request-ID"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
BARE_VALUE = re.compile(r"[^\s\"=\\]+")


def fields(**values) -> dict:
    """`extra=` for a log call whose line should carry these key=value pairs."""
    return {"fields": values}


def format_value(value) -> str:
    """A bare token when it is one; otherwise a quoted, escaped string (never a newline)."""
    if value is None:
        return "-"
    text = value if isinstance(value, str) else str(value)
    if BARE_VALUE.fullmatch(text) and text.isprintable():
        return text
    quoted = json.dumps(text, ensure_ascii=False)
    return quoted.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


class KeyValueFormatter(logging.Formatter):
    """ts, level, logger, request_id, msg, then the record's own fields and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC)
        parts = {
            "ts": stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", None),
            "msg": record.getMessage(),
        }
        for key, value in (getattr(record, "fields", None) or {}).items():
            parts.setdefault(key, value)
        if record.exc_info:
            parts["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            parts["stack"] = self.formatStack(record.stack_info)
        return " ".join(f"{key}={format_value(value)}" for key, value in parts.items())


class RequestIdFilter(logging.Filter):
    """Stamp each record with the current request's id (none outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id") if has_app_context() else None
        return True


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (tests and gunicorn may swap it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def configure_root_logger(level: str | int) -> logging.Handler:
    """Install the key=value handler on the root logger once per process."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, StderrHandler)), None)
    if handler is None:
        handler = StderrHandler()
        handler.setFormatter(KeyValueFormatter())
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    root.setLevel(level)
    return handler


def enable_own_loggers(app: Flask) -> None:
    """Undo `logging.config.fileConfig` (run by migrations) disabling loggers made before it."""
    roots = (app.logger.name, ACCESS_LOGGER.partition(".")[0])
    for name, logger in logging.root.manager.loggerDict.items():
        if isinstance(logger, logging.Logger) and name.split(".")[0] in roots:
            logger.disabled = False


def request_id_from(header: str | None) -> str:
    """The caller's request id if it is a plain token of sane length, else a new one."""
    if header and SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def current_user_id() -> int | None:
    """The logged-in user's id if this request loaded one (never queries for it)."""
    user = g.get("_login_user")
    if user is not None and getattr(user, "is_authenticated", False):
        return user.id
    return None


def register(app: Flask) -> None:
    """Configure logging and the request id / access log hooks for `app`."""
    configure_root_logger(app.config.get("LOG_LEVEL", "INFO"))
    app.logger.removeHandler(default_handler)  # the root handler prints app logs too
    enable_own_loggers(app)
    access = logging.getLogger(ACCESS_LOGGER)

    @app.before_request
    def start_request_log():
        g.request_started_at = time.perf_counter()
        g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))

    @app.after_request
    def log_request(response):
        if "request_id" not in g:  # a hook before ours failed: still give an id
            g.request_id = request_id_from(None)
        response.headers[REQUEST_ID_HEADER] = g.request_id
        started = g.get("request_started_at")
        duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
        access.info(
            "request",
            extra=fields(
                method=request.method,
                path=request.path,
                status=response.status_code,
                duration_ms=duration_ms,
                user_id=current_user_id(),
                ip=request.remote_addr,
            ),
        )
        return response
