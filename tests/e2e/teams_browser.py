"""Microsoft 365 Agents Playground in Debian's chromium, driven by Playwright as a person would.

What a person sees is read from the page: the message box, the Adaptive Cards, their buttons
(by title) and checkboxes (by aria-label), and every error the client shows — in the chat, in
its Log Panel, on the browser's console or as an uncaught page error. The selectors are those
of Playground 0.2.28 (pinned in package.json).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import (
    BrowserContext,
    ConsoleMessage,
    Error,
    Locator,
    Page,
    ViewportSize,
    async_playwright,
)

CHROMIUM = Path("/usr/bin/chromium")
# Headless, no sandbox (we run as root), and nothing that phones home or updates itself.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
VIEWPORT = ViewportSize(width=1400, height=1000)
# Long enough for a card after a bot turn on a busy 2-core machine; a hang still fails.
WAIT_MS = 30_000

MESSAGE_BOX = '[data-lexical-editor="true"]'
CARD = ".ac-adaptiveCard"
# The Log Panel's entries: the one editable area without spell checking (the message box has it).
LOG_ENTRIES = 'div[contenteditable="true"][spellcheck="false"] > div'
# A Log Panel entry the Playground marks as an error, e.g. "(×) Error: … unknown attachment type".
LOG_ERROR = re.compile(r"\bError:|\(×\)")

# What the Playground says when it cannot show something (its i18n texts), and what the
# Adaptive Cards renderer says when a card does not parse or render.
CLIENT_ERRORS = re.compile(
    "|".join(
        (
            r"is not supported yet",
            r"is an unknown attachment type",
            r"Invalid message",
            r"Unknown action type",
            r"Invalid response returned from your app",
            r"Unable to reach app",
            r"Adaptive Card (?:parse|render) error",
            r"Failed to render Adaptive Cards",
            r"Carousel layout is not supported",
        )
    ),
    re.IGNORECASE,
)
# A Log Panel line of an activity the bot answered with an HTTP error, e.g. "message 500".
LOG_HTTP_ERROR = re.compile(r"\b[A-Za-z]+ [45]\d\d\b")

# Text nodes (in the chat and the Log Panel) with a client error not reported yet.
_NEW_ERROR_TEXTS = """
(pattern) => {
  const seen = (window.__sbSeen = window.__sbSeen || new WeakSet());
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const regex = new RegExp(pattern, "i");
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!seen.has(node) && regex.test(node.textContent)) {
      seen.add(node);
      found.push(node.textContent.trim());
    }
  }
  return found;
}
"""


# Into view: a card taller than most of the window from its top, any other just so.
_SCROLL_TO = """
(element) => {
  const tall = element.getBoundingClientRect().height > window.innerHeight * 0.7;
  element.scrollIntoView({ block: tall ? "start" : "nearest" });
}
"""


# Log Panel entries not read yet (the panel keeps a bounded number, so counting would not do).
_NEW_LOG_ENTRIES = """
(entries) => {
  const seen = (window.__sbLogSeen = window.__sbLogSeen || new WeakSet());
  const fresh = entries.filter((entry) => !seen.has(entry));
  fresh.forEach((entry) => seen.add(entry));
  return fresh.map((entry) => entry.innerText);
}
"""


def chromium_or_skip() -> Path:
    """Debian's chromium; skips when it is missing (fails under CI, where it must run)."""
    if CHROMIUM.exists() and shutil.which(str(CHROMIUM)):
        return CHROMIUM
    reason = f"{CHROMIUM} is missing; `make test` installs it (.ci/ensure-chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@contextlib.asynccontextmanager
async def chromium(*, user_data_dir: Path) -> AsyncIterator[BrowserContext]:
    """Headless chromium on a fresh profile in `user_data_dir`, closed at the end."""
    executable = chromium_or_skip()
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(user_data_dir),
            executable_path=str(executable),
            headless=True,
            args=list(CHROMIUM_FLAGS),
            viewport=VIEWPORT,
            locale="en-US",
            timezone_id="Europe/Amsterdam",
        )
        context.set_default_timeout(WAIT_MS)
        try:
            yield context
        finally:
            await context.close()


@dataclass
class Problems:
    """Errors the browser reported (console, uncaught), kept until the next `take`."""

    local_hosts: frozenset[str]
    found: list[str] = field(default_factory=list)

    def console(self, message: ConsoleMessage) -> None:
        text = message.text
        if message.type == "error" and not self._offline_noise(message):
            self.found.append(f"console error: {text}")
        elif message.type == "warning" and CLIENT_ERRORS.search(text):
            self.found.append(f"console warning: {text}")

    def page_error(self, error: Error) -> None:
        self.found.append(f"page error: {error.message}")

    def _offline_noise(self, message: ConsoleMessage) -> bool:
        """Fonts and animations the Playground loads from Microsoft's CDN (this machine is
        offline), and its missing favicon: not about the bot."""
        parts = urlsplit(message.location.get("url") or "")
        if parts.hostname not in self.local_hosts:
            return bool(parts.hostname)
        return parts.path == "/favicon.ico"

    def take(self) -> list[str]:
        found, self.found = self.found, []
        return found


