"""The key that makes a money or stock form idempotent.

Each rendered form carries a random token in a hidden field; the service stores it in a
unique column with the row it writes, so the same form posted twice (a double click, a
retried request, parallel posts) records once and every repeat answers with the first
result. A form posted without a key records as before (and `flask audit` reports
suspect duplicates).
"""

import secrets

from wtforms import HiddenField
from wtforms.validators import Length, Optional, Regexp

FORM_KEY_LENGTH = 64


def new_form_key() -> str:
    return secrets.token_urlsafe(24)


def FormKeyField() -> HiddenField:  # noqa: N802  (used like a field class)
    """A hidden field with a fresh key each time the form is rendered."""
    return HiddenField(
        default=new_form_key,
        validators=[
            Optional(),
            Length(max=FORM_KEY_LENGTH),
            Regexp(r"^[A-Za-z0-9_-]+$"),
        ],
    )


def form_key(form) -> str | None:
    """The submitted key, or None when the form came without one."""
    return (form.form_key.data or "").strip() or None
