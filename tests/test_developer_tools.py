"""The pre-commit hooks are valid and run the project's own tools, as `make lint` does."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".pre-commit-config.yaml"


def test_the_pre_commit_config_is_valid() -> None:
    checked = subprocess.run(  # noqa: S603 - pre-commit of our venv, fixed arguments
        [sys.executable, "-m", "pre_commit", "validate-config", str(CONFIG)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_hook_runs_a_tool_of_the_project_venv() -> None:
    # Local hooks only: nothing to download, and the versions are the lock file's.
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert {repo["repo"] for repo in config["repos"]} == {"local"}
    assert {hook["id"] for hook in hooks} == {"ruff", "ruff-format", "mypy"}
    for hook in hooks:
        tool = shlex.split(hook["entry"])[0]
        assert tool.startswith(".venv/bin/"), hook
        assert Path(sys.executable).with_name(Path(tool).name).exists(), hook
