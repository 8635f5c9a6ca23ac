"""AWS adapters of the handlers' ports (the only place in functions, besides _wiring, that uses boto3)."""
