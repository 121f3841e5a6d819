#!/usr/bin/env python3
"""Writes shared/core/src/iam/authorization.json: for every operation of botocore's `iot`,
`iot-data`, `iot-jobs-data`, `iam` and `sts` models, the IAM action it is authorized as and the
resource ARN templates it is checked on, as AWS's Service Authorization Reference lists them
(prefix `iot` for the control and data planes, `iotjobsdata` for the Jobs data plane, `iam`,
`sts`). REST operations keep the model's method and requestUri, which is how a request is
matched to its row. Templates name `{partition}`, `{region}`, `{account}` and the operation's
members (URI labels, query strings, JSON body or form members).

    python3 scripts/authorization-table.py [path/to/botocore/data]
"""
import gzip
import json
import os
import sys

import botocore

DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(botocore.__file__), "data")
OUT = os.path.join(os.path.dirname(__file__), "..", "shared", "core", "src", "iam", "authorization.json")

IOT = "arn:{partition}:iot:{region}:{account}:"
IAM = "arn:{partition}:iam::{account}:"

# The first URI label that names an IoT resource decides the resource type (SAR: "Resource
# types defined by AWS IoT").
IOT_LABELS = {
    "thingName": "thing", "thingGroupName": "thinggroup", "thingTypeName": "thingtype",
    "policyName": "policy", "certificateId": "cert", "caCertificateId": "cacert",
    "ruleName": "rule", "jobId": "job", "jobTemplateId": "jobtemplate",
    "authorizerName": "authorizer", "roleAlias": "rolealias", "billingGroupName": "billinggroup",
    "streamId": "stream", "otaUpdateId": "otaupdate", "securityProfileName": "securityprofile",
    "scheduledAuditName": "scheduledaudit", "domainConfigurationName": "domainconfiguration",
    "templateName": "provisioningtemplate", "actionName": "mitigationaction",
    "packageName": "package", "clientId": "client", "topic": "topic",
}
IOT_PATH_LABELS = {("custom-metric", "metricName"): "custommetric",
                   ("fleet-metric", "metricName"): "fleetmetric",
                   ("dimensions", "name"): "dimension"}

# Where the reference names other resources than the first label says.
IOT_OVERRIDES = {
    "AddThingToThingGroup": ["thinggroup/{thingGroupName}", "thing/{thingName}"],
    "RemoveThingFromThingGroup": ["thinggroup/{thingGroupName}", "thing/{thingName}"],
    "UpdateThingGroupsForThing": ["thing/{thingName}"],
    "DescribeJobExecution": ["thing/{thingName}"],
    "CancelJobExecution": ["job/{jobId}", "thing/{thingName}"],
    "DeleteJobExecution": ["job/{jobId}", "thing/{thingName}"],
    "ListJobExecutionsForThing": ["thing/{thingName}"],
    "ListJobExecutionsForJob": ["job/{jobId}"],
    "ListPrincipalThings": ["*"],
    "ListAttachedPolicies": ["*"],
    "ListTargetsForPolicy": ["policy/{policyName}"],
    "AttachPolicy": ["policy/{policyName}"],
    "DetachPolicy": ["policy/{policyName}"],
    "CreateKeysAndCertificate": ["*"],
    "CreateCertificateFromCsr": ["*"],
    "RegisterCertificate": ["*"],
    "RegisterCertificateWithoutCA": ["*"],
    "RegisterCACertificate": ["*"],
    "DescribeEndpoint": ["*"],
    "CreateJob": ["job/{jobId}"],
    "GetTopicRuleDestination": ["*"],
    "DeleteTopicRuleDestination": ["*"],
    "ConfirmTopicRuleDestination": ["*"],
    "UpdateTopicRuleDestination": ["*"],
    "CreateTopicRuleDestination": ["*"],
}


def load(service):
    root = os.path.join(DATA, service)
    version = sorted(os.listdir(root))[-1]
    for name in ("service-2.json.gz", "service-2.json"):
        path = os.path.join(root, version, name)
        if os.path.exists(path):
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "rt") as f:
                return json.load(f)
    raise SystemExit(f"no model for {service} under {root}")


