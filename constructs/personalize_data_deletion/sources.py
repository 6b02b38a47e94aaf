"""Where a deletion list comes from: a local CSV, inline ids, or the user's own S3 bucket.

Whatever the source, the handler reads it at deploy time, validates it with the same rules as
synth time, and stages one canonical copy in the construct's bucket; Personalize only ever reads
that copy. A source therefore only has to say where the bytes are and grant the handler read
access to them.
"""

from __future__ import annotations

import abc
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Annotations, Stack, Token
from aws_cdk import aws_s3 as s3
from personalize_deletion_runtime.list_rules import check_user_id
from personalize_deletion_runtime.request_rules import (
    RequestRuleError,
    check_label,
    check_source_key,
)
from personalize_deletion_runtime.user_list import InputValidationError, Limits

from constructs import Construct

from .acknowledgements import acknowledge_wildcard_resource
from .list_assets import is_token
from .provider import DeletionJobProvider
from .source_policies import SourceRead

JobNamer = Callable[[str], "str | None"]
"""The job's name for a list's SHA-256, or ``None`` when it is only known at deploy time."""


@dataclass(frozen=True)
class _Binding:
    """The keyword arguments of :meth:`UserList.bind`, handed on to a source in one value."""

    request_name: str
    provider: DeletionJobProvider
    limits: Limits
    job_name: JobNamer
    label: str | None


class UserListError(ValueError):
    """A deletion list that fails validation at synth time; names the request and the rule."""


@dataclass(frozen=True)
class BoundSource:
    """What a source contributes to the custom resource: its location (the ``Source``
    property, as CloudFormation strings), and for a local list the canonical SHA-256 and id
    count computed at synth (what a reviewer of ``cdk diff`` needs, and nothing personal). A
    local list whose asset key the handler derives from that hash has no ``Source``."""

    properties: dict[str, str] | None
    content_sha256: str | None = None
    user_count: int | None = None


