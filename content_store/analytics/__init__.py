"""Analytics queries: programme statistics, digest figures, insight signals and exports."""
