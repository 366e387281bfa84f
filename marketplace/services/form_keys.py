"""Rows recorded from a submitted form, at most once per form key.

The form carries a random key (web/form_keys.py); the row keeps it in a unique column. A
repeat finds the row already there and gets it back; two repeats racing each other both
insert, the database refuses the second (it waits for the first to commit on PostgreSQL;
on SQLite writers queue behind BEGIN IMMEDIATE and the repeat finds the row), and the
loser gets the winner's row. Either way: one row, and every submission sees it.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session


def recorded_with_key(session: Session, model, key: str | None):
    """The row a form with this key already recorded, if any."""
    if not key:
        return None
    return session.scalar(sa.select(model).where(model.form_key == key))


def insert_once(session: Session, row):
    """Add `row` (its form_key set or None); return it, or the row that holds its key."""
    if row.form_key is None:
        session.add(row)
        session.flush()
        return row
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        first = recorded_with_key(session, type(row), row.form_key)
        if first is None:
            raise
        return first
    return row