class UserList(abc.ABC):
    """The users to delete. Build one with the ``from_*`` factories."""

    @staticmethod
    def from_csv(path: str | Path) -> UserList:
        """A local CSV (header ``USER_ID``) shipped as a CDK file asset; validated at synth.

        :param path: the CSV file, relative to the app's working directory or absolute.
        """
        # Checked here, not by pathlib: its message names neither this factory nor the
        # argument (and for None even offers bytes, which it then refuses).
        if not isinstance(path, str | os.PathLike) or not isinstance(os.fspath(path), str):
            raise TypeError(
                f"from_csv path must be a str or pathlib.Path, not {type(path).__name__}"
            )
        return _LocalCsv(Path(path))

    @staticmethod
    def from_ids(ids: Iterable[str]) -> UserList:
        """Inline ids, for small lists and tests.

        The ids are written to a CSV asset at synth time; they never appear in the template.
        A single string is refused: iterating it would delete one user per character. Each
        string must be exactly one valid id by the rules of a CSV line, applied to the whole
        string (so no line break or CR, which would make it several ids or another one, and
        no empty string, which would be skipped): a string that breaks one is refused by its
        position. An id given twice is deleted once, as in a CSV.

        :param ids: the user ids, as strings.
        """
        if isinstance(ids, str | bytes | bytearray) or not isinstance(ids, Iterable):
            raise TypeError(
                f"from_ids ids must be a list (or other iterable) of id strings, not "
                f"{type(ids).__name__}; for one user write from_ids([user_id])"
            )
        values = tuple(ids)
        wrong = sorted({type(value).__name__ for value in values if not isinstance(value, str)})
        if wrong:
            raise TypeError(f"from_ids ids must all be strings; got {', '.join(wrong)}")
        _check_inline_ids(values)
        return _InlineIds(values)

    @staticmethod
    def from_s3(
        bucket: s3.IBucket,
        key: str,
        *,
        version_id: str | None = None,
        revision: str | None = None,
    ) -> UserList:
        """One CSV object in the user's own bucket, read by the handler at deploy time.

        CloudFormation calls the handler only when the request's properties change, so
        replacing the object and deploying again reads nothing. Changing ``version_id`` or
        ``revision`` is a new deployment of the request: a different list starts a new job, the
        same list adopts the job it started before.

        :param bucket: the user's bucket holding the CSV (header ``USER_ID``).
        :param key: the object's key (one object, not a folder).
        :param version_id: the version to read, from a versioned bucket. Default: none (the
            current version).
        :param revision: any label you change along with the object. Default: none.
        """
        _check_s3_location(bucket, key, "from_s3 key")
        if not key or key.endswith("/"):
            raise UserListError(
                f"from_s3 key {key!r} must name one object; use from_s3_prefix for a folder"
            )
        location = {"Key": key}
        if version_id is not None:
            location["VersionId"] = _label(version_id, "from_s3 version_id", 1024)
        if revision is not None:
            location["Revision"] = _label(revision, "from_s3 revision", 128)
        return _S3Source(bucket, location, key, object_pattern=key)

    @staticmethod
    def from_s3_prefix(bucket: s3.IBucket, prefix: str, *, revision: str | None = None) -> UserList:
        """A folder of CSV objects (``.csv`` keys under ``prefix``) in the user's own bucket.

        :param bucket: the user's bucket holding the CSV objects.
        :param prefix: the folder, ending with ``/``.
        :param revision: change it when the folder's objects change, so the next deployment
            reads them again (see :meth:`from_s3`). Default: none.
        """
        _check_s3_location(bucket, prefix, "from_s3_prefix prefix")
        if not prefix.endswith("/"):
            raise UserListError(
                f"from_s3_prefix prefix {prefix!r} must end with '/' (it names a folder)"
            )
        location = {"Prefix": prefix}
        if revision is not None:
            location["Revision"] = _label(revision, "from_s3_prefix revision", 128)
        return _S3Source(bucket, location, prefix, object_pattern=f"{prefix}*")

    def bind(
        self,
        scope: Construct,
        *,
        request_name: str,
        provider: DeletionJobProvider,
        limits: Limits,
        job_name: JobNamer = lambda _sha256: None,
        label: str | None = None,
    ) -> BoundSource:
        """Validate what can be validated now, grant the handler read access, say where to read.

        Called by :class:`DeletionJob`, once per job.

        :param scope: the job the list belongs to.
        :param request_name: the request, named in validation errors.
        :param provider: the stack's provider: its handlers read the list.
        :param limits: what the list may hold (the construct's ``max_input_bytes``).
        :param job_name: the job's name for the list's SHA-256 (``None`` when it is only known
            at deploy time): a local list's asset is named after it. Default: always ``None``.
        :param label: tells this job's list apart from its request's other jobs (a request
            fanned out to several dataset groups): each job gets its own asset object, removed
            when it ends. Default: the request name.
        """
        return self._bind(scope, _Binding(request_name, provider, limits, job_name, label))

    @abc.abstractmethod
    def _bind(self, scope: Construct, binding: _Binding) -> BoundSource:
        """:meth:`bind`, its keyword arguments in one value."""


class _LocalCsv(UserList):
    def __init__(self, path: Path) -> None:
        self.path = path

    def _bind(self, scope: Construct, binding: _Binding) -> BoundSource:
        if not self.path.is_file():
            raise UserListError(
                f"request {binding.request_name!r}: users file {str(self.path)!r} does not exist "
                "or is not a file"
            )
        parts = [(self.path.name, _read_chunks(self.path))]
        return _bind_asset(binding, parts)


class _InlineIds(UserList):
    def __init__(self, ids: tuple[str, ...]) -> None:
        self.ids = ids

    def _bind(self, scope: Construct, binding: _Binding) -> BoundSource:
        raw = ("USER_ID\n" + "".join(f"{user_id}\n" for user_id in self.ids)).encode()
        # Written straight into the cloud assembly: no copy of the ids anywhere else.
        parts: list[tuple[str, Iterable[bytes]]] = [("inline ids", [raw])]
        return _bind_asset(binding, parts)


