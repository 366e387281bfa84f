"""staff blueprint."""
