"""A real S3-compatible server on loopback for the object-storage tests: moto's server mode
(``moto_server``, a pip package of the dev extras), started once per test session as its
own process and spoken to over HTTP by boto3, as production speaks to S3. Missing: skipped
locally, a failure in CI (CASEASSURE_REQUIRE_SERVICES=1)."""

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.conftest import service_missing

KEY_ID, SECRET, REGION = "caseassure-test", "caseassure-test-secret", "us-east-1"
STORAGE_NAMES = ("frames", "reports", "imports", "evidence", "packs")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    """The URL of a moto S3 server of this session on 127.0.0.1."""
    command = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    if not Path(command).exists():
        service_missing("moto_server is not installed (pip install 'moto[server]')")
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [command, "-H", "127.0.0.1", "-p", str(port)], stdout=output, stderr=output
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"moto_server did not start:\n{log.read_text()}")
            time.sleep(0.2)
    yield url
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def s3_client(endpoint: str):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        region_name=REGION,
    )


@pytest.fixture
def s3_bucket(s3_endpoint):
    """A new empty bucket for one test."""
    name = f"caseassure-{uuid.uuid4().hex[:12]}"
    s3_client(s3_endpoint).create_bucket(Bucket=name)
    return name


def s3_env(endpoint: str, bucket: str) -> dict:
    """The environment a web or worker process reads its storage settings from."""
    return {
        "FILE_STORAGE": "s3",
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": endpoint,
        "S3_ACCESS_KEY_ID": KEY_ID,
        "S3_SECRET_ACCESS_KEY": SECRET,
        "S3_REGION": REGION,
    }


def use_s3(settings, endpoint: str, bucket: str) -> None:
    """Every named storage of this process in the bucket, with production's options."""
    from backend.file_storage import s3_storages

    settings.STORAGES = {
        **settings.STORAGES,
        **s3_storages(
            STORAGE_NAMES,
            bucket=bucket,
            endpoint_url=endpoint,
            access_key=KEY_ID,
            secret_key=SECRET,
            region=REGION,
        ),
    }


@pytest.fixture
def on_s3(settings, s3_endpoint, s3_bucket):
    """This process's storages in a fresh bucket (its name is the fixture's value)."""
    use_s3(settings, s3_endpoint, s3_bucket)
    return s3_bucket


def objects(endpoint: str, bucket: str, prefix: str = "") -> dict[str, bytes]:
    """Every object in the bucket under ``prefix``: key -> bytes."""
    client = s3_client(endpoint)
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            found[item["Key"]] = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
    return found
