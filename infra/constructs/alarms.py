"""Alarms: CloudWatch alarms to an SNS topic, and (optionally) one dashboard for the whole pipeline.

Covered: decode iterator age, function errors and throttles, DynamoDB throttles, the listener's health (NLB
connections and targets; the instance in service and frames reaching the stream; on the county host its task
running and decode backlog), frames the listener could not acknowledge, dead letters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

ONE_MINUTE = Duration.minutes(1)
UNACKNOWLEDGED_WHY = "the listener could not make frames durable"
FIVE_MINUTES = Duration.minutes(5)


@dataclass(frozen=True)
class ListenerSignal:
    """One alarm on the listener's health, as its compute provides it (NLB metrics, or the instance's group)."""

    name: str
    metric: cw.IMetric
    threshold: float
    periods: int
    why: str
    below: bool = False  # alarm at or below the threshold (a count that must stay up)


class Alarms(Construct):
    """Alarms by name in `alarms`, the `topic` they notify, its `key` and the `dashboard` (None where off)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dashboard_name: str,
        functions: Mapping[str, lambda_.IFunction],
        stream_function: lambda_.IFunction | None,  # None: no frame stream (the county host decodes on the instance)
        iterator_age_threshold: Duration,
        tables: Mapping[str, dynamodb.ITableV2],
        dead_letters: Mapping[str, sqs.IQueue],  # alarm name -> a dead-letter queue that must stay empty
        listener: Sequence[ListenerSignal],
        unacknowledged_frames: cw.IMetric | None,  # None: no listener in this stack (each host group's has its own)
        alarm_email: str,
        dashboard: bool = True,
        per_function: bool = True,
        topic_key: bool = True,
        queued_by_throttle: tuple[str, ...] = (),  # functions whose throttles are their design (see below)
        signals: Sequence[ListenerSignal] = (),  # other conditions, alarmed like the listener's, not on its graph
    ) -> None:
        super().__init__(scope, construct_id)
        # CloudWatch can publish only to a topic under a customer key (the AWS-managed aws/sns key's policy does
        # not admit it), so an encrypted alarm topic costs a key; without one the topic is plain (TLS enforced).
        self.key: kms.Key | None = None
        if topic_key:
            self.key = kms.Key(self, "TopicKey", enable_key_rotation=True, description="alarm topic")
            self.key.grant_encrypt_decrypt(iam.ServicePrincipal("cloudwatch.amazonaws.com"))
        self.topic = sns.Topic(self, "Topic", master_key=self.key, enforce_ssl=True)
        if alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        self.alarms: dict[str, cw.Alarm] = {}

        iterator_age: cw.IMetric | None = None
        if stream_function is not None:
            iterator_age = stream_function.metric("IteratorAge", statistic="Maximum", period=ONE_MINUTE)
            self._alarm(
                "DecodeIteratorAge",
                iterator_age,
                threshold=iterator_age_threshold.to_milliseconds(),
                periods=3,
                why="decode is falling behind the frame stream",
            )
        if per_function:
            for name, fn in functions.items():
                self._alarm(
                    f"{name}Errors", fn.metric_errors(period=FIVE_MINUTES), threshold=1, periods=1, why=f"{name} failed"
                )
                if name in queued_by_throttle:
                    # Reserved concurrency 1 queues an asynchronous invoke that arrives while it runs (throttled,
                    # retried): the alarm is on invokes Lambda dropped after their maximum age instead.
                    self._alarm(
                        f"{name}DroppedEvents",
                        fn.metric("AsyncEventsDropped", statistic="Sum", period=FIVE_MINUTES),
                        threshold=1,
                        periods=1,
                        why=f"{name}: asynchronous invokes dropped unrun (it falls behind)",
                    )
                    continue
                self._alarm(
                    f"{name}Throttles",
                    fn.metric_throttles(period=FIVE_MINUTES),
                    threshold=1,
                    periods=1,
                    why=f"{name} throttled",
                )
        else:
            # Two alarm metrics instead of two per function: the account's Lambda totals (no dimension). The alarm
            # does not name the function; its per-function metrics (free) and logs do. Assumes an account of its own.
            self._alarm(
                "FunctionErrors",
                lambda_.Function.metric_all_errors(period=FIVE_MINUTES, statistic="Sum"),
                threshold=1,
                periods=1,
                why="a function of this account failed (see each function's Errors metric)",
            )
            throttles: cw.IMetric = lambda_.Function.metric_all_throttles(period=FIVE_MINUTES, statistic="Sum")
            if queued_by_throttle:  # their throttles queue invokes by design: not counted (one metric each)
                queued = {f"q{i}": functions[n].metric_throttles(period=FIVE_MINUTES)
                          for i, n in enumerate(queued_by_throttle)}  # fmt: skip
                throttles = cw.MathExpression(
                    expression=" - ".join(["total", *queued]),
                    using_metrics={"total": throttles, **queued},
                    label="throttles of the account's functions but the queued ones",
                    period=FIVE_MINUTES,
                )
            self._alarm(
                "FunctionThrottles",
                throttles,
                threshold=1,
                periods=1,
                why="a function of this account was throttled (see each function's Throttles metric)",
            )
        table_throttles: list[cw.IMetric] = []
        for i, (name, table) in enumerate(tables.items()):
            # Ids must be unique across one graph, which shows every table.
            throttles = cw.MathExpression(
                expression=f"r{i} + w{i}",
                using_metrics={
                    f"r{i}": table.metric("ReadThrottleEvents", statistic="Sum", period=FIVE_MINUTES),
                    f"w{i}": table.metric("WriteThrottleEvents", statistic="Sum", period=FIVE_MINUTES),
                },
                label=f"{name} throttled requests",
                period=FIVE_MINUTES,
            )
            table_throttles.append(throttles)
            self._alarm(
                f"Table{name.capitalize()}Throttles", throttles, threshold=1, periods=1, why=f"{name} throttled"
            )
        why_dead = {
            "DeadLetters": "frame batches decode gave up on are waiting in the dead-letter queue",
            "RuleShardDeadLetters": "rule shards failed three times: their enterprises were not evaluated",
            "ArchiveDeadLetters": "frame batches the archive writer gave up on: redrive them while the stream has them",
        }
        for name, queue in dead_letters.items():
            self._alarm(
                name,
                queue.metric_approximate_number_of_messages_visible(period=ONE_MINUTE, statistic="Maximum"),
                threshold=1,
                periods=1,
                why=why_dead.get(name, f"messages are waiting in {name}"),
            )
        if unacknowledged_frames is not None:
            self._alarm(
                "UnacknowledgedFrames",
                unacknowledged_frames,
                threshold=1,
                periods=1,
                why=UNACKNOWLEDGED_WHY,
            )
        for signal in (*listener, *signals):
            self.alarms[signal.name] = signal_alarm(self, signal, self.topic)

        self.dashboard: cw.Dashboard | None = None
        if dashboard:
            self.dashboard = self._dashboard(
                dashboard_name,
                functions,
                iterator_age,
                table_throttles,
                dead_letters,
                listener,
                unacknowledged_frames,
            )

    def _dashboard(
        self,
        dashboard_name: str,
        functions: Mapping[str, lambda_.IFunction],
        iterator_age: cw.IMetric | None,
        table_throttles: list[cw.IMetric],
        dead_letters: Mapping[str, sqs.IQueue],
        listener: Sequence[ListenerSignal],
        unacknowledged_frames: cw.IMetric | None,
    ) -> cw.Dashboard:
        board = cw.Dashboard(self, "Dashboard", dashboard_name=dashboard_name)
        board.add_widgets(
            cw.GraphWidget(
                title="Listener",
                left=[signal.metric for signal in listener[:1]],
                right=[signal.metric for signal in listener[1:]],
                width=12,
            ),
            cw.GraphWidget(
                title="Unacknowledged frames", left=[unacknowledged_frames] if unacknowledged_frames else [], width=12
            ),
        )
        board.add_widgets(
            cw.GraphWidget(title="Decode iterator age (ms)", left=[iterator_age] if iterator_age else [], width=12),
            cw.GraphWidget(
                title="Dead letters",
                left=[
                    q.metric_approximate_number_of_messages_visible(period=ONE_MINUTE) for q in dead_letters.values()
                ],
                width=12,
            ),
        )
        board.add_widgets(
            cw.GraphWidget(
                title="Function errors",
                left=[fn.metric_errors(period=FIVE_MINUTES) for fn in functions.values()],
                width=8,
            ),
            cw.GraphWidget(
                title="Function throttles",
                left=[fn.metric_throttles(period=FIVE_MINUTES) for fn in functions.values()],
                width=8,
            ),
            cw.GraphWidget(title="DynamoDB throttles", left=table_throttles, width=8),
        )
        board.add_widgets(cw.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms.values()), width=24))
        return board

    def _alarm(
        self,
        name: str,
        metric: cw.IMetric,
        *,
        threshold: float,
        periods: int,
        why: str,
        comparison: cw.ComparisonOperator = cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        missing: cw.TreatMissingData = cw.TreatMissingData.NOT_BREACHING,
    ) -> None:
        self.alarms[name] = topic_alarm(self, name, metric, self.topic, threshold, periods, why, comparison, missing)


