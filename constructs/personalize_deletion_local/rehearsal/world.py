"""The simulated AWS a rehearsal deploys into: moto's servers and the Personalize double.

One moto server (S3, Step Functions, EventBridge, SQS) for the whole app, and one Personalize
double per account and region, so that stacks deployed one after the other see each other's
resources as they would in one account. Each stack's calls run with that stack's account
(``MOTO_ACCOUNT_ID``, read by moto on every request), region and endpoints in the environment.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import RehearsalError

RUNTIME_PACKAGE = "personalize_deletion_runtime"


@dataclass(frozen=True)
class Seed:
    """``--s3-seed bucket/key=path``: a file, or a folder whose files go under ``key/``."""

    bucket: str
    key: str
    path: Path

    @classmethod
    def parse(cls, text: str, base: Path) -> Seed:
        """``bucket/key=path``; a relative path is relative to ``base``."""
        target, separator, path = text.partition("=")
        bucket, _, key = target.partition("/")
        if not separator or not bucket or not path:
            raise RehearsalError(
                f"--s3-seed {text!r}: write bucket/key=path (e.g. "
                "my-exports/deletions/2026-11.csv=exports/2026-11.csv, or a folder as path)"
            )
        resolved = (base / path).resolve()
        if not resolved.exists():
            raise RehearsalError(f"--s3-seed {text!r}: {resolved} does not exist")
        return cls(bucket, key.strip("/"), resolved)

    def objects(self) -> Iterator[tuple[str, Path]]:
        """``(key, file)`` for each object to put."""
        if self.path.is_file():
            yield self.key or self.path.name, self.path
            return
        for file in sorted(p for p in self.path.rglob("*") if p.is_file()):
            relative = file.relative_to(self.path).as_posix()
            yield (f"{self.key}/{relative}" if self.key else relative), file


class SimClock:
    """Simulated wall time shared by the handlers and one Personalize double."""

    def __init__(self, double: Any) -> None:
        self._double = double

    def __call__(self) -> float:
        return float(self._double.now)

    @property
    def now(self) -> float:
        return float(self._double.now)

    def advance(self, seconds: float) -> None:
        self._double.advance(seconds)


class World:
    """Local stand-ins for one rehearsal; :meth:`close` stops them."""

    def __init__(self, scenario: str, seeds: tuple[Seed, ...] = ()) -> None:
        from moto.server import ThreadedMotoServer

        _quiet_logs()
        self.scenario = scenario
        self.seeds = seeds
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        self.moto_url = f"http://{host}:{port}"
        self._doubles: dict[tuple[str, str], Any] = {}
        self._seeded: set[str] = set()

    def close(self) -> None:
        for double in self._doubles.values():
            double.close()
        self._moto.stop()

    def double(self, account: str, region: str) -> Any:
        """The Personalize double of an account and region (started on first use)."""
        from ..personalize_double import PersonalizeDouble

        key = (account, region)
        if key not in self._doubles:
            double = PersonalizeDouble.from_scenario(
                self.scenario, account_id=account, region=region, seconds_per_describe=0.0
            )
            self._doubles[key] = double.start()
        return self._doubles[key]

    @contextlib.contextmanager
    def environment(self, account: str, region: str) -> Iterator[None]:
        """Run with this account's and region's endpoints and dummy credentials."""
        double = self.double(account, region)
        values: dict[str, str | None] = {
            "AWS_PROFILE": None,
            "AWS_ENDPOINT_URL": None,
            "AWS_ENDPOINT_URL_S3": self.moto_url,
            "AWS_ENDPOINT_URL_PERSONALIZE": double.endpoint_url,
            "AWS_ENDPOINT_URL_SFN": self.moto_url,
            "AWS_ENDPOINT_URL_EVENTBRIDGE": self.moto_url,
            "AWS_ENDPOINT_URL_SQS": self.moto_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "MOTO_ACCOUNT_ID": account,
        }
        with patched_environ(values):
            if account not in self._seeded:
                self._seeded.add(account)
                self._seed(region)
            yield

    def _seed(self, region: str) -> None:
        import boto3

        s3 = boto3.client("s3")
        for seed in self.seeds:
            ensure_bucket(s3, seed.bucket, region)
            for key, file in seed.objects():
                s3.upload_file(str(file), seed.bucket, key)


def ensure_bucket(s3: Any, name: str, region: str) -> None:
    """Create a bucket in moto unless it exists."""
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        if region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})


@contextlib.contextmanager
def patched_environ(values: Mapping[str, str | None]) -> Iterator[None]:
    """Set (or, for ``None``, unset) environment variables for the duration."""
    saved = {key: os.environ.get(key) for key in values}
    _apply(values)
    try:
        yield
    finally:
        _apply(saved)


def _apply(values: Mapping[str, str | None]) -> None:
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _quiet_logs() -> None:
    """moto's request log, and the handlers' own JSON log lines (Lambda's), would interleave
    with the rehearsal's account of the same events; it reports what matters itself."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    runtime_logger = logging.getLogger(RUNTIME_PACKAGE)
    runtime_logger.addHandler(logging.NullHandler())
    runtime_logger.propagate = False


Out = Callable[[str], None]
