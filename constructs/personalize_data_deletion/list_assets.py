"""Local deletion lists as CDK file assets: one canonical copy per job, named after the job.

``s3_assets.Asset`` would cost a construct, a staging copy, a bucket import and a dozen jsii
round trips per request, and its key (a fingerprint of the file) would have to be written into
every request's properties. Here the list is validated and written once, canonical, into the
cloud assembly as ``asset.<job name>.csv`` and registered with the stack's synthesizer in one
call whose source hash is the job name (prefix, request, and a digest of the dataset group and
the list's SHA-256): with the default synthesizer the object key is ``<job name>.csv``, so a
request carries only ``ContentSha256`` and the handler derives the key from what names the job
(the stack's assets bucket and key prefix are in its environment). One object per job: when one
job ends and its list is removed, no other job's list goes with it, even an identical one. A
synthesizer that names keys otherwise, or a job whose name is only known at deploy time (a
dataset group given as a token), gets the location written into the request.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from aws_cdk import (
    DefaultStackSynthesizer,
    FileAssetPackaging,
    FileAssetSource,
    IStackSynthesizer,
    Stack,
    Stage,
)
from personalize_deletion_runtime.user_list import Limits, canonicalize

from .round_trips import invoke_unread

TOKEN_MARKERS = ("${Token[", "#{Token[")
"""How CDK encodes unresolved tokens in strings: checked in Python, not with a jsii call."""


def is_token(value: str) -> bool:
    return any(marker in value for marker in TOKEN_MARKERS)


@dataclass(frozen=True)
class AssetsLocation:
    """Where the stack's synthesizer puts file assets: bucket, and key prefix before the hash."""

    bucket: str
    key_prefix: str


@dataclass(frozen=True)
class ListAsset:
    """A registered list: its canonical hash, counts, and what the request must say."""

    sha256: str
    bucket: str
    key: str
    derivable: bool
    """Whether the key is ``<stack key prefix><job name>.csv`` in the stack's assets bucket."""
    bucket_identity: str
    """The bucket, comparable across registrations (for granting each bucket once)."""
    user_count: int = 0
    """The distinct ids the canonical list holds (what ``UserCount`` tells a reviewer)."""


class ListAssets:
    """The file assets of one stack's local lists (shared by its deletion constructs)."""

    def __init__(self, stack: Stack) -> None:
        self._stack = stack
        self._synthesizer = stack.synthesizer
        # The default synthesizer names every file asset <bucket prefix><hash><extension>:
        # once the first list showed its prefix, later ones need no location read back.
        self._predictable = type(self._synthesizer) is DefaultStackSynthesizer
        self._outdir: tuple[str, str] | None = None
        self._registered: dict[str, ListAsset] = {}
        self.location: AssetsLocation | None = None
        """Set by the first list registered; the handlers' environment carries it."""
        self._bucket_identity = ""

    def add(
        self,
        parts: Iterable[tuple[str, Iterable[bytes]]],
        limits: Limits,
        display_name: str,
        job_name: Callable[[str], str | None],
    ) -> ListAsset:
        """Validate ``parts``, write the canonical list into the assembly, register it once
        under the name ``job_name`` gives its SHA-256 (``None``: not known at synth).
        ``display_name`` is what ``cdk deploy`` shows while publishing it.

        Raises ``InputValidationError`` (nothing is written then) on the first rule broken.
        """
        asset_dir, stack_dir = self._directories()
        handle, partial = tempfile.mkstemp(prefix="asset.", suffix=".partial", dir=asset_dir)
        try:
            with os.fdopen(handle, "wb") as sink:
                stats = canonicalize(parts, sink.write, limits=limits)
            name = job_name(stats.sha256)
            asset_id = (
                name or hashlib.sha256(f"{display_name}\n{stats.sha256}".encode()).hexdigest()
            )
            staged = os.path.join(asset_dir, f"asset.{asset_id}.csv")
            os.replace(partial, staged)
        except BaseException:
            if os.path.exists(partial):
                os.unlink(partial)
            raise
        known = self._registered.get(asset_id)
        if known is not None:
            return known
        source = FileAssetSource(
            source_hash=asset_id,
            file_name=os.path.relpath(staged, stack_dir),
            packaging=FileAssetPackaging.FILE,
            display_name=display_name,
        )
        if (
            name is not None
            and self._predictable
            and self.location is not None
            and _register(self._synthesizer, source)
        ):
            key = f"{self.location.key_prefix}{name}.csv"
            asset = ListAsset(stats.sha256, self.location.bucket, key, True, self._bucket_identity)
        else:
            location = self._synthesizer.add_file_asset(
                source_hash=source.source_hash,
                file_name=source.file_name,
                packaging=source.packaging,
                display_name=source.display_name,
            )
            asset = self._describe(stats.sha256, name, location.bucket_name, location.object_key)
        asset = dataclasses.replace(asset, user_count=stats.ids_staged)
        self._registered[asset_id] = asset
        return asset

    def _describe(self, sha256: str, name: str | None, bucket: str, key: str) -> ListAsset:
        """Whether the handler can find the list from the job's name, and the stack's location."""
        suffix = f"{name}.csv"
        if name is None or not key.endswith(suffix) or is_token(key):
            return ListAsset(sha256, bucket, key, False, self._identity(bucket))
        prefix = key[: -len(suffix)]
        if self.location is None:
            self.location = AssetsLocation(bucket, prefix)
            self._bucket_identity = self._identity(bucket)
            return ListAsset(sha256, bucket, key, True, self._bucket_identity)
        identity = (
            self._bucket_identity if bucket == self.location.bucket else self._identity(bucket)
        )
        derivable = prefix == self.location.key_prefix and identity == self._bucket_identity
        return ListAsset(sha256, bucket, key, derivable, identity)

    def _identity(self, bucket: str) -> str:
        """A bucket name comparable across calls: an environment-agnostic stack's synthesizer
        returns a new token for the same ``Fn::Sub`` each time (one jsii call, then)."""
        if not is_token(bucket):
            return bucket
        return json.dumps(self._stack.resolve(bucket), sort_keys=True)

    def _directories(self) -> tuple[str, str]:
        """Where assets are written, and the stack's assembly directory (paths are relative)."""
        if self._outdir is None:
            stage = Stage.of(self._stack)
            assert stage is not None, "a stack is always in a stage (the app at least)"
            self._outdir = (stage.asset_outdir, stage.outdir)
        return self._outdir


def _register(synthesizer: IStackSynthesizer, source: FileAssetSource) -> bool:
    """``addFileAsset`` in one round trip, its result left unread: the location it returns is a
    struct, which jsii would read back field by field (six round trips to Node) although the
    default synthesizer's key is known. ``False`` if that cannot be done here (the caller then
    uses the public binding)."""
    return invoke_unread(synthesizer, "addFileAsset", [source])
