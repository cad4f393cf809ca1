"""What a deploy will do, computed from the config before any server is touched (pure)."""
