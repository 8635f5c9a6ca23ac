"""The archive bucket as the CDK app makes it, on moto S3: Object Lock (hence versioned), GOVERNANCE for one day."""

from __future__ import annotations

from typing import Any


def create_locked_bucket(s3: Any, bucket: str) -> None:
    """Create `bucket` in the client's region with Object Lock and a one-day default retention."""
    region = s3.meta.region_name
    s3.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region}, ObjectLockEnabledForBucket=True
    )
    s3.put_object_lock_configuration(
        Bucket=bucket,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}},
        },
    )
