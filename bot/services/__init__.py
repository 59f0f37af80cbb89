"""Services that join the core, storage and ports."""