def labels(uri):
    path = uri.split("?")[0]
    out = []
    segments = path.strip("/").split("/")
    for i, seg in enumerate(segments):
        if seg.startswith("{"):
            out.append((segments[i - 1] if i else "", seg.strip("{}+")))
    return out


def iot_resources(op, uri):
    if op in IOT_OVERRIDES:
        resources = IOT_OVERRIDES[op]
    else:
        resources = ["*"]
        for before, label in labels(uri):
            kind = IOT_PATH_LABELS.get((before, label)) or IOT_LABELS.get(label)
            if kind:
                resources = [f"{kind}/{{{label}}}"]
                break
    return [r if r == "*" else IOT + r for r in resources]


def rest_rows(service, prefix, resources_of):
    model = load(service)
    rows = []
    for name, op in sorted(model["operations"].items()):
        http = op["http"]
        rows.append({
            "operation": name,
            "http": f"{http['method']} {http['requestUri']}",
            "action": f"{prefix}:{name}",
            "resources": resources_of(name, http["requestUri"]),
        })
    return rows


def iam_resources(name, members):
    if name == "CreatePolicy":
        return [IAM + "policy/{PolicyName}"]
    order = ["UserName", "RoleName", "GroupName", "PolicyArn", "InstanceProfileName"]
    for word, member in (("Group", "GroupName"), ("Role", "RoleName"), ("InstanceProfile", "InstanceProfileName")):
        if word in name and member in members:
            order.remove(member)
            order.insert(0, member)
    templates = {
        "UserName": IAM + "user/{UserName}", "RoleName": IAM + "role/{RoleName}",
        "GroupName": IAM + "group/{GroupName}", "PolicyArn": "{PolicyArn}",
        "InstanceProfileName": IAM + "instance-profile/{InstanceProfileName}",
    }
    for member in order:
        if member in members:
            return [templates[member]]
    return ["*"]


def query_rows(service, resources_of, checks):
    model = load(service)
    rows = []
    for name, op in sorted(model["operations"].items()):
        shape = op.get("input", {}).get("shape")
        members = model["shapes"][shape]["members"] if shape else {}
        row = {"operation": name, "action": f"{service}:{name}", "resources": resources_of(name, members)}
        if name in checks:
            row["check"] = checks[name]
        rows.append(row)
    return rows


def sts_resources(name, members):
    return ["{RoleArn}"] if "RoleArn" in members else ["*"]


table = {
    "iot": rest_rows("iot", "iot", iot_resources),
    "iot-data": rest_rows("iot-data", "iot", iot_resources),
    "iot-jobs-data": rest_rows(
        "iot-jobs-data", "iotjobsdata",
        lambda op, uri: ["*"] if op == "StartCommandExecution" else [IOT + "thing/{thingName}"]),
    "iam": query_rows("iam", iam_resources, {}),
    "sts": query_rows("sts", sts_resources, {
        # No permission is needed for these (STS API reference).
        "GetCallerIdentity": "none", "GetSessionToken": "none",
        "AssumeRoleWithWebIdentity": "none", "AssumeRoleWithSAML": "none",
        # The trust policy, and the caller's policies where it names only the account, are
        # checked by AssumeRole itself.
        "AssumeRole": "service",
    }),
}
# thingcore's data plane takes a topic's slashes as they come (`/topics/a/b`), as AWS does.
for row in table["iot-data"]:
    row["http"] = row["http"].replace("{topic}", "{topic+}")
for row in table["iot-jobs-data"]:
    if row["operation"] == "StartCommandExecution":
        row["action"] = "iot:StartCommandExecution"

with open(OUT, "w") as f:
    f.write("{\n")
    services = list(table.items())
    for i, (service, rows) in enumerate(services):
        f.write(f'"{service}": [\n')
        f.write(",\n".join(json.dumps(row) for row in rows))
        f.write("\n]" + ("," if i + 1 < len(services) else "") + "\n")
    f.write("}\n")
print(OUT, {s: len(r) for s, r in table.items()})
