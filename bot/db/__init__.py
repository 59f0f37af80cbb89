"""Storage: models, engine, unit of work and repository functions."""
