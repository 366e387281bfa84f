"""Unexpected errors answer a clean page; a database that does not answer is a 503."""

import pytest
import sqlalchemy as sa

from marketplace.web import errors


@pytest.fixture
def failing_catalog(app, monkeypatch):
    """The catalogue page raises `error` (as a view would when its query fails)."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)

    def fail_with(error):
        def view(*args, **kwargs):
            raise error

        monkeypatch.setitem(app.view_functions, "public.index", view)

    return fail_with


def database_down():
    return sa.exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))


def test_a_database_that_does_not_answer_gives_a_503_to_retry(client, failing_catalog):
    failing_catalog(database_down())
    response = client.get("/")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "vuelve a intentarlo en unos segundos" in response.get_data(as_text=True)


def test_any_other_error_gives_the_500_page(client, failing_catalog):
    failing_catalog(RuntimeError("bug"))
    response = client.get("/")
    assert response.status_code == 500
    assert "Retry-After" not in response.headers
    assert "Algo salió mal de nuestro lado" in response.get_data(as_text=True)


def test_the_page_is_plain_when_even_the_layout_fails(client, failing_catalog, monkeypatch):
    failing_catalog(database_down())

    def layout_needs_the_database(*args, **kwargs):
        raise database_down()

    monkeypatch.setattr(errors, "render_template", layout_needs_the_database)
    response = client.get("/")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "<h1>No pudimos atenderte ahora; vuelve a intentarlo en unos segundos</h1>" in page


def test_json_clients_get_the_error_as_json(client, failing_catalog):
    failing_catalog(database_down())
    response = client.get("/", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.get_json() == {
        "error": "No pudimos atenderte ahora; vuelve a intentarlo en unos segundos"
    }
