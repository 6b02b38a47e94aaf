"""Template values resolved the way CloudFormation would, in a simulated account.

Why it matters: a request's ``DatasetGroupArn`` is often a ``GetAtt`` of a dataset group the
same stack creates. Resolved to something that is not an ARN, the handler refuses it and the
rehearsal reports a failure the real deployment would not have. Each supported resource type
gets the ``Ref``/``GetAtt`` values the service documents; anything else is *recorded as
unresolved*, so that where it matters (a request's properties, a handler's environment) the
stack is reported "unsupported" instead of failing or passing on a made-up value.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from personalize_deletion_runtime.request_rules import partition_of as runtime_partition_of

from .assembly import Template
from .errors import Unsupported

_NO_VALUE = object()
"""``AWS::NoValue``: the member or list item is left out."""


def partition_of(region: str) -> tuple[str, str]:
    """``(partition, URL suffix)`` of a region: the partition from the runtime's one table (the
    one the construct and the request files read); the suffix is the China regions' own, else
    the commercial one (the ISO partitions' suffixes are not simulated)."""
    partition = runtime_partition_of(region)
    return partition, "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"


class Resolver:
    """Resolve one template's values; ``parameters`` are what a parent passes to a nested
    stack, ``exports`` the ``Export`` names of stacks deployed before (``Fn::ImportValue``)."""

    def __init__(
        self,
        template: Template,
        *,
        parameters: Mapping[str, Any] | None = None,
        exports: Mapping[str, Any] | None = None,
    ) -> None:
        self.template = template
        self.resources: dict[str, Any] = template.resources
        self.parameters = dict(parameters or {})
        self.exports = exports if exports is not None else {}
        self.nested: dict[str, Resolver] = {}
        """Resolvers of the nested stacks, by their logical id here (``Outputs.X``)."""
        self.unresolved: list[str] = []
        self.partition, self.url_suffix = partition_of(template.region)
        self.account, self.region = template.account, template.region
        self.stack_id = (
            f"arn:{self.partition}:cloudformation:{self.region}:{self.account}:stack/"
            f"{template.name}/{uuid.uuid5(uuid.NAMESPACE_URL, template.name)}"
        )
        self._pseudo: dict[str, Any] = {
            "AWS::AccountId": self.account,
            "AWS::Region": self.region,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": self.url_suffix,
            "AWS::StackName": template.name,
            "AWS::StackId": self.stack_id,
            "AWS::NoValue": _NO_VALUE,
            "AWS::NotificationARNs": [],
        }
        self._intrinsics: dict[str, Callable[[Any], Any]] = {
            "Ref": self.ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self.sub,
            "Fn::Join": self._join,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::If": self._if,
            "Fn::FindInMap": self._find_in_map,
            "Fn::ImportValue": self._import_value,
            "Fn::Base64": lambda arg: base64.b64encode(str(self.resolve(arg)).encode()).decode(),
        }

    # ------------------------------------------------------------------ entry points

    def resolve(self, value: Any) -> Any:
        """A template value with every intrinsic function evaluated (JSON types kept)."""
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, arg),) = value.items()
                if key in self._intrinsics:
                    return self._intrinsics[key](arg)
                if key.startswith("Fn::"):
                    return self._unresolved(f"{key} is not supported by the rehearsal")
            resolved = {k: self.resolve(v) for k, v in value.items()}
            return {k: v for k, v in resolved.items() if v is not _NO_VALUE}
        if isinstance(value, list):
            return [item for item in map(self.resolve, value) if item is not _NO_VALUE]
        return value

    def strict(self, value: Any, what: str) -> Any:
        """Resolve ``value``; :class:`Unsupported` naming ``what`` if any part of it could not
        be resolved faithfully (a made-up value there would decide the verdict)."""
        before = len(self.unresolved)
        resolved = self.resolve(value)
        missing = self.unresolved[before:]
        if missing:
            raise Unsupported(f"{what}: {'; '.join(dict.fromkeys(missing))}")
        return resolved

    def properties(self, logical_id: str) -> dict[str, Any]:
        """A custom resource's properties as CloudFormation delivers them: every leaf a
        string (``true``/``false`` for booleans)."""
        resource = self.resources[logical_id]
        what = f"properties of {self.template.path_of(logical_id)}"
        return _stringified(self.strict(resource.get("Properties", {}), what))

    def condition(self, name: str) -> bool:
        """Whether a named condition holds (resources under a false one are not created)."""
        return bool(self._condition(self.template.body.get("Conditions", {}).get(name)))

    # ---------------------------------------------------------------- Ref and GetAtt

    def ref(self, name: str) -> Any:
        if name in self._pseudo:
            return self._pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        resource = self.resources.get(name)
        if resource is None:
            parameter = self.template.body.get("Parameters", {}).get(name)
            if parameter is not None and "Default" in parameter:
                return parameter["Default"]
            return self._unresolved(f"Ref {name} (no such resource or parameter default)")
        kind = resource.get("Type", "")
        arn = self.arn_of(name)
        if kind in ("AWS::StepFunctions::StateMachine", "AWS::Personalize::DatasetGroup"):
            return arn
        if kind in ("AWS::SNS::Topic", "AWS::CloudFormation::Stack"):
            return arn
        if kind == "AWS::SQS::Queue":
            queue = self.name_of(name, "QueueName", 80)
            return f"https://sqs.{self.region}.{self.url_suffix}/{self.account}/{queue}"
        named = {
            "AWS::S3::Bucket": "BucketName",
            "AWS::IAM::Role": "RoleName",
            "AWS::Lambda::Function": "FunctionName",
            "AWS::Logs::LogGroup": "LogGroupName",
            "AWS::Events::Rule": "Name",
        }
        if kind in named:
            return self.name_of(name, named[kind], 63 if kind == "AWS::S3::Bucket" else 64)
        return self._unresolved(f"Ref of {kind} {name}")

    def arn_of(self, name: str) -> str | None:
        """The ARN of a resource of a supported type; ``None`` for the others."""
        kind = self.resources.get(name, {}).get("Type", "")
        head = f"arn:{self.partition}"
        where = f"{self.region}:{self.account}"
        arns = {
            "AWS::S3::Bucket": lambda: f"{head}:s3:::{self.name_of(name, 'BucketName', 63)}",
            "AWS::IAM::Role": lambda: (
                f"{head}:iam::{self.account}:role/{self.name_of(name, 'RoleName', 64)}"
            ),
            "AWS::Lambda::Function": lambda: (
                f"{head}:lambda:{where}:function:{self.name_of(name, 'FunctionName', 64)}"
            ),
            "AWS::StepFunctions::StateMachine": lambda: (
                f"{head}:states:{where}:stateMachine:{self.name_of(name, 'StateMachineName', 80)}"
            ),
            "AWS::Personalize::DatasetGroup": lambda: (
                f"{head}:personalize:{where}:dataset-group/{self.name_of(name, 'Name', 63)}"
            ),
            "AWS::SNS::Topic": lambda: f"{head}:sns:{where}:{self.name_of(name, 'TopicName', 256)}",
            "AWS::SQS::Queue": lambda: f"{head}:sqs:{where}:{self.name_of(name, 'QueueName', 80)}",
            "AWS::Events::Rule": lambda: (
                f"{head}:events:{where}:rule/{self.name_of(name, 'Name', 64)}"
            ),
            "AWS::Logs::LogGroup": lambda: (
                f"{head}:logs:{where}:log-group:{self.name_of(name, 'LogGroupName', 512)}"
            ),
            "AWS::CloudFormation::Stack": lambda: (
                f"{head}:cloudformation:{where}:stack/{self.template.name}-{name}/"
                f"{uuid.uuid5(uuid.NAMESPACE_URL, self.template.name + name)}"
            ),
        }
        return arns[kind]() if kind in arns else None

    def get_att(self, name: str, attribute: str) -> Any:
        kind = self.resources.get(name, {}).get("Type", "")
        if kind == "AWS::CloudFormation::Stack" and attribute.startswith("Outputs."):
            child = self.nested.get(name)
            output = attribute.removeprefix("Outputs.")
            if child is not None and output in child.template.body.get("Outputs", {}):
                return child.resolve(child.template.body["Outputs"][output]["Value"])
            return self._unresolved(f"GetAtt {name}.{attribute} (nested stack output)")
        values: dict[str, Callable[[], Any]] = {
            "Arn": lambda: self.arn_of(name),
            "DatasetGroupArn": lambda: self.arn_of(name),
            "TopicArn": lambda: self.arn_of(name),
            "Name": lambda: (
                self.ref(name)
                if kind != "AWS::StepFunctions::StateMachine"
                else (self.name_of(name, "StateMachineName", 80))
            ),
            "QueueUrl": lambda: self.ref(name),
            "QueueName": lambda: self.name_of(name, "QueueName", 80),
            "TopicName": lambda: self.name_of(name, "TopicName", 256),
        }
        value = values[attribute]() if attribute in values else None
        if value is None:
            return self._unresolved(f"GetAtt {name}.{attribute} of {kind or 'unknown type'}")
        return value

    def name_of(self, logical_id: str, property_name: str, limit: int) -> str:
        """A resource's physical name: its name property, else one CloudFormation-like
        (``<stack>-<logical id>-<hash>``, lowercase for buckets), unique per stack."""
        resource = self.resources.get(logical_id, {})
        given = resource.get("Properties", {}).get(property_name)
        if given is not None:
            return str(self.resolve(given))
        base = f"{self.template.name}-{logical_id}"
        digest = hashlib.sha256(base.encode()).hexdigest()[:8]
        if resource.get("Type") == "AWS::S3::Bucket":
            base = re.sub(r"[^a-z0-9-]+", "-", base.lower()).strip("-")
        return f"{base[: limit - len(digest) - 1]}-{digest}"

    # --------------------------------------------------------------------- functions

    def sub(self, arg: Any) -> str:
        template, variables = (arg, {}) if isinstance(arg, str) else arg
        variables = {k: self.resolve(v) for k, v in variables.items()}

        def replace(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression.startswith("!"):
                return "${" + expression[1:] + "}"
            if expression in variables:
                return str(variables[expression])
            if "." in expression and expression.split(".", 1)[0] in self.resources:
                return str(self.get_att(*expression.split(".", 1)))
            return str(self.ref(expression))

        return re.sub(r"\$\{([^}]+)\}", replace, template)

    def _get_att(self, arg: Any) -> Any:
        name, attribute = arg if isinstance(arg, list) else str(arg).split(".", 1)
        return self.get_att(name, str(self.resolve(attribute)))

    def _join(self, arg: Any) -> str:
        separator, items = arg
        return str(separator).join(str(item) for item in self.resolve(items))

    def _select(self, arg: Any) -> Any:
        index, items = arg
        return self.resolve(items)[int(self.resolve(index))]

    def _split(self, arg: Any) -> list[str]:
        separator, text = arg
        return str(self.resolve(text)).split(str(separator))

    def _if(self, arg: Any) -> Any:
        name, if_true, if_false = arg
        return self.resolve(if_true if self.condition(name) else if_false)

    def _find_in_map(self, arg: Any) -> Any:
        mapping, top, second = (self.resolve(part) for part in arg)
        try:
            return self.template.body["Mappings"][mapping][top][second]
        except KeyError:
            return self._unresolved(f"Fn::FindInMap {mapping}/{top}/{second}")

    def _import_value(self, arg: Any) -> Any:
        name = str(self.resolve(arg))
        if name in self.exports:
            return self.exports[name]
        return self._unresolved(f"Fn::ImportValue {name} (no stack deployed before exports it)")

    def _condition(self, expression: Any) -> Any:
        if not isinstance(expression, dict) or len(expression) != 1:
            return self.resolve(expression)
        ((key, arg),) = expression.items()
        if key == "Condition":
            return self.condition(arg)
        if key == "Fn::Equals":
            left, right = (self._condition(part) for part in arg)
            return str(left) == str(right)
        if key == "Fn::Not":
            return not self._condition(arg[0])
        if key == "Fn::And":
            return all(self._condition(part) for part in arg)
        if key == "Fn::Or":
            return any(self._condition(part) for part in arg)
        return self.resolve(expression)

    def _unresolved(self, what: str) -> str:
        self.unresolved.append(what)
        return f"<unresolved: {what}>"


def _stringified(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _stringified(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_stringified(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value
