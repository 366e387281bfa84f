"""A trivial WSGI app: the ceiling of a gunicorn configuration, with nothing of Qhatu in it."""

BODY = b"hello\n"


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))])
    return [BODY]
