"""The signed-in landing page and the health check."""
