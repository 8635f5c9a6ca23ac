"""The stage's three secrets as SSM SecureString parameters (`secrets_store = "ssm"`): their names, and
`python -m infra.secret_parameters <stage>`, which puts the missing ones before the first deploy.

CloudFormation cannot create a SecureString, so the stack only reads them (docs/deploy.md "Secrets in SSM").
"""

from __future__ import annotations

import argparse
import secrets
import sys
from dataclasses import dataclass
from typing import Any

from infra.settings import StageSettings

TOKEN_KEY_CHARS = 64  # the same length the Secrets Manager secret is generated with
# Placeholders the readers accept: no channel configured yet; a WeChat secret that WeChat will refuse.
CHANNELS_PLACEHOLDER = "{}"
WECHAT_PLACEHOLDER = "set-me: aws ssm put-parameter --overwrite --type SecureString"


@dataclass(frozen=True, slots=True)
class SecretParameters:
    """SSM names (with the leading slash) of the API's token key, the WeChat AppSecret, the notify channels."""

    token_key: str
    wechat_secret: str
    notify_channels: str

    def all(self) -> tuple[str, str, str]:
        return self.token_key, self.wechat_secret, self.notify_channels


def parameter_names(settings: StageSettings) -> SecretParameters:
    """`/<service>/<stage>/...`; the WeChat secret keeps `api_wechat_secret_parameter` when a stage names one."""
    base = f"/{settings.service_name}/{settings.name}"
    return SecretParameters(
        token_key=f"{base}/api-token-key",
        wechat_secret=settings.api_wechat_secret_parameter or f"{base}/wechat-secret",
        notify_channels=f"{base}/notify-channels",
    )


def first_values(names: SecretParameters) -> dict[str, str]:
    """What each parameter starts as: a generated token key, placeholders for what the operator stores later."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    token = "".join(secrets.choice(alphabet) for _ in range(TOKEN_KEY_CHARS))
    return {
        names.token_key: token,
        names.wechat_secret: WECHAT_PLACEHOLDER,
        names.notify_channels: CHANNELS_PLACEHOLDER,
    }


def put_missing(client: Any, names: SecretParameters) -> dict[str, str]:
    """Create each parameter that does not exist (standard tier, the account's aws/ssm key); never overwrite one.
    Returns name -> "created" or "kept"; values are never printed or returned."""
    done: dict[str, str] = {}
    for name, value in first_values(names).items():
        try:
            client.put_parameter(Name=name, Value=value, Type="SecureString", Tier="Standard", Overwrite=False)
            done[name] = "created"
        except client.exceptions.ParameterAlreadyExists:
            done[name] = "kept"
    return done


def main(argv: list[str] | None = None) -> int:
    from infra.app import file_context
    from infra.settings import load_stages

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("stage", help="a stage of infra/cdk.json with secrets_store = ssm")
    ap.add_argument("--region", default=None, help="default: the AWS CLI's region (AWS_REGION, the profile)")
    ap.add_argument("--endpoint-url", default=None, help="an SSM endpoint other than the region's (tests)")
    args = ap.parse_args(argv)
    stages = {s.name: s for s in load_stages(file_context())}
    settings = stages.get(args.stage)
    if settings is None:
        print(f"no stage {args.stage!r}; stages: {', '.join(sorted(stages))}", file=sys.stderr)
        return 2
    if settings.secrets_store != "ssm":
        print(f"stage {args.stage!r} keeps its secrets in Secrets Manager (the stack creates them)", file=sys.stderr)
        return 2
    import boto3

    client = boto3.client("ssm", region_name=args.region, endpoint_url=args.endpoint_url)
    for name, what in put_missing(client, parameter_names(settings)).items():
        print(f"{what:<8} {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
