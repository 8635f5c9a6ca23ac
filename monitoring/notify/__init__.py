"""Notifications (issue 16): who is told what, templates, the outbox, and the sender's retry and failover."""
