"""A synthetic organisation acting through the real handlers, to test the insights."""