class _S3Source(UserList):
    def __init__(
        self, bucket: s3.IBucket, location: dict[str, str], shown: str, *, object_pattern: str
    ) -> None:
        self.bucket = bucket
        self.location = location
        self.shown = shown
        self.object_pattern = object_pattern

    def _bind(self, scope: Construct, binding: _Binding) -> BoundSource:
        request_name, provider = binding.request_name, binding.provider
        bucket_name = self.bucket.bucket_name
        objects = self.bucket.arn_for_objects(self.object_pattern)
        # Explicit actions: grant_read would add s3:GetObject*, s3:GetBucket* and s3:List*.
        # Reading a version other than the current one is its own action.
        actions = ["s3:GetObject"]
        resources = {"s3:GetObject": objects}
        if "Prefix" in self.location:
            actions.append("s3:ListBucket")
            resources["s3:ListBucket"] = self.bucket.bucket_arn
            acknowledge_wildcard_resource(
                provider.role,
                objects,
                f"request {request_name!r} reads every CSV object under its source folder.",
            )
        if "VersionId" in self.location:
            actions.append("s3:GetObjectVersion")
            resources["s3:GetObjectVersion"] = objects
        provider.source_reads.grant(
            SourceRead(
                actions=actions,
                resources=resources,
                bucket_name=bucket_name,
                object_pattern=self.object_pattern,
                list_prefix=self.location.get("Prefix"),
            ),
            request_name,
        )
        if self.bucket.encryption_key is not None:
            self.bucket.encryption_key.grant_decrypt(provider.role)
        if isinstance(self.bucket, s3.Bucket) and Stack.of(self.bucket) is Stack.of(scope):
            Annotations.of(scope).add_warning(
                f"request {request_name!r} reads {self.shown!r} from bucket "
                f"{self.bucket.node.path!r}, which this stack creates: it is empty on the first "
                "deployment, so the request fails then (no job starts); upload the list first "
                "to a bucket that exists, or deploy the bucket in an earlier stack"
            )
        pinned = "VersionId" in self.location or "Revision" in self.location
        if not pinned:
            Annotations.of(scope).add_info(
                f"request {request_name!r} reads s3://{bucket_name}/{self.shown} once, "
                "when the request is created: replacing the object(s) later starts nothing until "
                "version_id or revision changes"
            )
        if not isinstance(self.bucket, s3.Bucket):
            Annotations.of(scope).add_info(
                f"request {request_name!r} reads s3://{bucket_name}/{self.shown} from "
                f"an imported bucket: the handler role was granted {', '.join(actions)} on it; "
                "if the bucket is in another account or its policy denies by default, "
                "allow that role in the bucket policy (and kms:Decrypt on its key, if any)"
            )
        return BoundSource({"Bucket": bucket_name, **self.location})


CHUNK_BYTES = 1 << 20


def _check_s3_location(bucket: object, key: str, name: str) -> None:
    """Keys become IAM resources: ``*`` and ``?`` would widen the grant beyond the list."""
    # jsii interfaces are not runtime-checkable protocols: look for what an IBucket offers.
    if not all(hasattr(bucket, attr) for attr in ("bucket_name", "bucket_arn", "arn_for_objects")):
        raise TypeError(
            f"{name.split()[0]} bucket must be an s3.IBucket, not {type(bucket).__name__}"
        )
    if isinstance(key, str) and is_token(key):
        raise UserListError(
            f"{name} must be known at synth, not a CloudFormation token (a parameter, an import, "
            "an attribute): it becomes an IAM resource, which the synth checks for wildcards and "
            "sizes against IAM's limits; pass the key itself"
        )
    try:
        check_source_key(key, name)
    except RequestRuleError as exc:
        raise UserListError(str(exc)) from exc