def topic_alarm(
    scope: Construct,
    name: str,
    metric: cw.IMetric,
    topic: sns.ITopic,
    threshold: float,
    periods: int,
    why: str,
    comparison: cw.ComparisonOperator = cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    missing: cw.TreatMissingData = cw.TreatMissingData.NOT_BREACHING,
) -> cw.Alarm:
    """An alarm that notifies `topic` when it fires and when it returns to OK."""
    alarm = cw.Alarm(
        scope,
        name,
        metric=metric,
        threshold=threshold,
        evaluation_periods=periods,
        comparison_operator=comparison,
        treat_missing_data=missing,
        alarm_description=why,
    )
    alarm.add_alarm_action(actions.SnsAction(topic))
    alarm.add_ok_action(actions.SnsAction(topic))
    return alarm


def signal_alarm(scope: Construct, signal: ListenerSignal, topic: sns.ITopic) -> cw.Alarm:
    """A listener signal's alarm; a count that must stay up alarms on missing data (nothing reported) as on zero."""
    below = cw.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD
    return topic_alarm(
        scope,
        signal.name,
        signal.metric,
        topic,
        signal.threshold,
        signal.periods,
        signal.why,
        comparison=below if signal.below else cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        missing=cw.TreatMissingData.BREACHING if signal.below else cw.TreatMissingData.NOT_BREACHING,
    )
