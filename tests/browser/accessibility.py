"""axe-core in the page: the WCAG 2.1 A/AA violations a person would run into."""

from functools import cache
from pathlib import Path

from playwright.sync_api import Page

AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")

RUN_AXE = """async ([tags, exclude]) => {
  const context = exclude.length ? {exclude: exclude.map((selector) => [selector])} : document;
  const result = await axe.run(context, {runOnly: {type: "tag", values: tags}});
  return result.violations.map(v => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map(n => ({
      target: n.target.join(" "), html: n.html, summary: n.failureSummary,
    })),
  }));
}"""


@cache
def axe_source() -> str:
    return AXE_SCRIPT.read_text(encoding="utf-8")


def check_accessibility(page: Page, exclude: tuple[str, ...] = ()) -> list[dict]:
    """Serious and critical violations on the page as it is now, outside `exclude` (CSS
    selectors of parts to leave out, e.g. a long table's repeated rows).

    axe is evaluated rather than added as a <script>: the app's CSP forbids inline scripts.
    A crawl can load it once per context instead: `context.add_init_script(path=AXE_SCRIPT)`.
    """
    if not page.evaluate("typeof axe !== 'undefined'"):  # not added by an init script
        page.evaluate(axe_source())
    violations = page.evaluate(RUN_AXE, [WCAG_TAGS, list(exclude)])
    return [v for v in violations if v["impact"] in BLOCKING]


def describe(violations: list[dict]) -> str:
    """Violations as readable lines for an assertion message."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['impact']} {violation['id']}: {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"  at {node['target']}: {node['html'][:160]}")
            if node["summary"]:
                lines.extend(f"    {line}" for line in node["summary"].splitlines())
    return "\n".join(lines)