def _label(value: object, name: str, limit: int) -> str:
    try:
        return check_label(value, name, limit)
    except RequestRuleError as exc:
        raise UserListError(str(exc)) from exc


_INLINE_FIXES = {
    "empty-id": "remove the empty string from the list",
    "encoding": "pass the id as text decoded from its source",
    "forbidden-character": (
        "pass each user id as a string of its own: a line break or CR in a string is most "
        "often several ids, or a line ending, left in it by the code that read them"
    ),
    "surrounding-whitespace": "pass the id without leading or trailing whitespace",
    "id-too-long": "check that the string holds a single user id",
}


def _is_unresolved_token(value: str) -> bool:
    """Whether CDK reads ``value`` as a token, in either string encoding it gives one.

    A string token (``${Token[TOKEN.n]}``) is unresolved as a string. A list token (a
    ``CommaDelimitedList`` parameter's ``value_as_list``, ``Fn.split``, ``Token.as_list``) is,
    in Python, a one-element list holding ``#{Token[TOKEN.n]}``, its elements spread among
    the ids; CDK reads that string as a token only inside a one-element list, so it is asked
    both ways.
    """
    return bool(Token.is_unresolved(value) or Token.is_unresolved([value]))


def _check_inline_ids(ids: tuple[str, ...]) -> None:
    """Each string is one valid id, by the rules a CSV line is checked with.

    The ids become the lines of a CSV, which is read again: a string holding a line break
    would be read as two ids (two users deleted where one was declared), a trailing CR would
    be read as a CRLF ending (another user), and an empty string as a blank line (skipped).
    So each is judged as a value, never as a line; the message names the position, never
    the id (user ids are personal data). An unresolved token is refused too: at synth it is
    only its placeholder text, which passes every CSV rule and would be deleted as if it were
    a user's id, while the user it stands for is never touched.
    """
    for position, user_id in enumerate(ids, start=1):
        # The cheap Python check first: only a string holding a token marker costs a jsii
        # round trip, so a list of a million ids is not a million calls.
        if is_token(user_id) and _is_unresolved_token(user_id):
            raise UserListError(
                f"from_ids: id {position} of {len(ids)}: [token] the id is an unresolved token "
                "(a parameter, an import, an attribute, a list or value CDK or CloudFormation "
                "fills in later); inline ids are written to the list at synth, so the list "
                "would hold its placeholder text, not the user. Fix: pass the id itself, or, "
                "for ids known only at deploy, write them to a CSV object and use from_s3."
            )
        problem = check_user_id(user_id)
        if problem is not None:
            rule, text = problem
            raise UserListError(
                f"from_ids: id {position} of {len(ids)}: [{rule}] {text}. "
                f"Fix: {_INLINE_FIXES[rule]}."
            )


def _read_chunks(path: Path) -> Iterable[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk


def _bind_asset(binding: _Binding, parts: list[tuple[str, Iterable[bytes]]]) -> BoundSource:
    """Validate the list now (a bad list fails the synth, not the deployment), ship it as a
    file asset the handlers may read and remove once its job ended.

    ``ContentSha256`` names the job in later events (an Update, a rollback, a redeploy) even
    after the list is gone from the assets bucket, and, with the default synthesizer, the
    handler finds the asset by the job name it composes from it.
    """
    request_name, provider = binding.request_name, binding.provider
    try:
        display = f"deletion list of request {binding.label or request_name}"
        asset = provider.list_assets.add(parts, binding.limits, display, binding.job_name)
    except InputValidationError as exc:
        raise UserListError(f"request {request_name!r}: {exc}") from exc
    provider.grant_list_assets(asset.bucket, asset.bucket_identity)
    location = (
        None if asset.derivable else {"Bucket": asset.bucket, "Key": asset.key, "Asset": "true"}
    )
    return BoundSource(location, content_sha256=asset.sha256, user_count=asset.user_count)
