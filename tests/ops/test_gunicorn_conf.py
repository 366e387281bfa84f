"""gunicorn.conf.py: workers from WEB_CONCURRENCY, loopback bind, no duplicate access log."""

import multiprocessing
import runpy

from tests.conftest import ROOT


def settings(monkeypatch, **env) -> dict:
    for name in ("WEB_CONCURRENCY", "QHATU_BIND", "GUNICORN_TIMEOUT", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_defaults(monkeypatch):
    conf = settings(monkeypatch)
    assert conf["workers"] == min(2 * multiprocessing.cpu_count() + 1, 4)
    assert conf["bind"] == ["127.0.0.1:8000"]
    assert conf["wsgi_app"] == "app:app"
    assert conf["accesslog"] is None
    assert conf["preload_app"] is False


def test_default_workers_are_capped_at_four(monkeypatch):
    monkeypatch.setattr(multiprocessing, "cpu_count", lambda: 16)
    assert settings(monkeypatch)["workers"] == 4
    monkeypatch.setattr(multiprocessing, "cpu_count", lambda: 1)
    assert settings(monkeypatch)["workers"] == 3


def test_environment_overrides(monkeypatch):
    conf = settings(monkeypatch, WEB_CONCURRENCY="6", QHATU_BIND="0.0.0.0:9000")
    assert conf["workers"] == 6
    assert conf["bind"] == ["0.0.0.0:9000"]
