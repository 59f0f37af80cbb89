"""Loopback end-to-end harness: a fake Discord that the real discord.py client talks to."""
