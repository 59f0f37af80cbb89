"""Metrics, health checks and their HTTP endpoint: what an operator sees of a running bot."""
