"""The proxy controller: Caddy's admin API over the SSH connection, switch and drain."""
