"""Entry point: `flask --app app run` serves Qhatu."""

from marketplace import create_app

app = create_app()
