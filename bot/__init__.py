"""Composition root: settings, the server, the CLI, the platform registry and its adapters."""
