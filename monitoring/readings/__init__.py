"""Readings: electrical quantities per monitoring point, their aggregates and their completeness."""
