"""Load test: gunicorn workers on PostgreSQL and Redis, a realistic mix of virtual users.

    .venv/bin/python -m bench.load --workers 4 --duration 60 --users 40

1. Drops and creates its own PostgreSQL database (`--database`, default qhatu_load, on
   `--pg`, default postgresql://postgres@127.0.0.1:5432), runs `flask db upgrade` and
   `flask seed-demo`, and adds a few more accounts to the demo businesses (several buyers per
   hotel, promoters, staff; all with the demo password). Empties its Redis database
   (`--redis-db`, default 13).
2. Starts gunicorn with the project's gunicorn.conf.py, `--workers` workers, DATABASE_URL,
   REDIS_URL and a random SECRET_KEY, on a free loopback port, and waits for /readyz.
3. From other processes (`--client-procs`), `--users` virtual users with their own cookies
   work for `--duration` seconds: anonymous visitors browse the catalogue, product and story
   pages; buyers log in once, add to the cart, open it and check out (CSRF tokens and every
   form field scraped from the pages, as a browser would send them); promoters add production
   to their stock and confirm, dispatch and deliver orders; staff open their pages (and
   /staff/dashboard, when it exists). Security stays on: the bench plays the reverse proxy
   (TRUSTED_PROXIES=1, one X-Forwarded-For address per virtual user), so the per-address
   login limit counts each user's single login.
4. Stops gunicorn and runs `flask audit` on the database.
5. Measures the ceiling of the same gunicorn configuration: a trivial WSGI app
   (bench/hello_app.py), and Qhatu's own /healthz, each hammered by the same number of users
   without pauses for `--ceiling-duration` seconds.

An answer counts as an error when it is a 5xx, a failed connection or any status the step
does not expect. A product that sold out (the cart or checkout says how much is left) and an
order another promoter moved first are expected outcomes of a busy market, counted apart.
Exits 1 on any error or audit finding.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432"
DEMO_PASSWORD = "qhatu-demo-2026"  # the seed's public demo password  # noqa: S105
REQUEST_TIMEOUT = 35  # seconds: longer than gunicorn's worker timeout, so a hang shows
SHORT_MARKERS = ("solo quedan", "sin stock por ahora")  # what pages say of a short product

# Kinds of virtual user and the share of the crowd each takes by default.
MIX = {"visitor": 0.4, "buyer": 0.35, "promoter": 0.15, "staff": 0.1}


# ---------------------------------------------------------------------------------------
# Setting up: database, accounts, gunicorn


def run(cmd: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, env=env, check=True, **kwargs)


def app_env(url: str, redis_url: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"QHATU_ENV", "FLASK_APP"}}
    env.update(FLASK_APP="app", DATABASE_URL=url, REDIS_URL=redis_url, **extra)
    return env


def create_database(pg: str, name: str) -> str:
    """Drop and create `name` on the server `pg`; its URL."""
    import psycopg

    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"not a plain database name: {name}")
    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return f"{pg}/{name}"


def create_schema(url: str) -> None:
    """The tables as the models describe them (a working tree ahead of its migrations)."""
    from marketplace import create_app
    from marketplace.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_DIR": tempfile.mkdtemp()})
    with app.app_context():
        db.create_all()
        db.engine.dispose()


def add_accounts(url: str, buyers_per_business: int, promoters: int, staff: int) -> None:
    """More people on the demo businesses, so that virtual users do not share a cart."""
    import sqlalchemy as sa

    from marketplace import create_app
    from marketplace.demo import demo_password_hash
    from marketplace.extensions import db
    from marketplace.models import Association, Buyer, User
    from marketplace.models.accounts import password_hash_method

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_DIR": tempfile.mkdtemp()})
    with app.app_context():
        password_hash = demo_password_hash(password_hash_method())
        buyers = db.session.scalars(sa.select(Buyer).order_by(Buyer.id)).all()
        associations = db.session.scalars(sa.select(Association).order_by(Association.id)).all()
        users = [
            User(email=f"load.buyer{b.id}.{i}@example.pe", name=f"Compras {i}", buyer_id=b.id)
            for b in buyers
            for i in range(buyers_per_business)
        ]
        for user in users:
            user.role = "buyer"
        for i in range(promoters):
            association_id = associations[i % len(associations)].id
            user = User(email=f"load.promoter{i}@example.pe", name=f"Promotor {i}")
            user.role, user.association_id = "promoter", association_id
            users.append(user)
        for i in range(staff):
            users.append(User(email=f"load.staff{i}@example.pe", name=f"Equipo {i}", role="staff"))
        for user in users:
            user.password_hash = password_hash
        db.session.add_all(users)
        db.session.commit()
        db.engine.dispose()


def catalogue(url: str) -> dict:
    """What the virtual users need to know beforehand: products, associations, accounts."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        products = [
            dict(row._mapping)
            for row in conn.execute(
                sa.text(
                    "SELECT p.id, p.association_id, p.unit, p.price_cents, a.min_order_cents "
                    "FROM products p JOIN associations a ON a.id = p.association_id "
                    "WHERE p.active ORDER BY p.id"
                )
            )
        ]
        slugs = list(conn.scalars(sa.text("SELECT slug FROM associations ORDER BY id")))
        accounts = defaultdict(list)
        for email, role, association_id in conn.execute(
            sa.text("SELECT email, role, association_id FROM users WHERE email LIKE 'load.%'")
        ):
            accounts[role].append((email, association_id))
    engine.dispose()
    return {"products": products, "slugs": slugs, "accounts": dict(accounts)}


