"""producer blueprint."""
