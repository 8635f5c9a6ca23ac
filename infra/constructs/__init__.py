"""One construct per runtime component; keyword-only parameters, resources exposed as attributes.

Named `infra.constructs`: always import it by that absolute name. Running `infra/app.py` as a script would put
`infra/` on sys.path and shadow the `constructs` library, so the CDK app is run as `python -m infra.app`.
"""
