"""Configuration: app settings and the Event Grid policy."""
