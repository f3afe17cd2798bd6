"""The Slack app over HTTP against the fake Web API, shared with tests/bot/slack."""

from tests.bot.slack.test_slack_app import client, slack

__all__ = ["client", "slack"]
