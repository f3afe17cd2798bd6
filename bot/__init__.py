"""Composition root: settings, logging, the aiohttp server, the CLI and message catalogs."""
