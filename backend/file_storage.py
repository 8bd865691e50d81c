"""The named storages on S3-compatible object storage (FILE_STORAGE=s3), through
django-storages: one bucket, one key prefix per storage, private objects, no public URL.

Kept apart from settings.py so the S3 tests build exactly the options production uses.
"""

S3_BACKEND = "storages.backends.s3.S3Storage"


def s3_storages(
    names,
    *,
    bucket: str,
    endpoint_url: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    region: str | None = None,
    prefix: str = "",
    addressing_style: str | None = None,
) -> dict:
    """``STORAGES`` entries for ``names``, each under the key prefix ``{prefix}/{name}``."""
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config

    options = {
        "bucket_name": bucket,
        "endpoint_url": endpoint_url or None,  # None: AWS itself
        "access_key": access_key or None,  # None: the instance's role / boto's own chain
        "secret_key": secret_key or None,
        "region_name": region or "us-east-1",
        "addressing_style": addressing_style or "path",
        "signature_version": "s3v4",
        "default_acl": "private",  # no grant to anyone but the bucket's owner
        "querystring_auth": True,  # a URL, if one were ever built, is signed and short-lived
        "querystring_expire": 60,
        "file_overwrite": True,  # a retried job rewrites its own files under the same names
        "max_memory_size": 2 * 1024 * 1024,  # a read spools to a temporary file past 2 MB
        # One PUT per file (no multipart below 4 GB: the object appears whole or not at all)
        # and one GET, streamed from and to a local file in one thread: memory stays small.
        "transfer_config": TransferConfig(multipart_threshold=4 * 1024**3, use_threads=False),
        # Fail fast when the store is down: a request answers 503, a job is retried later.
        "client_config": Config(
            connect_timeout=5, read_timeout=60, retries={"max_attempts": 3, "mode": "standard"}
        ),
    }
    prefix = prefix.strip("/")
    return {
        name: {
            "BACKEND": S3_BACKEND,
            "OPTIONS": {**options, "location": f"{prefix}/{name}".strip("/")},
        }
        for name in names
    }
