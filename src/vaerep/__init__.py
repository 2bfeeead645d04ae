"""vaerep: a reproducible replication pipeline for four bachelor theses on VAEs."""

__version__ = "0.1.0"
