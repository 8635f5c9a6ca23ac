"""Read models and edits for people (API, dashboards): enterprise lists and files, series, energy, status, counts."""
