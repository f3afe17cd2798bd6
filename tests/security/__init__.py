"""Security suites: hostile input at every door (marked `security`)."""
