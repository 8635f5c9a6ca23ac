"""Functions: handlers resolve to real functions, the code asset holds what they import, triggers and logs."""

from __future__ import annotations

import ast
import json
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

from infra.app import source_layout
from infra.settings import StageSettings
from infra.stacks.platform import ARCHIVE_MANIFEST_PREFIX
from monitoring.archive.manifest import MANIFEST_PREFIX
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra
ROOT = Path(__file__).resolve().parents[2]
OURS = ("functions", "monitoring", "hj212")


def _functions(synthesized: Synthesized, stage: str = "dev") -> dict[str, dict[str, Any]]:
    """Our handler functions (the VPC custom resource's function is CDK's, not ours)."""
    return {
        k: p
        for k, p in ((k, r["Properties"]) for k, r in synthesized.resources(stage, "AWS::Lambda::Function").items())
        if p["Handler"].startswith("functions.")
    }


def _code_dir(synthesized: Synthesized, props: dict[str, Any], stage: str = "dev") -> Path:
    """The staged directory of a function's code asset, found through the stack's asset manifest."""
    manifest = json.loads((synthesized.outdir / f"Gongkuang-{stage}.assets.json").read_text(encoding="utf-8"))
    key = props["Code"]["S3Key"]
    (path,) = [
        f["source"]["path"]
        for f in manifest["files"].values()
        if any(d["objectKey"] == key for d in f["destinations"].values())
    ]
    return synthesized.outdir / str(path)


def _module_file(root: Path, module: str) -> Path | None:
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(path: Path, module: str) -> set[str]:
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return found


def _closure(root: Path, module: str) -> tuple[set[str], set[str]]:
    """Our modules reachable from `module` (resolved in `root`) and the third-party top-level names imported."""
    seen: set[str] = set()
    third_party: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = _module_file(root, name)
        if path is None:
            continue  # `from pkg import function` names: not modules
        seen.add(name)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # parent packages run their __init__
        for imported in _imports(path, name):
            top = imported.split(".")[0]
            if top in OURS:
                todo.append(imported)
            elif top and top not in sys.stdlib_module_names and top != "__future__":
                third_party.add(top)
    return seen, third_party


def test_every_handler_path_resolves_to_a_function(synthesized: Synthesized) -> None:
    functions = _functions(synthesized)
    assert functions, "no handler function in the template"
    for props in functions.values():
        module, _, attribute = props["Handler"].rpartition(".")
        path = _module_file(ROOT, module)
        assert path is not None, f"{props['Handler']}: module {module} does not exist"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
        assert attribute in defined, f"{props['Handler']}: no function {attribute} in {path}"


def test_code_asset_contains_every_module_the_handlers_import(synthesized: Synthesized) -> None:
    for props in _functions(synthesized).values():
        asset = _code_dir(synthesized, props)
        module = props["Handler"].rpartition(".")[0]
        in_repo, _ = _closure(ROOT, module)
        in_asset, _ = _closure(asset, module)
        assert module in in_asset, f"{module} is not in the code asset"
        assert in_repo == in_asset, f"missing from the asset: {sorted(in_repo - in_asset)}"
        assert not (asset / ".venv").exists() and not (asset / "tests").exists() and not (asset / "infra").exists()


def test_code_asset_contains_the_data_files_the_runtime_reads(synthesized: Synthesized) -> None:
    # monitoring resolves these next to its package (parents[2] / "data"), i.e. at the asset's root.
    from monitoring.evaluation.config import DEFAULTS_PATH
    from monitoring.profiles.loader import DEFAULT_DIR

    for props in _functions(synthesized).values():
        asset = _code_dir(synthesized, props)
        for wanted in (DEFAULT_DIR, DEFAULTS_PATH):
            relative = wanted.relative_to(ROOT)
            assert (asset / relative).exists(), f"{relative} is missing from the code asset"
        profiles = sorted(p.name for p in DEFAULT_DIR.iterdir())
        assert sorted(p.name for p in (asset / DEFAULT_DIR.relative_to(ROOT)).iterdir()) == profiles


