"""Downlink commands (platform → terminal): queued here, delivered by the listener holding the session."""
