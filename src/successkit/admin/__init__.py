"""Configuration an administrator sets up: lookups, settings and the status registry."""