def test_third_party_imports_are_runtime_dependencies_for_the_layer(synthesized: Synthesized) -> None:
    # The layer installs pyproject's runtime dependencies (and what they require); every import must be there.
    declared = {r.split(";")[0].split("==")[0].strip().lower() for r in source_layout().requirements}
    provided: set[str] = set()
    todo = list(declared)
    while todo:
        dist = todo.pop()
        if dist in provided:
            continue
        provided.add(dist)
        for req in metadata.requires(dist) or []:
            parsed = Requirement(req)  # markers count: aiohttp's async-timeout is for Python < 3.11 only
            if parsed.marker is None or parsed.marker.evaluate({"extra": ""}):
                todo.append(parsed.name.lower())
    top_to_dist = metadata.packages_distributions()
    for props in _functions(synthesized).values():
        _, third_party = _closure(ROOT, props["Handler"].rpartition(".")[0])
        for top in third_party:
            dists = {d.lower().replace("_", "-") for d in top_to_dist.get(top, [])}
            assert dists & {p.replace("_", "-") for p in provided}, f"{top} is imported but not a runtime dependency"


def _stream_mapping(synthesized: Synthesized, stage: str = "dev") -> dict[str, Any]:
    """The frame stream's mapping (the other stream mapping is the state table's, for the notify decider)."""
    decode = [
        k for k, p in _functions(synthesized, stage).items() if p["Handler"] == "functions.on_frame_batch.handler"
    ]
    (mapping,) = [
        m
        for m in synthesized.properties(stage, "AWS::Lambda::EventSourceMapping")
        if "StartingPosition" in m
        and "StreamArn" not in json.dumps(m["EventSourceArn"])
        and m["FunctionName"] == {"Ref": decode[0]}
    ]
    return mapping


def test_alarm_changes_reach_the_notify_decider_filtered_to_alarm_items(synthesized: Synthesized) -> None:
    (mapping,) = [
        m
        for m in synthesized.properties("dev", "AWS::Lambda::EventSourceMapping")
        if "StreamArn" in json.dumps(m.get("EventSourceArn", ""))
    ]
    assert mapping["StartingPosition"] == "LATEST" and mapping["BisectBatchOnFunctionError"] is True
    (pattern,) = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
    assert pattern["dynamodb"]["Keys"]["pk"]["S"] == [{"prefix": "alarm#"}]
    assert sorted(pattern["eventName"]) == ["INSERT", "MODIFY"]


def test_decode_reads_the_stream_with_partial_batch_responses(synthesized: Synthesized) -> None:
    s = StageSettings(name="dev")
    mapping = _stream_mapping(synthesized)
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["BatchSize"] == s.decode_batch_size
    assert mapping["MaximumBatchingWindowInSeconds"] == s.decode_batching_window
    queues = synthesized.resources("dev", "AWS::SQS::Queue")
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0] in queues
    decode = synthesized.resources("dev", "AWS::Lambda::Function")[mapping["FunctionName"]["Ref"]]
    assert decode["Properties"]["Handler"] == "functions.on_frame_batch.handler"


def test_decode_lanes_per_shard_and_the_listeners_stream_groups_follow_the_stage(synthesized: Synthesized) -> None:
    from tests.infra.conftest import REUSE_LANES

    for stage, (lanes, groups) in {"dev": (1, 64), "reuse": tuple(REUSE_LANES.values())}.items():
        assert _stream_mapping(synthesized, stage).get("ParallelizationFactor", 1) == lanes
        functions = _functions(synthesized, stage).values()
        (decode,) = [f for f in functions if f["Handler"] == "functions.on_frame_batch.handler"]
        assert decode["Environment"]["Variables"]["DECODE_PARALLELIZATION"] == str(lanes)
        (task,) = synthesized.properties(stage, "AWS::ECS::TaskDefinition")
        env = {e["Name"]: e["Value"] for e in task["ContainerDefinitions"][0]["Environment"]}
        assert env["IOT_INGEST_STREAM_GROUPS"] == str(groups)


def test_decode_retries_a_failing_batch_until_its_records_age_out_never_by_count(synthesized: Synthesized) -> None:
    # Throttling or a store outage raises in decode; a retry count would send the batch away after a few tries.
    s = StageSettings(name="dev")
    mapping = _stream_mapping(synthesized)
    assert mapping.get("MaximumRetryAttempts", -1) == -1
    assert mapping["MaximumRecordAgeInSeconds"] == s.decode_max_record_age_hours * 3600
    (stream,) = synthesized.properties("dev", "AWS::Kinesis::Stream")
    assert stream.get("RetentionPeriodHours", 24) - s.decode_max_record_age_hours >= 4  # time left to redrive


