"""The demo shows the calendar: Sumaq Ausangate closes for Qoyllur Rit'i, once, and the demo
history delivers nothing on a national holiday."""

from datetime import timedelta
from html import unescape

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.formatting import lima_today
from marketplace.models import Association, AssociationClosure, Order
from marketplace.services import calendar
from tests.conftest import text
from tests.services.test_calendar import easter_sunday

pytestmark = pytest.mark.calendar  # whatever today is, the next pilgrimage is shown


def test_qoyllur_riti_closes_sumaq_ausangate_once(runner, client):
    for _ in range(2):
        result = runner.invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
    db.session.expire_all()
    sumaq = db.session.scalar(sa.select(Association).where(Association.slug == "sumaq-ausangate"))
    [closure] = db.session.scalars(sa.select(AssociationClosure)).all()
    assert closure.association_id == sumaq.id
    assert "Qoyllur Rit'i" in closure.reason
    today = lima_today()
    assert closure.end_date >= today
    trinity = closure.start_date + timedelta(days=1)
    assert trinity.isoweekday() == 7
    assert trinity - easter_sunday(trinity.year) == timedelta(weeks=8)
    assert closure.days == 4
    page = unescape(text(client.get("/asociaciones/sumaq-ausangate").data))
    assert "Qoyllur Rit'i" in page
    delivered_on = db.session.scalars(sa.select(Order.delivery_date)).all()
    assert delivered_on and not [d for d in delivered_on if calendar.is_holiday(d)]
