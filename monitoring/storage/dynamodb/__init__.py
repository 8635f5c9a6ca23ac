"""DynamoDB adapter through PynamoDB. Kept import-light: `schema` must load without boto3 or PynamoDB."""