def test_decode_sets_poison_aside_in_the_on_failure_queue_it_may_write(synthesized: Synthesized) -> None:
    mapping = _stream_mapping(synthesized)
    queue = mapping["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
    decode = synthesized.resources("dev", "AWS::Lambda::Function")[mapping["FunctionName"]["Ref"]]["Properties"]
    assert decode["Environment"]["Variables"]["DECODE_DEAD_LETTER_QUEUE_URL"] == {"Ref": queue}
    role = decode["Role"]["Fn::GetAtt"][0]
    sends = [
        statement
        for policy in synthesized.properties("dev", "AWS::IAM::Policy")
        if {"Ref": role} in policy["Roles"]
        for statement in policy["PolicyDocument"]["Statement"]
        if "sqs:SendMessage" in statement["Action"]
    ]
    assert sends and all(st["Resource"] == {"Fn::GetAtt": [queue, "Arn"]} for st in sends)


def test_scheduled_handlers_run_on_their_rates(synthesized: Synthesized) -> None:
    rules = synthesized.properties("dev", "AWS::Events::Rule")
    functions = synthesized.resources("dev", "AWS::Lambda::Function")
    by_handler = {
        functions[r["Targets"][0]["Arn"]["Fn::GetAtt"][0]]["Properties"]["Handler"]: r["ScheduleExpression"]
        for r in rules
    }
    from infra.stacks.platform import RULES_SCHEDULER_HANDLER, SCHEDULED_HANDLERS

    expected = {h: f"rate({m or 5} minute{'s' if (m or 5) > 1 else ''})" for _, h, m in SCHEDULED_HANDLERS}
    # The rules on the minutes of the hour divisible by the stage's cadence (cdk.json: 5), whenever deployed
    assert by_handler == expected | {RULES_SCHEDULER_HANDLER: "cron(0/5 * * * ? *)"}


@pytest.mark.parametrize(("stage", "every", "expression"), [("prod", 5, "cron(0/5 * * * ? *)"),
                                                            ("reuse", 1, "rate(1 minute)")])  # fmt: skip
def test_the_rule_scheduler_runs_on_the_stage_cadence_and_retries_within_a_tick(
    synthesized: Synthesized, stage: str, every: int, expression: str
) -> None:
    from infra.stacks.platform import RULES_SCHEDULER_HANDLER

    functions = synthesized.resources(stage, "AWS::Lambda::Function")
    (rule,) = [
        r
        for r in synthesized.properties(stage, "AWS::Events::Rule")
        if functions[r["Targets"][0]["Arn"]["Fn::GetAtt"][0]]["Properties"]["Handler"] == RULES_SCHEDULER_HANDLER
    ]
    assert rule["ScheduleExpression"] == expression
    # A retried run lands before the next tick and inside SQS FIFO's 5-minute deduplication window: EventBridge's
    # delivery, and Lambda's own retries of a failed run or a throttled event (else 2 retries within 6 hours)
    assert rule["Targets"][0]["RetryPolicy"]["MaximumEventAgeInSeconds"] == min(every, 5) * 60
    scheduler = rule["Targets"][0]["Arn"]["Fn::GetAtt"][0]
    configs = synthesized.properties(stage, "AWS::Lambda::EventInvokeConfig")
    (invoke,) = [p for p in configs if p["FunctionName"] == {"Ref": scheduler}]
    assert invoke["MaximumEventAgeInSeconds"] == min(every, 5) * 60 and invoke["MaximumRetryAttempts"] == 2
    assert invoke["Qualifier"] == "$LATEST"
    # Every function reads the cadence: the scheduler floors its event's time to it, the caches count their re-reads
    assert all(f["Properties"]["Environment"]["Variables"]["RULES_EVERY_MINUTES"] == str(every)
               for f in functions.values() if "Environment" in f["Properties"]
               and "RULES_SHARD_QUEUE_URL" in f["Properties"]["Environment"]["Variables"])  # fmt: skip


def test_functions_carry_powertools_settings_and_bounded_logs(synthesized: Synthesized) -> None:
    s = StageSettings(name="prod")
    for props in _functions(synthesized, "prod").values():
        env = props["Environment"]["Variables"]
        assert env["POWERTOOLS_SERVICE_NAME"] == s.service_name
        assert env["POWERTOOLS_METRICS_NAMESPACE"] == s.metrics_namespace
        assert env["LOG_LEVEL"] == "INFO"
        assert props["Runtime"] == "python3.11" and props["Layers"]
        assert props["Architectures"] == ["arm64"]
        # raw frames only in S3 (no DynamoDB archive items); minute readings expire after the stage's days
        assert env["DECODE_ARCHIVE_ITEMS"] == "false"
        assert env["MINUTE_READING_DAYS"] == str(s.minute_reading_days) == "35"
    groups = synthesized.properties("prod", "AWS::Logs::LogGroup")
    assert groups and all(g["RetentionInDays"] == 365 for g in groups)  # cdk.json prod


def test_function_roles_use_no_managed_policies(synthesized: Synthesized) -> None:
    functions = _functions(synthesized)
    roles = synthesized.resources("dev", "AWS::IAM::Role")
    for props in functions.values():
        role = roles[props["Role"]["Fn::GetAtt"][0]]["Properties"]
        assert "ManagedPolicyArns" not in role


def _table_actions(synthesized: Synthesized, role_id: str) -> dict[str, set[str]]:
    """Table logical id -> DynamoDB actions the role's policies allow on it."""
    tables = set(synthesized.resources("dev", "AWS::DynamoDB::GlobalTable"))
    actions: dict[str, set[str]] = {}
    for policy in synthesized.properties("dev", "AWS::IAM::Policy"):
        if {"Ref": role_id} not in policy["Roles"]:
            continue
        for statement in policy["PolicyDocument"]["Statement"]:
            granted = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            for resource in resources:
                text = json.dumps(resource)
                for table in tables:
                    if f'"{table}"' in text:
                        actions.setdefault(table, set()).update(a for a in granted if a.startswith("dynamodb:"))
    return actions


def test_each_function_is_granted_exactly_its_tables(synthesized: Synthesized) -> None:
    from infra.stacks.platform import FUNCTION_DATA_ACCESS, FUNCTION_KEY_GRANTS

    tables = {
        p["TableName"].removeprefix("gk-dev-"): k
        for k, p in (
            (k, r["Properties"]) for k, r in synthesized.resources("dev", "AWS::DynamoDB::GlobalTable").items()
        )
    }
    functions = synthesized.resources("dev", "AWS::Lambda::Function")
    for key in _functions(synthesized):
        name = next(n for n in FUNCTION_DATA_ACCESS if key.startswith(f"Functions{n}"))
        granted = _table_actions(synthesized, functions[key]["Properties"]["Role"]["Fn::GetAtt"][0])
        access = FUNCTION_DATA_ACCESS[name]
        keyed = tuple(g.table for g in FUNCTION_KEY_GRANTS.get(name, ()))
        assert set(granted) == {tables[t] for t in (*access["read"], *access["read_write"], *keyed)}, name
        for table in access["read"]:
            assert not {
                a
                for a in granted[tables[table]]
                if a.startswith(("dynamodb:Put", "dynamodb:Update", "dynamodb:Delete", "dynamodb:BatchWrite"))
            }, (name, table)
        for table in access["read_write"]:
            assert "dynamodb:PutItem" in granted[tables[table]], (name, table)


def test_the_archive_chain_reaches_only_its_links_on_the_state_table(synthesized: Synthesized) -> None:
    # The chain function's one DynamoDB need: the global chain's links (pk "mchain"); alarms, commands, accounts
    # and audit on the same table stay out of reach.
    (key,) = [k for k in _functions(synthesized) if k.startswith("FunctionsChainArchive")]
    role = synthesized.resources("dev", "AWS::Lambda::Function")[key]["Properties"]["Role"]["Fn::GetAtt"][0]
    statements = [
        st
        for policy in synthesized.properties("dev", "AWS::IAM::Policy")
        if {"Ref": role} in policy["Roles"]
        for st in policy["PolicyDocument"]["Statement"]
        if "dynamodb:" in json.dumps(st["Action"])
    ]
    (statement,) = statements
    assert sorted(statement["Action"]) == ["dynamodb:PutItem", "dynamodb:Query"]
    (resource,) = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
    assert "/index/" not in json.dumps(resource) and "State" in json.dumps(resource)
    keys = statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
    assert (keys if isinstance(keys, list) else [keys]) == ["mchain"]


def test_rules_fan_out_through_a_fifo_shard_queue_to_a_capped_worker(synthesized: Synthesized) -> None:
    from infra.stacks.platform import RULES_SCHEDULER_HANDLER, RULES_WORKER_HANDLER

    s = StageSettings(name="prod")
    functions = synthesized.resources("prod", "AWS::Lambda::Function")
    by_handler = {r["Properties"]["Handler"]: (k, r["Properties"]) for k, r in functions.items()}
    _, scheduler = by_handler[RULES_SCHEDULER_HANDLER]
    worker_id, worker = by_handler[RULES_WORKER_HANDLER]
    assert "functions.every_minute_evaluate_rules.handler" not in by_handler  # no single-county runner in AWS
    assert scheduler["ReservedConcurrentExecutions"] == 1 and scheduler["Timeout"] < 60
    assert worker["Timeout"] == s.rules_timeout < 5 * 60 and "ReservedConcurrentExecutions" not in worker
    (mapping,) = [
        m
        for m in synthesized.properties("prod", "AWS::Lambda::EventSourceMapping")
        if m["FunctionName"] == {"Ref": worker_id}
    ]
    assert mapping["BatchSize"] == 1 and mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["ScalingConfig"]["MaximumConcurrency"] == 200  # cdk.json prod rules_concurrency
    queues = synthesized.resources("prod", "AWS::SQS::Queue")
    queue = queues[mapping["EventSourceArn"]["Fn::GetAtt"][0]]["Properties"]
    assert queue["FifoQueue"] is True and queue["VisibilityTimeout"] == 6 * worker["Timeout"]
    failures = queues[queue["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]]["Properties"]
    assert failures["FifoQueue"] is True and queue["RedrivePolicy"]["maxReceiveCount"] == 3
    # A message is kept long enough to be received its three times (and move to the dead letters) before expiring
    assert queue["MessageRetentionPeriod"] >= 3 * queue["VisibilityTimeout"]
    assert scheduler["Environment"]["Variables"]["RULES_SHARD_QUEUE_URL"] == {
        "Ref": mapping["EventSourceArn"]["Fn::GetAtt"][0]
    }
    alarms = synthesized.properties("prod", "AWS::CloudWatch::Alarm")
    watched = {
        d["Value"]["Fn::GetAtt"][0] for a in alarms for d in a.get("Dimensions", []) if "Fn::GetAtt" in d["Value"]
    }
    assert queue["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0] in watched


def test_only_the_scheduler_may_send_shards_and_it_reads_the_registry_and_notes(synthesized: Synthesized) -> None:
    from infra.stacks.platform import FUNCTION_DATA_ACCESS, RULES_SCHEDULER_HANDLER

    assert FUNCTION_DATA_ACCESS["ScheduleRules"] == {"read": ("registry",), "read_write": ()}  # + decode's notes (keys)
    functions = synthesized.resources("dev", "AWS::Lambda::Function")
    queues = synthesized.resources("dev", "AWS::SQS::Queue")
    shard_queue = next(
        k for k, q in queues.items() if q["Properties"].get("FifoQueue") and "RedrivePolicy" in q["Properties"]
    )
    senders = set()
    for fn in functions.values():
        role = fn["Properties"]["Role"]["Fn::GetAtt"][0]
        for policy in synthesized.properties("dev", "AWS::IAM::Policy"):
            if {"Ref": role} not in policy["Roles"]:
                continue
            for st in policy["PolicyDocument"]["Statement"]:
                acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
                if "sqs:SendMessage" in acts and shard_queue in json.dumps(st["Resource"]):
                    senders.add(fn["Properties"]["Handler"])
    assert senders == {RULES_SCHEDULER_HANDLER}


def test_layer_wheels_are_for_the_function_architecture_and_the_stage_index(synthesized: Synthesized) -> None:
    from infra.constructs.functions import BuildSources, pip_command

    arm = pip_command("/out", ["boto3"], "requirements.lock", BuildSources("arm64", "", "img"))
    assert arm[arm.index("--platform") + 1] == "manylinux2014_aarch64" and "--index-url" not in arm
    mirror = pip_command("/out", ["boto3"], "c.lock", BuildSources("x86_64", "https://pypi.mirror.invalid/simple", "i"))
    assert mirror[mirror.index("--platform") + 1] == "manylinux2014_x86_64"
    assert mirror[mirror.index("--index-url") + 1] == "https://pypi.mirror.invalid/simple"
    # the API's own layer leaves out Chalice's CLI dependencies
    assert "--no-deps" in pip_command("/out", ["chalice"], "c.lock", BuildSources("arm64", "", "i"), no_deps=True)
    assert "--no-deps" not in arm
    # and the layers deployed with the arm64 functions (shared, the API's) are declared for arm64
    for stage in ("dev", "prod"):
        # (the dashboard's BucketDeployment adds CDK's own AWS CLI layer when web/dist is built: not ours)
        layers = [
            layer
            for layer in synthesized.properties(stage, "AWS::Lambda::LayerVersion")
            if layer.get("Description") != "/opt/awscli/aws"
        ]
        assert len(layers) == 2 and all(layer["CompatibleArchitectures"] == ["arm64"] for layer in layers)


def test_delivered_archive_objects_notify_the_chain_function_which_may_write_only_its_manifests(
    synthesized: Synthesized,
) -> None:
    functions = _functions(synthesized)
    (chain,) = [k for k, p in functions.items() if p["Handler"] == "functions.on_archive_object.handler"]
    assert functions[chain]["Architectures"] == ["arm64"]
    buckets = synthesized.resources("dev", "AWS::S3::Bucket")
    (archive,) = [k for k in buckets if k.startswith("StreamArchive")]
    # Every object created under raw/ (not Firehose's errors/) in the archive bucket invokes it
    (notification,) = synthesized.properties("dev", "Custom::S3BucketNotifications")
    assert notification["BucketName"] == {"Ref": archive}
    (config,) = notification["NotificationConfiguration"]["LambdaFunctionConfigurations"]
    assert config["Events"] == ["s3:ObjectCreated:*"]
    assert config["Filter"] == {"Key": {"FilterRules": [{"Name": "prefix", "Value": "raw/"}]}}
    assert config["LambdaFunctionArn"] == {"Fn::GetAtt": [chain, "Arn"]}
    # Its role: get object (versions) under raw/; get, put and list its manifests under manifests/ (no put under
    # raw/, no delete anywhere); encrypt and decrypt through S3 only
    role = functions[chain]["Role"]["Fn::GetAtt"][0]
    policies = [
        p["PolicyDocument"]["Statement"]
        for p in synthesized.properties("dev", "AWS::IAM::Policy")
        if {"Ref": role} in p["Roles"]
    ]
    statements = [s for doc in policies for s in doc]

    def actions(s: dict[str, Any]) -> list[str]:
        return [s["Action"]] if isinstance(s["Action"], str) else list(s["Action"])

    s3_grants = {
        (a, json.dumps(s["Resource"], sort_keys=True), json.dumps(s.get("Condition"), sort_keys=True))
        for s in statements for a in actions(s) if a.startswith("s3:")
    }  # fmt: skip
    arn = {"Fn::GetAtt": [archive, "Arn"]}

    def under(prefix: str) -> str:
        return json.dumps({"Fn::Join": ["", [arn, prefix]]}, sort_keys=True)

    assert ARCHIVE_MANIFEST_PREFIX == MANIFEST_PREFIX == "manifests/"  # where the function writes them
    listing = json.dumps({"StringLike": {"s3:prefix": ["manifests/*"]}}, sort_keys=True)
    assert s3_grants == {
        ("s3:GetObject", under("/raw/*"), "null"),
        ("s3:GetObjectVersion", under("/raw/*"), "null"),
        ("s3:GetObject", under("/manifests/*"), "null"),
        ("s3:PutObject", under("/manifests/*"), "null"),
        ("s3:ListBucket", json.dumps(arn, sort_keys=True), listing),
    }
    (kms_statement,) = [s for s in statements if "kms:Decrypt" in actions(s)]
    assert set(actions(kms_statement)) == {"kms:Decrypt", "kms:GenerateDataKey"}
    assert "kms:ViaService" in kms_statement["Condition"]["StringEquals"]
    # A failed event is retried twice, then kept on its queue
    (invoke_config,) = [
        p
        for p in synthesized.properties("dev", "AWS::Lambda::EventInvokeConfig")
        if p["FunctionName"] == {"Ref": chain}
    ]
    assert invoke_config["MaximumRetryAttempts"] == 2
    assert "OnFailure" in invoke_config["DestinationConfig"]
