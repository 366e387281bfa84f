"""Health checks for a load balancer: /healthz (process alive) and /readyz (can serve)."""

import redis
import sqlalchemy as sa
from flask import Blueprint, Flask, current_app, jsonify

from ..extensions import db, limiter
from .logging import fields

bp = Blueprint("ops", __name__)
limiter.exempt(bp)

REDIS_TIMEOUT_SECONDS = 1.0


def no_store(response):
    """Health answers are never cached, by a proxy or by the balancer."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/healthz")
def healthz():
    """The process answers; touches neither the database nor Redis."""
    return no_store(jsonify(status="ok"))


def redis_client(app: Flask) -> redis.Redis:
    """One client (and connection pool) per app, with short timeouts."""
    client = app.extensions.get("qhatu_redis")
    if client is None:
        client = redis.Redis.from_url(
            app.config["REDIS_URL"],
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
        app.extensions["qhatu_redis"] = client
    return client


def check_database() -> None:
    with db.engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))


def check_redis() -> None:
    redis_client(current_app._get_current_object()).ping()


@bp.route("/readyz")
def readyz():
    """200 when the database (and Redis, if configured) answer; 503 naming what failed."""
    checks = {"database": check_database}
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = check_redis
    results = {}
    for name, check in checks.items():
        try:
            check()
        except Exception as error:
            # No traceback: a balancer probes every few seconds while a database restarts.
            current_app.logger.warning(
                "readiness check failed", extra=fields(check=name, error=repr(error))
            )
            results[name] = "failed"
        else:
            results[name] = "ok"
    ready = all(result == "ok" for result in results.values())
    response = jsonify(status="ok" if ready else "unavailable", checks=results)
    response.status_code = 200 if ready else 503
    return no_store(response)
