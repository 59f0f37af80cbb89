"""Coaching frameworks shipped with the bot, as TOML data files."""
