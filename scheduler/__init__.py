"""Background jobs: the weekly planner, the outbox sender, leader election and upkeep."""
