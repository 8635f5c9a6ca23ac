"""Alarms: episodes on data time, the response/dispatch/investigation workflow, time limits and audit."""
