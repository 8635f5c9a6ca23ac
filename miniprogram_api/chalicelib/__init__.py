"""The API's framework (route declaration, errors, tokens, policy, OpenAPI, wiring) and its blueprints."""
