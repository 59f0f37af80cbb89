"""Mentoring coach bot for Discord."""
