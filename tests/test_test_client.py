"""The test client reads back only what a request committed (see `Client` in conftest).

Tests check a request's effect through `db.session`; these guard that the session they read
is not the one the request wrote in, so a view that forgets to commit fails its tests.
"""

import pytest

from marketplace.extensions import db
from marketplace.models import Association
from tests.factories import AssociationFactory


@pytest.fixture
def rename(app):
    """A view that renames an association, then commits, only flushes, or fails."""

    @app.post("/_probe/<int:association_id>/<ending>")
    def probe(association_id: int, ending: str):
        db.session.get(Association, association_id).name = "Renombrada"
        if ending == "commit":
            db.session.commit()
        elif ending == "flush":
            db.session.flush()
        else:
            raise RuntimeError("the view failed after writing")
        return "", 204

    return probe


@pytest.mark.parametrize("ending", ["flush", "error"])
def test_what_a_request_did_not_commit_is_not_seen(client, rename, ending):
    association = AssociationFactory(name="Sumaq Ausangate")
    client.post(f"/_probe/{association.id}/{ending}")
    assert db.session.get(Association, association.id).name == "Sumaq Ausangate"


def test_what_a_request_committed_is_seen(client, rename):
    association = AssociationFactory(name="Sumaq Ausangate")
    assert client.post(f"/_probe/{association.id}/commit").status_code == 204
    assert db.session.get(Association, association.id).name == "Renombrada"


def test_each_request_starts_with_a_fresh_g(app, client):
    @app.get("/_probe/g")
    def probe_g():
        from flask import g

        seen = getattr(g, "probe", "nothing")
        g.probe = "left behind"
        return seen

    client.get("/_probe/g")
    assert client.get("/_probe/g").get_data(as_text=True) == "nothing"
