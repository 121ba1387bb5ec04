"""Live updates: polling upstreams on subscribers' behalf, one poller per watched object."""
