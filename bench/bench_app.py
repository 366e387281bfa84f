"""The app as gunicorn serves it for the checkout load test: CSRF and rate limits off."""

from marketplace import create_app

app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
