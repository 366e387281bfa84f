"""public blueprint."""
