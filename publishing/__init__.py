"""Posting for a person through their connected accounts (LinkedIn, Bluesky): the HTTP ports."""
