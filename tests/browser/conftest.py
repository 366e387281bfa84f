"""Browser tests: Playwright drives Debian's Chromium against the app served on a real port.

Everything in this folder is marked `browser` (deselect with `-m "not browser"`). Without
/usr/bin/chromium (or, for the accessibility checks, node_modules/axe-core) the tests skip
with the reason; with QHATU_REQUIRE_BROWSER=1 (set by .ci/run) that is a failure instead.

The app under test is built once per session with CSRF protection on (as in production) and
served by werkzeug in a daemon thread. Unlike the rest of the suite, the browser and the
test do not share a session: the test writes through the live app's context and commits,
and `demo_data` empties every table when its module is done.
"""

import os
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from marketplace import create_app
from marketplace.demo import seed_demo
from marketplace.extensions import db
from tests.conftest import empty_all_tables, make_config

from .accessibility import AXE_SCRIPT

HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# A shared 2-core CI machine running several suites can take seconds to answer a page or an
# htmx swap; assertions wait up to this long (they still pass as soon as the page is right).
expect.set_options(timeout=15_000)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark this folder's tests before `-m` deselects anything."""
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


def require(tool: Path, what: str) -> None:
    """Skip (or, where browsers are required, fail) when a tool is not installed."""
    if tool.exists():
        return
    reason = f"{what} not found at {tool}; `bash scripts/setup.sh dev` installs it"
    if os.environ.get("QHATU_REQUIRE_BROWSER") == "1":
        pytest.fail(f"QHATU_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def chromium_installed() -> None:
    """Runs before pytest-playwright's session fixtures try to launch anything."""
    require(CHROMIUM, "Chromium")


@pytest.fixture(scope="session")
def axe_installed() -> None:
    """Requested by the tests that call check_accessibility."""
    require(AXE_SCRIPT, "axe-core")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args) -> dict:
    """Debian's Chromium instead of a Playwright download (which cannot be fetched here)."""
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def live_app(migrated_database, tmp_path_factory):
    """The app the browser talks to: CSRF on, rate limits off, its own upload folder."""
    app = create_app(
        make_config(
            migrated_database,
            tmp_path_factory.mktemp("live"),
            WTF_CSRF_ENABLED=True,
            RATELIMIT_ENABLED=False,
        )
    )
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app):
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield server
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    """Where the live server listens; pytest-playwright resolves `page.goto("/...")` on it."""
    return f"http://127.0.0.1:{live_server.server_port}"


@pytest.fixture(scope="module")
def demo_data(live_app, live_server):
    """The demo data, committed for the live server; every table is emptied afterwards."""
    with live_app.app_context():
        report = seed_demo(db.session)
        db.session.commit()
        db.session.remove()
    yield report
    with live_app.app_context():
        db.session.remove()
        empty_all_tables()
