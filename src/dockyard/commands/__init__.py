"""Pure builders of remote commands: they return values, never run anything."""
