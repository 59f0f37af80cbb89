"""Discord rendering: messages, components and charts."""
