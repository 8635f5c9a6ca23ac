"""IAM statements of infra/data_grants.py's key grants: actions on a table or index for partition-key patterns only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam

from infra.data_grants import KeyGrant


def key_grant_statements(
    grants: Sequence[KeyGrant], tables: Mapping[str, dynamodb.ITable]
) -> list[iam.PolicyStatement]:
    """One statement per grant: its actions on the table or index ARN, for its partition-key patterns only."""
    return [
        iam.PolicyStatement(
            sid=g.sid,
            actions=list(g.actions),
            resources=[f"{tables[g.table].table_arn}/index/{g.index}" if g.index else tables[g.table].table_arn],
            conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": list(g.leading_keys)}},
        )
        for g in grants
    ]
