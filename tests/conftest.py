"""Suite-wide pytest set-up."""

pytest_plugins = ["tests.fixtures_db"]
