"""A pytest plugin: a test fails when the fake Slack refused something the app sent.

The check runs right after the test body (so `xfail(strict=True)` sees the failure) and again
after teardown, for refusals that happened while listeners were still finishing. A test that
provokes a refusal on purpose declares it with `FakeSlack.allow` or `FakeSlack.expect`.
Loaded from `tests/conftest.py` (`pytest_plugins`).
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

from tests.bot.slack.fake_slack import LIVE, Violation


class SlackRefused(AssertionError):
    """Slack would have refused what the app sent."""


def _unreported() -> list[Violation]:
    return [violation for fake in list(LIVE) for violation in fake.take_unreported()]


def _raise_if_any(when: str) -> None:
    found = _unreported()
    if found:
        lines = "\n".join(f"  - {violation}" for violation in found)
        raise SlackRefused(f"Slack would refuse what the app sent ({when}):\n{lines}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    try:
        result = yield
    except BaseException:
        # The test failed anyway; show the refusals next to its own failure.
        found = _unreported()
        if found:
            item.add_report_section("call", "slack", "\n".join(map(str, found)))
        raise
    _raise_if_any("during the test")
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, None, None]:
    result = yield
    _raise_if_any("while the test's listeners finished")
    return result
