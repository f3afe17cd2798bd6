"""The dependency rule: platform SDKs only in their adapter; each package above its layers."""

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
    "links",
    "offload",
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


# Which first-party packages each package may import: pure rules at the bottom, storage and
# links above them, use cases above those, and only the composition root (bot) at the top.
ALLOWED = {
    "domain": set(),
    "messages": set(),
    "offload": set(),
    "captions": {"domain"},
    "picks": {"domain"},
    "insights": {"domain"},
    "links": {"domain", "offload"},
    "content_store": {"domain", "captions", "insights", "links"},
    # The LinkedIn and Bluesky clients; they keep tokens sealed with content_store's token box.
    "publishing": {"domain", "content_store"},
    "handlers": {
        "publishing",
        "domain",
        "messages",
        "offload",
        "captions",
        "picks",
        "insights",
        "links",
        "content_store",
    },
    "scheduler": {"domain", "content_store", "handlers"},
    "simulation": {"domain", "captions", "insights", "links", "content_store", "handlers"},
    "bot": set(PACKAGES) - {"bot"},
}


def test_each_package_imports_only_the_layers_below_it() -> None:
    offenders = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            used = _imports(path) & set(PACKAGES) - {package}
            for name in sorted(used - ALLOWED[package]):
                offenders.append(f"{path.relative_to(ROOT).as_posix()} imports {name}")
    assert offenders == []


def test_every_package_has_a_place_in_the_layers() -> None:
    assert set(ALLOWED) == set(PACKAGES)
