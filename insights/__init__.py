"""Motivation insights: per-person signals and the group they point to (pure, no database)."""
