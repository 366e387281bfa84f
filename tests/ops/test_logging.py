"""Logs: one key=value line per event, each with the request id; one access line per request."""

import logging
import re
import sys

import pytest

from marketplace.extensions import db
from marketplace.ops.logging import KeyValueFormatter, format_value
from tests.factories import BuyerUserFactory


def log_lines(capsys) -> list[str]:
    return capsys.readouterr().err.splitlines()


def access_lines(capsys) -> list[str]:
    return [line for line in log_lines(capsys) if "logger=qhatu.access" in line]


def field(line: str, key: str) -> str:
    match = re.search(rf"(?:^| ){key}=" + r'("(?:[^"\\]|\\.)*"|\S+)', line)
    assert match, f"no {key}= in {line!r}"
    return match.group(1)


def test_each_request_gets_an_id_in_the_answer_and_the_access_line(client, capsys):
    capsys.readouterr()
    response = client.get("/healthz")
    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    [line] = access_lines(capsys)
    assert field(line, "request_id") == request_id
    assert field(line, "method") == "GET"
    assert field(line, "path") == "/healthz"
    assert field(line, "status") == "200"
    assert float(field(line, "duration_ms")) >= 0
    assert field(line, "user_id") == "-"
    assert field(line, "level") == "INFO"


def test_two_requests_get_two_ids(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    assert client.get("/healthz").headers["X-Request-ID"] != first


def test_a_sane_incoming_request_id_is_kept(client, capsys):
    capsys.readouterr()
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42:9_x"})
    assert response.headers["X-Request-ID"] == "lb-7f3a.42:9_x"
    [line] = access_lines(capsys)
    assert field(line, "request_id") == "lb-7f3a.42:9_x"


@pytest.mark.parametrize("incoming", ["has space", 'quote"', "x" * 129, "-leading-dash", ""])
def test_an_odd_incoming_request_id_is_replaced(client, incoming):
    response = client.get("/healthz", headers={"X-Request-ID": incoming})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_the_access_line_names_the_logged_in_user(client, auth, capsys):
    user = BuyerUserFactory()
    db.session.commit()
    auth.login(user)
    capsys.readouterr()
    client.get("/buyer/")
    [line] = access_lines(capsys)
    assert field(line, "user_id") == str(user.id)
    assert field(line, "path") == "/buyer/"


def test_lines_logged_during_a_request_carry_its_id(client, capsys, monkeypatch):
    def fail():
        raise ConnectionError("database went away")

    monkeypatch.setattr("marketplace.ops.health.check_database", fail)
    capsys.readouterr()
    response = client.get("/readyz", headers={"X-Request-ID": "probe-1"})
    assert response.status_code == 503
    lines = log_lines(capsys)
    [warning] = [line for line in lines if "readiness check failed" in line]
    assert field(warning, "request_id") == "probe-1"
    assert field(warning, "level") == "WARNING"
    assert field(warning, "check") == "database"
    assert "database went away" in field(warning, "error")


def test_a_hostile_path_stays_on_one_line(client, capsys):
    capsys.readouterr()
    client.get("/nothing%0Alevel=ERROR%20forged=1")
    lines = log_lines(capsys)
    [line] = [line for line in lines if "logger=qhatu.access" in line]
    assert field(line, "path") == '"/nothing\\nlevel=ERROR forged=1"'
    assert field(line, "status") == "404"
    assert not any(line.startswith("level=ERROR") for line in lines)


def test_a_traceback_is_one_line():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "marketplace", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
        )
    line = KeyValueFormatter().format(record)
    assert "\n" not in line
    assert "ValueError: boom" in line
    assert line.split(" ")[1:4] == ["level=ERROR", "logger=marketplace", "request_id=-"]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "-"),
        (200, "200"),
        ("/p/12", "/p/12"),
        ("two words", '"two words"'),
        ("a=b", '"a=b"'),
        ("", '""'),
        ("línea\r\nnueva", '"línea\\r\\nnueva"'),
    ],
)
def test_values_are_quoted_only_when_needed(value, shown):
    assert format_value(value) == shown
