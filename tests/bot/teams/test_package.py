"""`socialboost teams-package`: a zip Teams accepts, with manifest v1.19 and both icons."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from bot.teams.icons import png_size
from bot.teams.package import MENUS, PackageSettings, manifest, write_package
from bot.teams.platform import CAPABILITIES
from domain.errors import InvalidInput
from handlers.commands import COMMANDS

APP_ID = "5a1f8f2e-0000-4000-8000-00000000a11d"
SETTINGS = PackageSettings(
    app_id=APP_ID,
    public_base_url="https://boost.example.org",
    privacy_url="https://example.org/privacy",
    terms_url="https://example.org/terms",
)
BIN = Path(sys.executable).parent / "socialboost"


def pixels(data: bytes) -> list[tuple[int, int, int, int]]:
    """The RGBA pixels of a PNG as written by bot.teams.icons (filter 0 on every row)."""
    width, height = png_size(data)
    position, chunks = 8, b""
    while position < len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        if data[position + 4 : position + 8] == b"IDAT":
            chunks += data[position + 8 : position + 8 + length]
        position += 12 + length
    raw = zlib.decompress(chunks)
    stride = 1 + width * 4
    found = []
    for row in range(height):
        line = raw[row * stride + 1 : (row + 1) * stride]
        found += [tuple(line[i : i + 4]) for i in range(0, len(line), 4)]
    return found  # type: ignore[return-value]


def test_the_zip_holds_the_manifest_and_icons_of_the_right_sizes(tmp_path: Path) -> None:
    path = tmp_path / "teams-app.zip"
    write_package(path, SETTINGS)
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        document = json.loads(archive.read("manifest.json"))
        colour, outline = archive.read("color.png"), archive.read("outline.png")
    assert document["manifestVersion"] == "1.19" and "v1.19" in document["$schema"]
    assert document["id"] == APP_ID and document["bots"][0]["botId"] == APP_ID
    assert document["validDomains"] == ["boost.example.org"]
    assert document["developer"]["privacyUrl"] == "https://example.org/privacy"
    assert (png_size(colour), png_size(outline)) == ((192, 192), (32, 32))
    assert {p[3] for p in pixels(colour)} == {255}
    # Teams wants the outline icon white on a transparent background, nothing else.
    assert set(pixels(outline)) == {(255, 255, 255, 255), (0, 0, 0, 0)}


def test_the_menus_offer_registry_commands_teams_can_run_within_teams_limits() -> None:
    lists = manifest(SETTINGS)["bots"][0]["commandLists"]
    assert [entry["scopes"] for entry in lists] == [[scope] for scope in MENUS]
    titles = [command["title"] for entry in lists for command in entry["commands"]]
    offered = {spec.name for spec in COMMANDS if spec.available_on(CAPABILITIES)}
    assert len(titles) == len(set(titles)) and set(titles) <= offered
    assert {"picks", "prefs", "add", "stats", "role", "pause programme"} <= set(titles)
    assert "channel" in titles or not CAPABILITIES.channel_posts
    for entry in lists:
        assert len(entry["commands"]) <= 10
        for command in entry["commands"]:
            assert len(command["title"]) <= 32 and 0 < len(command["description"]) <= 128
            assert "/boost" not in command["description"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"app_id": "not-a-guid"}, "teams.app_id"),
        ({"app_id": ""}, "teams.app_id"),
        ({"public_base_url": "http://127.0.0.1:3978"}, "teams.https"),
        ({"terms_url": "ftp://example.org/terms"}, "teams.https"),
    ],
)
def test_a_package_teams_would_refuse_is_not_written(
    tmp_path: Path, change: dict[str, str], code: str
) -> None:
    settings = PackageSettings(**{**SETTINGS.__dict__, **change})
    with pytest.raises(InvalidInput) as refused:
        write_package(tmp_path / "teams-app.zip", settings)
    assert refused.value.code == code
    assert not (tmp_path / "teams-app.zip").exists()


def test_the_command_writes_the_package_from_settings(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEAMS_", "PUBLIC_"))}
    env.update(TEAMS_APP_ID=APP_ID, PUBLIC_BASE_URL="https://boost.example.org")
    done = subprocess.run(  # noqa: S603 - our own console script
        [str(BIN), "teams-package", "--privacy-url", "https://example.org/privacy"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(tmp_path / "teams-app.zip") as archive:
        document = json.loads(archive.read("manifest.json"))
    assert document["developer"]["termsOfUseUrl"] == "https://boost.example.org"
    env["PUBLIC_BASE_URL"] = "http://127.0.0.1:3978"
    refused = subprocess.run(  # noqa: S603 - our own console script
        [str(BIN), "teams-package", "--output", "other.zip"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode == 2 and "https" in refused.stderr
    assert not (tmp_path / "other.zip").exists()
