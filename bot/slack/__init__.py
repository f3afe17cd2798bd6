"""Slack adapter: Bolt app, Block Kit rendering and the Slack messenger."""
