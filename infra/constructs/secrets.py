"""A secret the functions read at cold start: a Secrets Manager secret of the stack, or an SSM SecureString the
operator put (infra/secret_parameters.py); its source string for the readers and its least-privilege grant."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

SSM_SOURCE_PREFIX = "ssm:"  # what the readers take for an SSM name (miniprogram_api wiring, functions/adapters)


def parameter_arn(scope: Construct, name: str) -> str:
    """The ARN of the SSM parameter `name` (leading slash or not) in the stack's partition, region and account."""
    return Stack.of(scope).format_arn(service="ssm", resource="parameter", resource_name=name.lstrip("/"))


@dataclass(frozen=True)
class StoredSecret:
    """Exactly one of `secret` (Secrets Manager) and `parameter` (an SSM name) is set."""

    secret: secretsmanager.Secret | None = None
    parameter: str = ""

    @property
    def source(self) -> str:
        """The environment's value: the secret's ARN, or "ssm:<name>"."""
        if self.secret is not None:
            return self.secret.secret_arn
        return SSM_SOURCE_PREFIX + self.parameter

    def grant_read(self, scope: Construct, grantee: iam.IGrantable) -> None:
        """GetSecretValue on the secret, or ssm:GetParameter on that one parameter. Decrypting needs no grant: the
        AWS-managed aws/ssm key's policy allows the account's principals through SSM (kms:ViaService)."""
        if self.secret is not None:
            self.secret.grant_read(grantee)
            return
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=["ssm:GetParameter"], resources=[parameter_arn(scope, self.parameter)])
        )
