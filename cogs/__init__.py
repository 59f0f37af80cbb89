"""Discord cogs: thin adapters over the services."""
