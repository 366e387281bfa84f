"""Agreements: lifecycle with events, two acceptances, renewal, prices, monthly volumes."""

from datetime import date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.database import begin_write
from marketplace.extensions import db
from marketplace.formatting import LIMA
from marketplace.models import Agreement, User
from marketplace.services import DomainError, ordering, pricing
from marketplace.services import agreements as svc
from tests.concurrency import run_together
from tests.factories import (
    PromoterFactory,
    StaffFactory,
    make_agreement,
    ordering_world,
    place_order,
)

TODAY = datetime(2025, 3, 10, 10, 0, tzinfo=LIMA)


@pytest.fixture(autouse=True)
def request_context(app):
    with app.test_request_context(), time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def w(app):
    w = ordering_world()
    w.staff = StaffFactory()
    db.session.flush()
    return w


def draft(w, **terms):
    values = {"start_date": date(2025, 3, 1), "committed_kg_per_month": Decimal("80")}
    values.update(terms)
    return svc.create_draft(
        db.session,
        w.staff,
        w.buyer.id,
        w.cheese_assoc.id,
        svc.AgreementTerms(**values),
        {w.cheese.id: 2500},
    )


def actions(agreement):
    return [(e.action, e.to_status) for e in agreement.events]


def test_both_sides_accept_and_it_becomes_active_with_an_event_per_step(w):
    agreement = draft(w, flavour_standard="Sal 1.5 %, 20 días de maduración")
    svc.propose(db.session, w.staff, agreement)
    svc.accept(db.session, w.buyer_user, agreement)
    assert agreement.status == "proposed"
    svc.accept(db.session, w.promoter, agreement)
    db.session.commit()
    db.session.refresh(agreement)
    assert agreement.status == "active"
    assert actions(agreement) == [
        ("created", "draft"),
        ("proposed", "proposed"),
        ("buyer_accepted", "proposed"),
        ("association_accepted", "proposed"),
        ("activated", "active"),
    ]
    assert agreement.events[2].actor_id == w.buyer_user.id


def test_only_the_parties_accept_each_once(w):
    agreement = draft(w)
    svc.propose(db.session, w.staff, agreement)
    with pytest.raises(DomainError):
        svc.accept(db.session, w.other_buyer_user, agreement)
    with pytest.raises(DomainError):
        svc.accept(db.session, w.maize_promoter, agreement)  # another association
    svc.accept(db.session, w.buyer_user, agreement)
    with pytest.raises(DomainError):
        svc.accept(db.session, w.buyer_user, agreement)


def test_a_draft_cannot_be_accepted_and_needs_a_price_to_be_proposed(w):
    agreement = draft(w)
    with pytest.raises(DomainError):
        svc.accept(db.session, w.buyer_user, agreement)
    svc.update_draft(db.session, w.staff, agreement, svc.terms_of(agreement), {})
    with pytest.raises(DomainError):
        svc.propose(db.session, w.staff, agreement)


def test_decline_returns_it_to_draft_and_clears_acceptances(w):
    agreement = draft(w)
    svc.propose(db.session, w.staff, agreement)
    svc.accept(db.session, w.buyer_user, agreement)
    with pytest.raises(DomainError):
        svc.decline(db.session, w.promoter, agreement, "")
    svc.decline(db.session, w.promoter, agreement, "Necesitamos 30 días de plazo")
    assert agreement.status == "draft"
    assert agreement.buyer_accepted_at is None
    assert agreement.events[-1].reason == "Necesitamos 30 días de plazo"


def test_impossible_moves_are_refused(w):
    agreement = draft(w)
    with pytest.raises(DomainError):
        svc.pause(db.session, w.staff, agreement, "sequía")
    with pytest.raises(DomainError):
        svc.propose(db.session, w.buyer_user, agreement)  # only staff
    svc.end(db.session, w.staff, agreement, "No siguió")
    with pytest.raises(DomainError):
        svc.resume(db.session, w.staff, agreement)


def test_agreed_price_overrides_the_list_price_while_active_on_the_date(w):
    agreement = make_agreement(
        w.buyer, w.cheese_assoc, {w.cheese: 2500}, end_date=date(2025, 12, 31)
    )
    assert pricing.unit_price_for(db.session, w.buyer.id, w.cheese) == 2500
    other_buyer = w.other_buyer_user.buyer_id
    assert pricing.unit_price_for(db.session, other_buyer, w.cheese) == 2850
    assert pricing.unit_price_for(db.session, w.buyer.id, w.maize) == 1290  # not in it
    assert pricing.unit_price_for(db.session, w.buyer.id, w.cheese, date(2026, 1, 5)) == 2850
    svc.pause(db.session, w.staff, agreement, "Temporada de lluvias")
    assert pricing.unit_price_for(db.session, w.buyer.id, w.cheese) == 2850
    svc.resume(db.session, w.staff, agreement)
    [order] = place_order(w.buyer_user, w.address, [(w.cheese, 2)])
    assert order.lines[0].unit_price_cents == 2500  # checkout uses the same hook


