"""Web links: canonical spelling, safe fetching, page metadata, tracked-link codes."""
