"""gunicorn settings for Qhatu: `gunicorn` in the project folder reads this file.

Environment: WEB_CONCURRENCY (worker processes; default 2 x cores + 1, at most 4),
QHATU_BIND (default 127.0.0.1:8000, behind a reverse proxy), GUNICORN_TIMEOUT (seconds).
"""

import multiprocessing
import os


def default_workers() -> int:
    return min(2 * multiprocessing.cpu_count() + 1, 4)


wsgi_app = "app:app"
bind = [os.environ.get("QHATU_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("WEB_CONCURRENCY") or default_workers())
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Each worker builds its own app, database pool and Redis connections after the fork.
preload_app = False
# A worker is replaced after this many requests (with jitter), so slow leaks cannot build up.
max_requests = 2000
max_requests_jitter = 200
# The app writes its own access line (with request id and user) through its log handler.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