def flush_redis(redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()


def prepare(args) -> tuple[str, str, dict]:
    """A fresh, migrated, seeded database and an empty Redis db: (db url, redis url, data)."""
    url = create_database(args.pg, args.database)
    redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
    env = app_env(url, redis_url)
    flask = [sys.executable, "-m", "flask"]
    if args.schema == "models":
        create_schema(sqlalchemy_url(url))
    else:
        run([*flask, "db", "upgrade"], env, capture_output=True)
    run([*flask, "seed-demo"], env, capture_output=True)
    roles = role_counts(args.users)
    add_accounts(
        sqlalchemy_url(url),
        buyers_per_business=math.ceil(roles["buyer"] / 7) or 1,
        promoters=max(roles["promoter"], 1),
        staff=max(roles["staff"], 1),
    )
    flush_redis(redis_url)
    return url, redis_url, catalogue(sqlalchemy_url(url))


def sqlalchemy_url(url: str) -> str:
    from marketplace.config import database_url

    return database_url(url)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    base: str
    log_path: Path

    def worker_pids(self) -> list[int]:
        """The gunicorn master's children: its workers."""
        pid = self.process.pid
        path = Path(f"/proc/{pid}/task/{pid}/children")
        return [int(x) for x in path.read_text().split()] if path.exists() else []

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_gunicorn(
    env: dict, workers: int, log_path: Path, app: str | None = None, ready: str = "/readyz"
) -> Server:
    """gunicorn with the project's gunicorn.conf.py (and `app` instead of app:app if given)."""
    port = free_port()
    env = {
        **env,
        "QHATU_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "SECRET_KEY": secrets.token_hex(32),
        "TRUSTED_PROXIES": "1",
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO"),
    }
    cmd = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")]
    if app:
        cmd.append(app)
    log = open(log_path, "ab")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log)
    log.close()
    server = Server(process, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited; see {log_path}")
        try:
            if requests.get(server.base + ready, timeout=5).status_code == 200:
                warm_up(server.base + ready, workers)
                return server
        except requests.RequestException:
            pass
        time.sleep(0.2)
    server.stop()
    raise SystemExit(f"gunicorn did not become ready; see {log_path}")


def warm_up(url: str, workers: int, seconds: float = 3.0) -> None:
    """Busy every worker for a moment: each builds its app after the fork, and the first
    requests to reach a worker wait for it."""
    stop = time.monotonic() + seconds

    def hammer():
        while time.monotonic() < stop:
            try:
                requests.get(url, timeout=REQUEST_TIMEOUT)
            except requests.RequestException:
                time.sleep(0.1)

    threads = [threading.Thread(target=hammer) for _ in range(2 * workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def run_audit(env: dict) -> tuple[int, str]:
    result = subprocess.run(
        [sys.executable, "-m", "flask", "audit"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    return result.returncode, (result.stdout + result.stderr).strip()


# ---------------------------------------------------------------------------------------
# A browser's view of forms


class FormParser(HTMLParser):
    """Every form's fields with the values a browser would submit without changes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.by_id: dict[str, dict] = {}
        self.detached: list[tuple[str, str, str]] = []  # fields with form="id"
        self.current: dict | None = None
        self.select: dict | None = None
        self.textarea: dict | None = None

    def _add(self, attrs: dict, name: str, value: str) -> None:
        if "form" in attrs:
            self.detached.append((attrs["form"], name, value))
        elif self.current is not None:
            self.current["fields"][name] = value

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.current = {"action": a.get("action", ""), "fields": {}}
            self.forms.append(self.current)
            if a.get("id"):
                self.by_id[a["id"]] = self.current
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in {"submit", "button", "image", "file", "reset"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            self._add(a, a["name"], a.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select" and a.get("name"):
            self.select = {"attrs": a, "first": None, "selected": None}
        elif tag == "option" and self.select is not None:
            value = a.get("value", "")
            if self.select["first"] is None:
                self.select["first"] = value
            if "selected" in a:
                self.select["selected"] = value
        elif tag == "textarea" and a.get("name"):
            self.textarea = {"attrs": a, "text": ""}

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea["text"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select" and self.select is not None:
            s = self.select
            value = s["selected"] if s["selected"] is not None else s["first"]
            if value is not None:
                self._add(s["attrs"], s["attrs"]["name"], value)
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            t = self.textarea
            self._add(t["attrs"], t["attrs"]["name"], t["text"].strip("\n"))
            self.textarea = None

    def close(self):
        super().close()
        for form_id, name, value in self.detached:
            if form_id in self.by_id:
                self.by_id[form_id]["fields"][name] = value


def forms_in(html: str) -> list[dict]:
    parser = FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def form_for(html: str, action: str, here: str = "") -> dict | None:
    """The fields of the first form posting to `action` (a path), or None; a form without
    an action posts to the page it is on (`here`)."""
    for form in forms_in(html):
        if (form["action"] or here).split("?")[0] == action:
            return dict(form["fields"])
    return None


def sold_out(html: str) -> bool:
    """The page says a product is short of stock."""
    html = html.lower()
    return any(marker in html for marker in SHORT_MARKERS)


def links(html: str, pattern: str) -> list[str]:
    return sorted(set(re.findall(rf'href="({pattern})"', html)))


# ---------------------------------------------------------------------------------------
# Virtual users


@dataclass
class Sample:
    kind: str
    status: int | str  # an HTTP status, or "reset"/"timeout"/"refused"
    started: float  # time.time()
    seconds: float
    outcome: str  # ok | expected | error
    detail: str = ""  # the main part of an unexpected page, to see what went wrong


class Unexpected(Exception):
    """The page did not hold what a browser would have used to go on."""


@dataclass
class VirtualUser:
    base: str
    role: str
    index: int
    data: dict
    stop_at: float
    think: float
    samples: list = field(default_factory=list)
    email: str | None = None
    association_id: int | None = None

    def __post_init__(self):
        self.http = requests.Session()
        # The bench is the reverse proxy: every user comes from its own address.
        self.http.headers["X-Forwarded-For"] = f"10.{self.index // 250}.{self.index % 250}.7"
        self.rng = random.Random(self.index)

    # -- one request, timed and judged
    def call(
        self,
        kind: str,
        method: str,
        path: str,
        ok=(200,),
        expected=(),
        short_statuses=(),
        data=None,
    ) -> requests.Response | None:
        started_wall, started = time.time(), time.perf_counter()
        try:
            response = self.http.request(
                method, self.base + path, data=data, timeout=REQUEST_TIMEOUT, allow_redirects=False
            )
        except requests.Timeout:
            self.record(kind, "timeout", started_wall, started, "error")
            return None
        except requests.ConnectionError as error:
            status = "refused" if "refused" in str(error).lower() else "reset"
            self.record(kind, status, started_wall, started, "error")
            return None
        status = response.status_code
        if status in ok:
            outcome = "ok"
        elif status in expected or (status in short_statuses and sold_out(response.text)):
            outcome = "expected"
        else:
            outcome = "error"
        detail = ""
        if outcome == "error":
            body = response.text
            detail = body[body.find("<main") :][:3000] if "<main" in body else body[:3000]
        self.record(kind, status, started_wall, started, outcome, detail)
        return response if outcome != "error" else None

    def record(self, kind, status, started_wall, started, outcome, detail=""):
        self.samples.append(
            Sample(kind, status, started_wall, time.perf_counter() - started, outcome, detail)
        )

    def pause(self) -> None:
        if self.think:
            time.sleep(self.rng.uniform(0, 2 * self.think))

    def running(self) -> bool:
        return time.time() < self.stop_at

    def login(self) -> bool:
        page = self.call("login page", "GET", "/login")
        if page is None:
            return False
        form = form_for(page.text, "/login", here="/login")
        if form is None:
            return False
        form.update(email=self.email, password=DEMO_PASSWORD)
        return self.call("login", "POST", "/login", ok=(303,), data=form) is not None

    def loop(self) -> None:
        step = getattr(self, f"step_{self.role}")
        logged_in = self.email is None  # visitors (and the ceiling) never log in
        while self.running():
            try:
                if not logged_in:
                    logged_in = self.login()
                    if not logged_in:
                        self.pause()
                        continue
                step()
            except Unexpected as problem:
                self.record(str(problem), "page", time.time(), time.perf_counter(), "error")
            self.pause()

    # -- visitors
    def step_visitor(self) -> None:
        choice = self.rng.random()
        if choice < 0.3:
            self.call("browse: catalogue", "GET", "/")
        elif choice < 0.7:
            product = self.rng.choice(self.data["products"])
            self.call("browse: product", "GET", f"/p/{product['id']}")
        elif choice < 0.9:
            slug = self.rng.choice(self.data["slugs"])
            self.call("browse: story", "GET", f"/asociaciones/{slug}")
        else:
            self.call("browse: associations", "GET", "/asociaciones")

    # -- buyers
    def step_buyer(self) -> None:
        association = self.rng.choice(sorted({p["association_id"] for p in self.data["products"]}))
        products = [p for p in self.data["products"] if p["association_id"] == association]
        chosen = self.rng.sample(products, k=min(len(products), self.rng.choice((1, 2))))
        minimum = chosen[0]["min_order_cents"]
        for product in chosen:
            page = self.call("browse: product", "GET", f"/p/{product['id']}")
            if page is None:
                return
            form = form_for(page.text, "/buyer/cart/items")
            if form is None and "Sin stock por ahora." in page.text:
                # Sold out: the buyer comes back later.
                self.record("buyer: sold out", "page", time.time(), time.perf_counter(), "expected")
                return
            if form is None:
                raise Unexpected("buyer: product page without a cart form")
            # Each product alone reaches the association's minimum order (agreed prices are
            # lower than list prices, hence the margin).
            units = math.ceil(1.2 * minimum / product["price_cents"])
            form["quantity"] = str(units + self.rng.randint(0, 2))
            added = self.call(
                "buyer: add to cart",
                "POST",
                "/buyer/cart/items",
                ok=(303,),
                short_statuses=(422,),
                data=form,
            )
            if added is None:
                return
            if added.status_code != 303:
                # Sold out: the buyer takes everything out and comes back later.
                cart = self.call("buyer: cart", "GET", "/buyer/cart")
                if cart is not None:
                    self.empty_cart(cart.text)
                return
            self.pause()
        cart = self.call("buyer: cart", "GET", "/buyer/cart")
        if cart is None:
            return
        form = form_for(cart.text, "/buyer/checkout")
        if form is None:
            self.empty_cart(cart.text)
            return
        self.pause()
        done = self.call(
            "buyer: checkout",
            "POST",
            "/buyer/checkout",
            ok=(303,),
            short_statuses=(409,),
            data=form,
        )
        if done is not None and done.status_code == 409:
            # Sold out meanwhile: the buyer takes everything out and starts again.
            self.empty_cart(done.text)
        elif done is not None and self.rng.random() < 0.5:
            orders = self.call("buyer: orders", "GET", "/buyer/orders")
            found = links(orders.text, r"/buyer/orders/\d+") if orders is not None else []
            if found:
                self.call("buyer: order page", "GET", self.rng.choice(found))

    def empty_cart(self, html: str) -> None:
        for form in forms_in(html):
            if re.fullmatch(r"/buyer/cart/items/\d+/delete", form["action"]):
                self.call(
                    "buyer: remove from cart",
                    "POST",
                    form["action"],
                    ok=(303,),
                    data=form["fields"],
                )

    # -- promoters
    def step_promoter(self) -> None:
        choice = self.rng.random()
        if choice < 0.3:
            self.update_stock()
        elif choice < 0.9:
            view, action = self.rng.choice(
                (("placed", "confirm"), ("confirmed", "dispatch"), ("dispatched", "deliver"))
            )
            self.move_an_order(view, action)
        else:
            self.call("promoter: home", "GET", "/producer/")

    def update_stock(self) -> None:
        mine = [p for p in self.data["products"] if p["association_id"] == self.association_id]
        product = self.rng.choice(mine)
        path = f"/producer/products/{product['id']}/stock"
        page = self.call("promoter: stock page", "GET", path)
        if page is None:
            return
        form = form_for(page.text, path)
        if form is None:
            raise Unexpected("promoter: stock page without its form")
        self.pause()
        form.update(quantity=str(self.rng.randint(5, 25)), produce="1")
        self.call("promoter: add production", "POST", path, ok=(303,), data=form)

    def move_an_order(self, view: str, action: str) -> None:
        listing = self.call("promoter: orders", "GET", f"/producer/orders?view={view}")
        if listing is None:
            return
        found = links(listing.text, r"/producer/orders/\d+")
        if not found:
            return
        path = self.rng.choice(found)
        page = self.call("promoter: order page", "GET", path)
        if page is None:
            return
        form = form_for(page.text, f"{path}/{action}")
        if form is None:
            return  # another promoter moved it since the list was drawn
        self.pause()
        # 409: another promoter moved it between the page and the button.
        self.call(
            f"promoter: {action}",
            "POST",
            f"{path}/{action}",
            ok=(303,),
            expected=(409,),
            data=form,
        )

    # -- staff
    STAFF_PAGES = (
        "/staff/",
        "/staff/associations",
        "/staff/associations/1",
        "/staff/associations/1/ledger",
        "/staff/buyers",
        "/staff/buyers/1",
        "/staff/invoices/overdue",
        "/staff/standing-orders",
        "/staff/agreements",
        "/staff/promoters",
    )

    def step_staff(self) -> None:
        if not hasattr(self, "dashboard"):
            probe = self.call("staff: dashboard", "GET", "/staff/dashboard", expected=(404,))
            self.dashboard = probe is not None and probe.status_code == 200
        if self.dashboard and self.rng.random() < 0.3:
            self.call("staff: dashboard", "GET", "/staff/dashboard")
        else:
            self.call("staff: page", "GET", self.rng.choice(self.STAFF_PAGES))

    # -- the ceiling
    def step_ceiling(self) -> None:
        self.call("ceiling", "GET", self.data["path"])


def role_counts(users: int) -> dict[str, int]:
    counts = {role: int(users * share) for role, share in MIX.items()}
    counts["visitor"] += users - sum(counts.values())
    return counts


def plan_users(data: dict, users: int) -> list[tuple[str, int, str | None, int | None]]:
    """(role, index, email, association id) for every virtual user."""
    plan = []
    accounts = {role: list(found) for role, found in data.get("accounts", {}).items()}
    for role, count in role_counts(users).items():
        for i in range(count):
            email = association_id = None
            if role != "visitor":
                email, association_id = accounts[role][i % len(accounts[role])]
            plan.append((role, len(plan), email, association_id))
    return plan


def drive(
    base: str, plan, data: dict, stop_at: float, think: float, start_at: float
) -> list[Sample]:
    """Run these virtual users in threads of this process until `stop_at`; their samples."""
    users = [
        VirtualUser(base, role, index, data, stop_at, think, email=email, association_id=aid)
        for role, index, email, aid in plan
    ]
    time.sleep(max(0.0, start_at - time.time()))
    threads = [threading.Thread(target=u.loop, daemon=True) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(1.0, stop_at - time.time()) + REQUEST_TIMEOUT + 5)
    return [s for u in users for s in u.samples]


def _drive(args):
    return drive(*args)


def start_clients(base, plan, data, duration, think, procs, warmup=2.0):
    """Share the users among `procs` client processes; an AsyncResult of their samples."""
    start_at = time.time() + warmup
    stop_at = start_at + duration
    shares = [plan[i::procs] for i in range(procs)]
    pool = multiprocessing.get_context("spawn").Pool(procs)
    result = pool.map_async(_drive, [(base, s, data, stop_at, think, start_at) for s in shares])
    pool.close()
    return pool, result, start_at, stop_at


def run_clients(base, plan, data, duration, think, procs) -> tuple[list[Sample], float]:
    pool, result, start_at, stop_at = start_clients(base, plan, data, duration, think, procs)
    samples = [s for part in result.get() for s in part]
    pool.join()
    return samples, stop_at - start_at


# ---------------------------------------------------------------------------------------
# Report


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, math.ceil(p / 100 * len(sorted_values)) - 1))
    return sorted_values[k]


def summary(samples: list[Sample], wall: float, title: str) -> list[str]:
    by_kind = defaultdict(list)
    for s in samples:
        by_kind[s.kind].append(s)
    outcomes = Counter(s.outcome for s in samples)
    requests_made = sum(s.status != "page" for s in samples)  # "page": judged, not requested
    lines = [
        f"{title}: {requests_made} requests in {wall:.0f} s = {requests_made / wall:.1f} req/s; "
        f"errors {outcomes['error']}, expected refusals (sold out / moved first) "
        f"{outcomes['expected']}",
        f"  {'kind':<28} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'expected':>8} {'errors':>6}",
    ]
    for kind in sorted(by_kind):
        rows = by_kind[kind]
        ms = sorted(s.seconds * 1000 for s in rows)
        kinds = Counter(s.outcome for s in rows)
        lines.append(
            f"  {kind:<28} {len(rows):>6} {percentile(ms, 50):>8.0f} {percentile(ms, 95):>8.0f} "
            f"{percentile(ms, 99):>8.0f} {kinds['expected']:>8} {kinds['error']:>6}"
        )
    statuses = Counter(str(s.status) for s in samples)
    lines.append("  statuses: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))
    errors = Counter((s.kind, str(s.status)) for s in samples if s.outcome == "error")
    for (kind, status), count in sorted(errors.items()):
        lines.append(f"  error: {kind} -> {status} x{count}")
    return lines


def keep_error_pages(samples: list[Sample], log_dir: Path) -> None:
    """The first page of every kind of error, for a person to read."""
    seen = set()
    for s in samples:
        key = (s.kind, str(s.status))
        if s.outcome == "error" and s.detail and key not in seen:
            seen.add(key)
            name = re.sub(r"[^a-z0-9]+", "-", f"{s.kind}-{s.status}".lower())
            (log_dir / f"error-{name}.html").write_text(s.detail)


def ceiling(env, args, log_dir: Path) -> list[str]:
    """req/s of the same gunicorn configuration serving (a) hello world (b) Qhatu's /healthz."""
    lines = []
    for label, app, path in (
        ("hello-world WSGI app", "bench.hello_app:app", "/"),
        ("Qhatu /healthz", None, "/healthz"),
    ):
        server = start_gunicorn(
            {**env, "LOG_LEVEL": "WARNING"},
            args.workers,
            log_dir / "ceiling.log",
            app,
            ready=path,
        )
        try:
            plan = [("ceiling", i, None, None) for i in range(args.users)]
            samples, wall = run_clients(
                server.base, plan, {"path": path}, args.ceiling_duration, 0, args.client_procs
            )
        finally:
            server.stop()
        ms = sorted(s.seconds * 1000 for s in samples)
        bad = Counter(str(s.status) for s in samples if s.outcome == "error")
        good = sum(s.outcome == "ok" for s in samples)
        lines.append(
            f"ceiling, {label}: {good / wall:.0f} req/s answered 200 "
            f"(p50 {percentile(ms, 50):.0f} ms, p99 {percentile(ms, 99):.0f} ms, "
            f"errors {sum(bad.values())}{' ' + str(dict(bad)) if bad else ''})"
        )
    return lines


def make_parser(description: str = __doc__) -> argparse.ArgumentParser:
    """The options bench.load and bench.faults share."""
    parser = argparse.ArgumentParser(
        description=description.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (60)")
    parser.add_argument("--users", type=int, default=40, help="virtual users (40)")
    parser.add_argument(
        "--think", type=float, default=0.3, help="mean pause between a user's steps, s (0.3)"
    )
    parser.add_argument("--client-procs", type=int, default=2, help="client processes (2)")
    parser.add_argument("--pg", default=DEFAULT_PG, help=f"PostgreSQL server ({DEFAULT_PG})")
    parser.add_argument("--database", default="qhatu_load", help="database to (re)create")
    parser.add_argument("--redis-db", type=int, default=13, help="Redis db number (13)")
    parser.add_argument(
        "--schema",
        choices=("migrations", "models"),
        default="migrations",
        help="build the schema with `flask db upgrade` (default) or from the models\n"
        "(when the working tree's models are ahead of its migrations)",
    )
    parser.add_argument(
        "--ceiling-duration", type=float, default=15, help="seconds per ceiling run (15; 0: skip)"
    )
    return parser


def main(argv=None) -> int:
    args = make_parser().parse_args(argv)
    log_dir = Path(tempfile.mkdtemp(prefix="qhatu-load-"))
    print(f"preparing {args.database} (migrations, demo seed, accounts)...", flush=True)
    url, redis_url, data = prepare(args)
    env = app_env(url, redis_url)
    server = start_gunicorn(env, args.workers, log_dir / "gunicorn.log")
    print(f"gunicorn: {args.workers} workers at {server.base}; log in {log_dir}", flush=True)
    load_before = os.getloadavg()[0]
    try:
        plan = plan_users(data, args.users)
        samples, wall = run_clients(
            server.base, plan, data, args.duration, args.think, args.client_procs
        )
    finally:
        server.stop()
    counts = role_counts(args.users)
    lines = [
        f"load: {args.workers} gunicorn workers (sync) on PostgreSQL + Redis, {args.users} "
        f"virtual users ({', '.join(f'{v} {k}s' for k, v in counts.items())}), think time "
        f"~{args.think} s, {os.cpu_count()} cores shared with the clients; load average "
        f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after",
        *summary(samples, wall, "mix"),
    ]
    checkouts = sum(s.kind == "buyer: checkout" and s.outcome == "ok" for s in samples)
    lines.append(f"  checkouts completed: {checkouts} ({checkouts / wall:.1f} per second)")
    keep_error_pages(samples, log_dir)
    code, audit = run_audit(env)
    lines.append(f"audit (exit {code}): {audit}")
    if args.ceiling_duration > 0:
        lines.extend(ceiling(env, args, log_dir))
    print("\n".join(lines))
    errors = sum(s.outcome == "error" for s in samples)
    return 0 if errors == 0 and code == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
