"""The app's Docker Swarm (x-dockyard/backend: swarm): forming it, its state, its stack."""
