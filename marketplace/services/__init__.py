"""The domain. Services take a session, the actor and plain values; they never read the
request and never commit: the caller (a view or a CLI command) commits once."""


class DomainError(Exception):
    """A rule of the business was broken; `message` is shown to the user, at `field` if set."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