def test_renewal_is_a_new_version_and_the_old_one_keeps_its_history(w):
    v1 = make_agreement(
        w.buyer,
        w.cheese_assoc,
        {w.cheese: 2500},
        start_date=date(2024, 4, 1),
        end_date=date(2025, 3, 31),
    )
    v2 = svc.renew(db.session, w.staff, v1)
    assert (v2.version, v2.previous_id, v2.status) == (2, v1.id, "draft")
    assert v2.start_date == date(2025, 4, 1) and v2.end_date == date(2026, 3, 31)
    assert [(p.product_id, p.price_cents) for p in v2.prices] == [(w.cheese.id, 2500)]
    with pytest.raises(DomainError):
        svc.renew(db.session, w.staff, v1)  # renewed once
    terms = svc.terms_of(v2)
    svc.update_draft(db.session, w.staff, v2, terms, {w.cheese.id: 2600})
    svc.propose(db.session, w.staff, v2)
    svc.accept(db.session, w.buyer_user, v2)
    svc.accept(db.session, w.promoter, v2)
    db.session.refresh(v1)
    assert v1.status == "active" and v1.end_date == date(2025, 3, 31)
    assert pricing.unit_price_for(db.session, w.buyer.id, w.cheese) == 2500
    assert pricing.unit_price_for(db.session, w.buyer.id, w.cheese, date(2025, 4, 2)) == 2600
    with time_machine.travel(datetime(2025, 4, 1, 6, tzinfo=LIMA), tick=False):
        assert svc.expire_agreements(db.session) == 1
    assert v1.status == "ended" and v1.events[-1].action == "expired"
    assert [a.version for a in svc.versions_of(db.session, v2)] == [1, 2]


def test_one_open_agreement_per_buyer_and_association(w):
    draft(w)
    with pytest.raises(DomainError):
        draft(w)


def test_monthly_committed_against_ordered_and_delivered(w):
    agreement = make_agreement(
        w.buyer, w.cheese_assoc, {w.cheese: 2500}, start_date=date(2025, 1, 1)
    )
    agreement.committed_kg_per_month = Decimal("10")
    with time_machine.travel(datetime(2025, 1, 20, 10, tzinfo=LIMA), tick=False):
        [january] = place_order(w.buyer_user, w.address, [(w.cheese, 6)])
        ordering.confirm_order(db.session, w.promoter, january)
        ordering.dispatch_order(db.session, w.promoter, january)
        ordering.deliver_order(db.session, w.promoter, january, {january.lines[0].id: "5"})
        [cancelled] = place_order(w.buyer_user, w.address, [(w.cheese, 3)])
        ordering.cancel_order(db.session, w.buyer_user, cancelled)
    [march] = place_order(w.buyer_user, w.address, [(w.cheese, 4)])
    db.session.commit()

    months = svc.monthly_volumes(db.session, agreement)

    assert [(m.year, m.month) for m in months] == [(2025, 1), (2025, 2), (2025, 3)]
    jan, feb, mar = months
    assert (jan.ordered_kg, jan.delivered_kg) == (Decimal("6"), Decimal("5"))
    assert (jan.ordered_cents, jan.delivered_cents) == (15000, 12500)
    assert jan.fill_percent == 50 and jan.behind
    assert feb.ordered_kg == 0 and feb.committed_kg == Decimal("10")
    assert mar.ordered_kg == Decimal("4") and mar.delivered_kg == 0
    totals = svc.totals_for(db.session, [agreement])[agreement.id]
    assert (totals.ordered_kg, totals.delivered_kg) == (Decimal("10"), Decimal("5"))
    assert march.delivery_date.month == 3


def test_volumes_are_in_kilograms_for_products_sold_by_the_piece(w):
    w.cheese.unit = "piece"
    w.cheese.weight_per_unit_kg = Decimal("0.75")
    agreement = make_agreement(w.buyer, w.cheese_assoc, {}, start_date=date(2025, 3, 1))
    place_order(w.buyer_user, w.address, [(w.cheese, 4)])
    [march] = svc.monthly_volumes(db.session, agreement)
    assert march.ordered_kg == Decimal("3")


def accept_at_once(app, agreement_id: int, user_ids: list[int]) -> list:
    """Each user accepts the agreement in a thread of its own, all released together."""
    db.session.commit()  # what the test made, visible to the threads' sessions

    def work(i):
        begin_write(db.session)
        agreement = db.session.get(Agreement, agreement_id)
        svc.accept(db.session, db.session.get(User, user_ids[i]), agreement)
        db.session.commit()
        return "accepted"

    return run_together(app, len(user_ids), work)


def stored_events(agreement_id: int) -> tuple[str, list[str]]:
    with sa.orm.Session(db.engine) as fresh:
        agreement = fresh.get(Agreement, agreement_id)
        return agreement.status, sorted(e.action for e in agreement.events)


def test_concurrent_acceptances_are_both_recorded(app, w):
    """Buyer and association accept at the same moment: both count, the agreement starts once."""
    agreement = draft(w)
    svc.propose(db.session, w.staff, agreement)

    results = accept_at_once(app, agreement.id, [w.buyer_user.id, w.promoter.id])

    assert results == ["accepted", "accepted"]
    status, events = stored_events(agreement.id)
    assert status == "active"
    assert events == ["activated", "association_accepted", "buyer_accepted", "created", "proposed"]


def test_two_promoters_accepting_at_once_count_as_one_acceptance(app, w):
    agreement = draft(w)
    svc.propose(db.session, w.staff, agreement)
    second_promoter = PromoterFactory(association=w.cheese_assoc)
    db.session.flush()

    results = accept_at_once(app, agreement.id, [w.promoter.id, second_promoter.id])

    assert sorted(type(r).__name__ for r in results) == ["DomainError", "str"]
    refused = next(r for r in results if isinstance(r, DomainError))
    assert "ya aceptó" in str(refused.message)
    status, events = stored_events(agreement.id)
    assert status == "proposed"  # the buyer has not accepted yet
    assert events == ["association_accepted", "created", "proposed"]
