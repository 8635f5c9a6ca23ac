"""The AWS CDK app of the serverless deployment: one construct per component, one stack that composes them.

Imports aws_cdk, constructs, cdk_nag and `monitoring.storage.dynamodb.schema` only (STYLE.md §7.2).
"""
