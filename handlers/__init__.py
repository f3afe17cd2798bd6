"""Platform-neutral use cases: commands, buttons and jobs, each answering a neutral Reply."""
