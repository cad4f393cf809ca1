"""dockyard: zero-downtime deploys to your own servers over SSH, reading Kamal's config."""

__version__ = "0.1.0"
