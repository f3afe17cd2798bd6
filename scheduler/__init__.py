"""Background jobs: retention, content status upkeep (and, later, weekly deliveries)."""