class TeamsChat:
    """The Playground's page as its signed-in user sees it: find, act, wait, read errors."""

    def __init__(self, page: Page, *, url: str, screenshots: Path) -> None:
        self.page = page
        self.url = url
        self.screenshots = screenshots
        self.problems = Problems(local_hosts=frozenset({"127.0.0.1", "localhost", "::1"}))
        page.on("console", self.problems.console)
        page.on("pageerror", self.problems.page_error)

    # ------------------------------------------------------------------ finding

    @property
    def message_box(self) -> Locator:
        return self.page.locator(MESSAGE_BOX)

    @property
    def cards(self) -> Locator:
        """Every Adaptive Card in the open chat, oldest first."""
        return self.page.locator(CARD)

    def cards_with(self, text: str) -> Locator:
        return self.cards.filter(has_text=text)

    @staticmethod
    def button(scope: Locator, title: str) -> Locator:
        """A card button by its title; link buttons (Action.OpenUrl) carry their URL as the
        title and the button's own text as aria-label."""
        quoted = _quoted(title)
        return scope.locator(f"button[title={quoted}], button[role=link][aria-label={quoted}]")

    async def link_of(self, scope: Locator, label: str) -> str:
        """The URL a link button (Action.OpenUrl) opens."""
        link = scope.locator(f"button[role=link][aria-label={_quoted(label)}]")
        return str(await link.get_attribute("title"))

    @staticmethod
    def checkbox(scope: Locator, label: str) -> Locator:
        return scope.locator(f"input[type=checkbox][aria-label={_quoted(label)}]")

    @staticmethod
    def text_boxes(scope: Locator) -> Locator:
        """The multiline text inputs (captions) of a card."""
        return scope.locator("textarea")

    async def button_titles(self, scope: Locator) -> list[str]:
        """What the card's buttons say (aria-label, as the title of a link button is its URL)."""
        titles = await scope.locator("button[aria-label]").evaluate_all(
            "(buttons) => buttons.map((b) => b.getAttribute('aria-label'))"
        )
        return [str(title) for title in titles]

    async def checked(self, scope: Locator) -> list[str]:
        """The aria-labels of the ticked checkboxes in `scope`."""
        labels = await scope.locator("input[type=checkbox]").evaluate_all(
            "(boxes) => boxes.filter((b) => b.checked).map((b) => b.getAttribute('aria-label'))"
        )
        return [str(label) for label in labels]

    # ------------------------------------------------------------------ acting

    async def open(self) -> None:
        """Load the Playground and wait until its message box is there."""
        await self.page.goto(self.url, wait_until="networkidle")
        await self.message_box.wait_for()

    async def say(self, text: str) -> None:
        """Type `text` into the message box and send it with Enter."""
        await self.message_box.click()
        await self.page.keyboard.type(text)
        await self.page.keyboard.press("Enter")

    async def press(self, scope: Locator, title: str) -> None:
        await self.button(scope, title).click()

    async def tick(self, scope: Locator, *labels: str) -> None:
        for label in labels:
            await self.checkbox(scope, label).check()

    # ------------------------------------------------------------------ waiting

    async def reply(self, act: Callable[[], Awaitable[None]], *, containing: str) -> Locator:
        """Do `act`, then wait for one more card showing `containing` (new or updated)."""
        matching = self.cards_with(containing)
        before = await matching.count()
        await act()
        await matching.nth(before).wait_for()
        return matching.nth(before)

    async def replies(
        self, act: Callable[[], Awaitable[None]], *, containing: str, count: int
    ) -> list[Locator]:
        """Do `act`, then wait for `count` more cards showing `containing`."""
        matching = self.cards_with(containing)
        before = await matching.count()
        await act()
        await matching.nth(before + count - 1).wait_for()
        return [matching.nth(before + n) for n in range(count)]

    # ------------------------------------------------------------------ errors

    async def log_lines(self) -> list[str]:
        """The Log Panel's entries, oldest first."""
        texts = await self.page.locator(LOG_ENTRIES).all_inner_texts()
        return [" ".join(text.split()) for text in texts]

    async def log_entry(self, text: str) -> Locator:
        """The newest Log Panel entry containing `text`, once there."""
        entry = self.page.locator(LOG_ENTRIES).filter(has_text=text).last
        await entry.wait_for()
        return entry

    async def new_errors(self) -> list[str]:
        """Every error shown or reported since the last call: in the page (chat and Log
        Panel), as Log Panel entries of failed requests, on the console, uncaught."""
        found = self.problems.take()
        texts = await self.page.evaluate(_NEW_ERROR_TEXTS, CLIENT_ERRORS.pattern)
        found += [f"shown: {text}" for text in texts]
        entries = await self.page.locator(LOG_ENTRIES).evaluate_all(_NEW_LOG_ENTRIES)
        fresh = [" ".join(str(entry).split()) for entry in entries]
        found += [
            f"log panel: {line}"
            for line in fresh
            if LOG_HTTP_ERROR.search(line) or LOG_ERROR.search(line)
        ]
        return found

    # ------------------------------------------------------------------ screenshots

    async def screenshot(self, name: str, *, show: Locator | None = None) -> Path:
        """The whole window, with `show` (or the newest message) scrolled into view."""
        target = show if show is not None else self.cards.last
        with contextlib.suppress(Error):
            if await target.count():
                await target.evaluate(_SCROLL_TO, timeout=2_000)
        path = self.screenshots / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(path))
        return path


def _quoted(text: str) -> str:
    """`text` as a CSS attribute value in double quotes."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
