"""Fault suites: the bot under failing neighbours (marked `faults`)."""
