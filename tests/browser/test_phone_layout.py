"""Every page of every role fits a 360 px phone and a desktop: a crawl of the demo.

From each role's start pages the crawl follows the same-origin GET links it finds (one page per
URL shape, so `/producer/orders/7` stands for every order; a bounded count per role) and on
each page checks that nothing scrolls sideways, that no figure is cut off or pushed out of
the window, that the phone header stays one line (≤ 64 px) and that axe-core finds no serious
or critical violation.
"""

import re
from collections import deque
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from marketplace.demo import DEMO_PASSWORD
from marketplace.demo.people import STAFF_EMAIL

from .accessibility import AXE_SCRIPT, check_accessibility, describe
from .test_own_figures import history  # noqa: F401 (the demo's months of history)

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
HEADER_MAX = 64
PAGES_PER_ROLE = 45
# A long table's rows past the 20th repeat the same markup: axe leaves them out (its contrast
# check costs seconds on a ledger of hundreds of rows); the layout checks still see them.
REPEATED_ROWS = ("tbody > tr:nth-child(n+21)",)

# Each role: who logs in, where the crawl starts and which paths it follows (the public
# pages are crawled once, anonymously).
ROLES = {
    "anonymous": (None, ["/", "/login", "/registro"], r"/"),
    "buyer": ("compras@intipata-demo.pe", ["/buyer/", "/"], r"/buyer/|/cuenta"),
    "promoter": ("promotor.queso@qhatu.pe", ["/producer/home"], r"/producer/|/cuenta"),
    "staff": (STAFF_EMAIL, ["/staff/", "/staff/dashboard"], r"/staff/|/cuenta"),
}
# Links the crawl does not follow: they act (log out, switch language), download a file or
# leave the page's HTML (feeds, photos).
SKIP = re.compile(
    r"/logout|/idioma|/language|/badge$|/pay$|/payments/return|"
    r"\.(pdf|csv|png|jpe?g|webp|svg|ics|xml)$|/static/|/media/"
)

# Elements whose own text holds a figure and that are cut off (content wider than the box)
# or lie outside the window sideways, and (wide screens) selects too narrow for their chosen
# option. Hidden elements (closed menu, screen-reader text) pass.
CLIPPED_FIGURES = """(phone) => {
  const srOnly = (el) => {
    for (let a = el; a; a = a.parentElement) {
      if (getComputedStyle(a).clip.startsWith("rect")) return true;
    }
    return false;
  };
  const found = [];
  // The window's width: a phone's innerWidth grows with a too-wide page, clientWidth does not.
  const width = document.documentElement.clientWidth;
  for (const el of document.body.querySelectorAll("*")) {
    if (["SCRIPT", "STYLE", "OPTION", "TEMPLATE", "svg"].includes(el.tagName)) continue;
    const own = [...el.childNodes].filter((n) => n.nodeType === 3)
      .map((n) => n.textContent).join("");
    if (!/\\d/.test(own)) continue;
    if (!el.checkVisibility({visibilityProperty: true, contentVisibilityAuto: true})) continue;
    if (el.closest(".skip") || srOnly(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const cut = el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1;
    const outside = box.right > width + 1 || box.left < -1;
    if (cut || outside) {
      const where = cut ? `cut ${el.scrollWidth}>${el.clientWidth}`
        : `at ${Math.round(box.left)}..${Math.round(box.right)}`;
      found.push(`${el.tagName}.${el.className} "${own.trim().slice(0, 30)}" ${where}`);
    }
  }
  const ruler = document.createElement("canvas").getContext("2d");
  // On a phone a long option (an address) cannot fit the screen; the open list shows it.
  for (const select of phone ? [] : document.body.querySelectorAll("select")) {
    const chosen = select.options[select.selectedIndex];
    if (!chosen || !select.checkVisibility()) continue;
    ruler.font = getComputedStyle(select).font;
    // The chosen option's text, the select's padding and its arrow (about 2.5em).
    const needed = ruler.measureText(chosen.text).width + 40;
    if (needed > select.clientWidth + 1) {
      const where = `${Math.round(needed)}>${select.clientWidth}`;
      found.push(`select#${select.id} "${chosen.text}" cut ${where}`);
    }
  }
  return found;
}"""

# Same-origin links on the page, as paths with their query.
LINKS = """() => [...document.querySelectorAll("a[href]")]
  .filter((a) => a.origin === location.origin && !a.hasAttribute("download"))
  .map((a) => a.pathname + a.search)"""


def shape(url: str) -> str:
    """The path with its numbers blanked and no query: one page stands for its kind."""
    return re.sub(r"\d+", "N", urlsplit(url).path)


def log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    expect(page.locator("header.site form[action$='/logout']")).to_have_count(1)


def problems_on(page: Page, phone: bool) -> list[str]:
    found = []
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 0:
        found.append(f"scrolls sideways by {overflow} px")
    found.extend(f"figure cut off: {text}" for text in page.evaluate(CLIPPED_FIGURES, phone))
    if phone:
        height = page.evaluate("document.querySelector('header.site').offsetHeight")
        if height > HEADER_MAX:
            found.append(f"header {height} px tall")
    found.extend(describe([v]) for v in check_accessibility(page, exclude=REPEATED_ROWS))
    return found


def crawl(page: Page, starts: list[str], follow: str, phone: bool) -> dict[str, list[str]]:
    """Visit pages breadth-first from `starts`; return each page's problems."""
    queue, seen, report = deque(starts), {shape(url) for url in starts}, {}
    while queue and len(report) < PAGES_PER_ROLE:
        url = queue.popleft()
        response = page.goto(url)
        if (
            response is None
            or not response.ok
            or "text/html" not in response.headers.get("content-type", "")
        ):
            continue
        report[url] = problems_on(page, phone)
        for link in page.evaluate(LINKS):
            if re.match(follow, link) and not SKIP.search(link) and shape(link) not in seen:
                seen.add(shape(link))
                queue.append(link)
    return report


def headers_in_other_languages(page: Page) -> dict[str, list[str]]:
    """The header's height on the last page in English and Quechua (then back to Spanish)."""
    report = {}
    for code in ("en", "qu", "es"):
        page.locator("details.menu > summary").click()
        page.locator(f"details.menu button[lang={code}]").click()
        expect(page.locator("html")).to_have_attribute("lang", code)
        page.wait_for_load_state()  # the stylesheet too
        height = page.evaluate("document.querySelector('header.site').offsetHeight")
        report[f"{page.url} ({code})"] = [f"header {height} px tall"] if height > HEADER_MAX else []
    return report


@pytest.mark.usefixtures("history", "axe_installed")
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits(browser: Browser, base_url, role, viewport) -> None:
    email, starts, follow = ROLES[role]
    phone = viewport == "phone"
    context = browser.new_context(
        base_url=base_url, viewport=PHONE if phone else DESKTOP, is_mobile=phone, has_touch=phone
    )
    # The service worker would answer from its cache; the crawl wants the server's pages.
    context.route("**/sw.js", lambda route: route.abort())
    context.add_init_script(path=AXE_SCRIPT)
    page = context.new_page()
    try:
        if email:
            log_in(page, email)
        report = crawl(page, starts, follow, phone)
        if phone:
            report.update(headers_in_other_languages(page))
    finally:
        context.close()
    assert len(report) >= 3, f"the crawl found only {list(report)}"
    failing = {url: found for url, found in report.items() if found}
    lines = [f"{url}\n  " + "\n  ".join(found[:6]) for url, found in failing.items()]
    assert not failing, f"{len(failing)} of {len(report)} pages:\n" + "\n".join(lines)
