"""Only bot/slack imports Slack's SDK and only bot/teams imports Microsoft's (ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLATFORM_SDKS = {
    "slack_bolt": "bot/slack",
    "slack_sdk": "bot/slack",
    "microsoft_agents": "bot/teams",
}
PACKAGES = [
    "bot",
    "handlers",
    "content_store",
    "scheduler",
    "captions",
    "picks",
    "domain",
    "messages",
    "insights",
    "simulation",
    "publishing",
]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_platform_sdks_are_imported_only_by_their_adapter() -> None:
    offenders = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            for sdk, home in PLATFORM_SDKS.items():
                if sdk in _imports(path) and not relative.startswith(home + "/"):
                    offenders.append(f"{relative} imports {sdk}")
    assert offenders == []


def test_the_rule_checker_sees_every_import_form(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import slack_sdk.web\nfrom microsoft_agents.hosting import x\n")
    assert {"slack_sdk", "microsoft_agents"} <= _imports(sample)
