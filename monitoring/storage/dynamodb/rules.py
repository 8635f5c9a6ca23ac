"""DynamoDB primitives of the rule-state, alarm, audit, report and emergency repositories, on the `state` table.

More: docs/dynamodb.md, "Module notes".
"""

from __future__ import annotations

import heapq
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, TypeVar

from pynamodb.connection import Connection as PynamoConnection
from pynamodb.exceptions import DoesNotExist
from pynamodb.transactions import TransactWrite

from monitoring.alarms.listing import AlarmQuery, Position, in_list_order, list_key, position
from monitoring.alarms.models import FINAL_STATES, Alarm, AuditEntry
from monitoring.emergency.models import EmergencyAlert, EnterpriseMeasures, HaltOrder
from monitoring.reports.models import FaultReport, StoppageRequest
from monitoring.storage import rules_codec as codec
from monitoring.storage.base import (
    AlarmFilter,
    AlarmRepositoryBase,
    EmergencyRepositoryBase,
    ReportPosition,
    ReportRepositoryBase,
    RuleStateRepositoryBase,
    report_position,
)
from monitoring.storage.dynamodb._client import time_key, translate
from monitoring.storage.dynamodb.list_counties import ListCounties, Place
from monitoring.storage.dynamodb.models import StateItem

T = TypeVar("T")
_RULE_STATE = "rs"
# The listener tasks' put notes (monitoring/rules/put_notes.py) in a partition of their own, so that the listener's
# task role can write them and no other rule state (IAM narrows by partition key only). A prefix shorter than
# "put:" (or "") reads the `rs` partition only.
_PUT_NOTES, _PUT_PREFIX = "rsput", "put:"
_LAST = "\U0010ffff"  # sorts after every character DynamoDB can store (it compares UTF-8 bytes)
# Up to this many enterprises, a list reads each one's alarms (gsi1) and sorts them; beyond, it walks the
# county's list index (gsi3, "alarmq#<county>") in order and skips other enterprises' alarms.
_PER_ENTERPRISE_MAX = 20
# With a branch or town named, its own index (one partition) unless the enterprises are this few.
_PER_ENTERPRISE_WITH_PLACE = 3
_OPEN_BELOW = "2"  # list keys of open alarms sort below this (listing.list_key)
# Items per request of a list walk: a page of 50 then reads ~100 alarms, not a whole 1 MB response (≈ 128 units).
_WALK_PAGE = 100
# One change mark per county for the documents people write that every rule tick reads (fault reports, stoppage
# requests, emergency alerts, measures and halt orders): bumped after each write, read once per shard tick.
_CHANGES, _ANY_COUNTY = "chg#", "*"
CountyOf = Callable[[str], "str | None"]  # enterprise id -> its county (None: unknown)


def bump_changes(model: type[StateItem], county_id: str | None) -> None:
    """Count one more change of the county's people-written documents (`*`: of a county not known here)."""
    with translate("bump change mark"):
        model(f"{_CHANGES}{county_id or _ANY_COUNTY}", "people").update(actions=[model.version.add(1)])


def read_changes(model: type[StateItem], county_id: str) -> str:
    """The county's change mark and the deployment-wide one, in one strongly consistent request."""
    keys = [(f"{_CHANGES}{c}", "people") for c in (county_id, _ANY_COUNTY)]
    with translate("read change marks"):
        found = {i.pk: int(i.version or 0) for i in model.batch_get(keys, consistent_read=True)}
    return ",".join(str(found.get(pk, 0)) for pk, _ in keys)


def _dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _get(model: type[StateItem], pk: str, sk: str) -> StateItem | None:
    with translate(f"get {pk}"):
        try:
            return model.get(pk, sk, consistent_read=True)
        except DoesNotExist:
            return None


def _order(doc: dict[str, Any]) -> tuple[str, str]:
    """A report document's place in newest-first lists: (filed_at as UTC ISO text, id)."""
    return report_position(datetime.fromisoformat(doc["filed_at"]), doc["id"])


def _bodies(items: Any) -> list[dict[str, Any]]:
    return [dict(json.loads(item.body)) for item in items if item.body]


def _partition(key: str) -> str:
    return _PUT_NOTES if key.startswith(_PUT_PREFIX) else _RULE_STATE


class DynamoDBRuleState(RuleStateRepositoryBase):
    def __init__(self, model: type[StateItem]) -> None:
        self._model = model

    def _get_doc(self, key: str) -> dict[str, Any] | None:
        item = _get(self._model, _partition(key), key)
        return None if item is None or item.body is None else dict(json.loads(item.body))

    def _put_doc(self, key: str, doc: dict[str, Any]) -> None:
        with translate("put rule state"):
            self._model(_partition(key), key, t="rs", body=_dump(doc)).save()

    def _delete_doc(self, key: str) -> None:
        with translate("delete rule state"):
            self._model(_partition(key), key).delete()

    def _keys(self, prefix: str) -> list[str]:
        condition = self._model.sk.startswith(prefix) if prefix else None
        with translate("list rule state"):
            items = self._model.query(_partition(prefix), condition, consistent_read=True, attributes_to_get=["sk"])
            return [i.sk for i in items]

    def _documents(self, prefix: str, start: str) -> dict[str, dict[str, Any]]:
        # One Query: it reads (and bills) whole items even when it returns only keys, so read only the range.
        sk = self._model.sk
        condition = sk.between(prefix + start, prefix + _LAST) if start else sk.startswith(prefix) if prefix else None
        with translate("read rule state"):
            items = self._model.query(_partition(prefix), condition, consistent_read=True)
            return {i.sk: dict(json.loads(i.body)) for i in items if i.body is not None}


def _merge(streams: list[Iterator[tuple[Any, T]]], *, reverse: bool = False, stop: str | None = None) -> Iterator[T]:
    """Several partitions' (sort key, record) streams as one, in sort-key order, up to the key `stop` (ascending)."""
    merged = streams[0] if len(streams) == 1 else heapq.merge(*streams, key=lambda pair: pair[0], reverse=reverse)
    for key, record in merged:
        if stop is not None and key >= stop:
            return
        yield record


class DynamoDBAlarmRepository(AlarmRepositoryBase):
    def __init__(self, model: type[StateItem], tx: PynamoConnection, counties: ListCounties) -> None:
        self._model = model
        self._tx = tx
        self._counties = counties

    def _item(self, alarm: Alarm, place: Place) -> StateItem:
        order = f"{time_key(alarm.created_at)}#{alarm.id}"
        county, listed = place.county, f"{list_key(alarm)}#{alarm.id}"
        return self._model(
            f"alarm#{alarm.id}",
            "alarm",
            t="alarm",
            status=alarm.state.value,
            version=alarm.version,
            is_open=alarm.open,
            body=_dump(codec.alarm_to_dict(alarm)),
            gsi1pk=f"alarment#{alarm.enterprise_id}",
            gsi1sk=order,
            gsi2pk=f"alarms#{county}",
            gsi2sk=order,
            gsi3pk=f"alarmq#{county}",
            gsi3sk=listed,
            gsi4pk=f"alarmq#{county}#b#{place.branch}",
            gsi4sk=listed,
            gsi5pk=f"alarmq#{county}#t#{place.town}",
            gsi5sk=listed,
        )

    def _open_marker(self, alarm: Alarm) -> StateItem:
        # Sparse: exists only while the alarm is open, with its body, so an enterprise's open alarms are one
        # query that reads none of its closed ones.
        body = _dump(codec.alarm_to_dict(alarm))
        return self._model(f"openent#{alarm.enterprise_id}", f"alarm#{alarm.id}", t="openent", body=body)

    def _pointer(self, alarm: Alarm) -> StateItem:
        return self._model(
            f"alarmkey#{alarm.subject}#{alarm.rule}", "ptr", t="alarmkey", ref=alarm.id, is_open=alarm.open
        )

    def _dispatch_marker(self, alarm: Alarm) -> StateItem:
        # One per (branch, alarm) ever dispatched; never removed: a read checks the alarm's current branch.
        return self._model(f"alarmdisp#{alarm.dispatched_to}", f"alarm#{alarm.id}", t="alarmdisp", ref=alarm.id)

    def _get_alarm(self, alarm_id: str) -> Alarm | None:
        item = _get(self._model, f"alarm#{alarm_id}", "alarm")
        return None if item is None or item.body is None else codec.alarm_from_dict(json.loads(item.body))

    def _latest_id(self, subject: str, rule: str) -> str | None:
        pointer = _get(self._model, f"alarmkey#{subject}#{rule}", "ptr")
        return None if pointer is None else pointer.ref

    def _open_alarms(self, enterprise_id: str) -> list[Alarm]:
        with translate("open alarms"):
            items = self._model.query(f"openent#{enterprise_id}", self._model.sk.startswith("alarm#"))
            return [codec.alarm_from_dict(d) for d in _bodies(items)]

    def _in_county(self, enterprise_id: str, county_id: str | None) -> bool:
        return county_id is None or self._counties.of(enterprise_id) == county_id

    def _in_place(self, enterprise_id: str, query: AlarmQuery) -> bool:
        place = self._counties.place(enterprise_id)
        return (
            (query.county_id is None or place.county == query.county_id)
            and (query.branch_ids is None or place.branch in query.branch_ids)
            and (query.town_ids is None or place.town in query.town_ids)
        )

    def _query_alarms(self, where: AlarmFilter, limit: int) -> list[Alarm]:
        model = self._model
        eid = where.enterprise_id
        states = None if where.states is None else model.status.is_in(*sorted(s.value for s in where.states))
        if eid is None and where.states is not None and not (where.states & FINAL_STATES):
            # Open alarms only: the county lists' open part (list keys below "2"), whatever their age.
            walks = [
                self._walk("gsi3", f"alarmq#{c}", model.gsi3sk < _OPEN_BELOW, None)
                for c in self._counties.keys(where.county_id)
            ]
            return [a for a in _merge(walks) if where.matches(a)]
        low = time_key(where.since) if where.since else "0"
        high = time_key(where.until) if where.until else "~"
        # sk is "<created>#<id>": an alarm created exactly at `until` sorts above time_key(until), so [since, until)
        if eid is not None:
            if not self._in_county(eid, where.county_id):
                return []
            condition = model.gsi1sk.between(low, high) if where.since or where.until else None
            with translate("list alarms"):
                items = model.gsi1.query(  # type: ignore[attr-defined]
                    f"alarment#{eid}", condition, filter_condition=states, scan_index_forward=False, limit=limit
                )
                return [codec.alarm_from_dict(d) for d in _bodies(items)]
        condition = model.gsi2sk.between(low, high) if where.since or where.until else None
        found: list[Alarm] = []
        for county in self._counties.keys(where.county_id):
            with translate("list alarms"):
                items = model.gsi2.query(  # type: ignore[attr-defined]
                    f"alarms#{county}", condition, filter_condition=states, scan_index_forward=False, limit=limit
                )
                found += [codec.alarm_from_dict(d) for d in _bodies(items)]
        return found

    def _walk(
        self,
        index: str,
        pk: str,
        condition: Any,
        page_size: int | None = _WALK_PAGE,
        keep: frozenset[str] = frozenset(),
    ) -> Iterator[tuple[str, Alarm]]:
        """One partition of a list index (gsi3 a county's, gsi4 a branch's, gsi5 a town's) in list order: (sort key,
        alarm). `keep`: when given, only entries whose town (reading gsi4) or branch (gsi5) key is in it."""
        other = {"gsi4": "gsi5pk", "gsi5": "gsi4pk"}.get(index, "")
        with translate("list alarms"):
            for item in getattr(self._model, index).query(pk, condition, page_size=page_size):
                if item.body and (not keep or getattr(item, other) in keep):
                    yield item.gsi3sk, codec.alarm_from_dict(json.loads(item.body))

    def _alarm_list(self, query: AlarmQuery, after: Position | None) -> Iterator[Alarm]:
        eids = query.enterprise_ids
        placed = query.branch_ids is not None or query.town_ids is not None
        if eids is not None and len(eids) <= (_PER_ENTERPRISE_WITH_PLACE if placed else _PER_ENTERPRISE_MAX):
            hits: list[Alarm] = []
            low = time_key(query.since) if query.since else "0"
            high = time_key(query.until) if query.until else "~"
            created = self._model.gsi1sk.between(low, high) if query.since or query.until else None
            for eid in sorted(e for e in eids if self._in_place(e, query)):
                with translate("list alarms of an enterprise"):
                    items = self._model.gsi1.query(f"alarment#{eid}", created)  # type: ignore[attr-defined]
                    hits += [a for a in map(codec.alarm_from_dict, _bodies(items)) if query.matches(a)]
            yield from (a for a in in_list_order(hits) if after is None or position(a) > after)
            return
        # The branch's or town's own index when the query names them (the fewer partitions), else the county's.
        branches, towns = query.branch_ids, query.town_ids
        if branches is not None and (towns is None or len(branches) <= len(towns)):
            index, parts, other, keep = "gsi4", [f"#b#{b}" for b in sorted(branches)], "t", towns
        elif towns is not None:
            index, parts, other, keep = "gsi5", [f"#t#{t}" for t in sorted(towns)], "b", branches
        else:
            index, parts, other, keep = "gsi3", [""], "", None
        sort = getattr(self._model, f"{index}sk")
        below = query.key_below
        condition: Any
        if after is not None:
            condition = sort > f"{after[0]}#{after[1]}"  # list keys have one length: "key#id" sorts as (key, id)
        elif query.key_from is not None:
            condition = sort >= query.key_from
        else:
            condition = None if below is None else sort < below
        walks = [
            self._walk(
                index, f"alarmq#{c}{p}", condition, _WALK_PAGE, frozenset(f"alarmq#{c}#{other}#{k}" for k in keep)
            )
            if keep is not None
            else self._walk(index, f"alarmq#{c}{p}", condition)
            for c in self._counties.keys(query.county_id)
            for p in parts
        ]
        yield from _merge(walks, stop=below)

    def _dispatched_alarms(self, branch_id: str) -> list[Alarm]:
        with translate("alarms dispatched to a branch"):
            refs = [i.ref for i in self._model.query(f"alarmdisp#{branch_id}", consistent_read=True) if i.ref]
            keys = [(f"alarm#{ref}", "alarm") for ref in refs]
            items = list(self._model.batch_get(keys, consistent_read=True)) if keys else []
        return [codec.alarm_from_dict(d) for d in _bodies(items)]

    def _insert_alarm(self, alarm: Alarm) -> None:
        # The alarm and its (subject, rule) pointer in one transaction, conditional on the pointer being absent or
        # closed: at most one open alarm per pair, even between racing writers.
        absent = self._model.pk.does_not_exist()
        free = absent | (self._model.is_open == False)  # noqa: E712
        place = self._counties.for_write(alarm.enterprise_id)
        with translate(f"raise alarm {alarm.id}"), TransactWrite(connection=self._tx) as tx:
            tx.save(self._item(alarm, place), condition=absent)
            tx.save(self._pointer(alarm), condition=free)
            if alarm.dispatched_to:
                tx.save(self._dispatch_marker(alarm))
            if alarm.open:
                tx.save(self._open_marker(alarm))

    def _replace_alarm(self, alarm: Alarm, expected_version: int, *, is_latest: bool) -> None:
        place = self._counties.for_write(alarm.enterprise_id)
        with translate(f"update alarm {alarm.id}"), TransactWrite(connection=self._tx) as tx:
            tx.save(self._item(alarm, place), condition=self._model.version == expected_version)
            if is_latest:
                tx.save(self._pointer(alarm), condition=self._model.ref == alarm.id)
            if alarm.dispatched_to:
                tx.save(self._dispatch_marker(alarm))
            if alarm.open:
                tx.save(self._open_marker(alarm))
            else:  # closed or retracted: off the enterprise's open list (a no-op when it already was)
                tx.delete(self._model(f"openent#{alarm.enterprise_id}", f"alarm#{alarm.id}"))


class DynamoDBAuditLog:
    _counter = itertools.count()
    _lock = threading.Lock()

    def __init__(self, model: type[StateItem]) -> None:
        self._model = model

    def append(self, entry: AuditEntry) -> None:
        with self._lock:  # wall-clock ns plus a process counter: append order within a process
            order = f"{time.time_ns():020d}{next(self._counter) % 1_000_000:06d}"
        with translate("append audit"):
            self._model(f"audit#{entry.alarm_id}", order, t="audit", body=_dump(codec.audit_to_dict(entry))).save()

    def for_alarm(self, alarm_id: str) -> list[AuditEntry]:
        with translate("read audit"):
            return [
                codec.audit_from_dict(d) for d in _bodies(self._model.query(f"audit#{alarm_id}", consistent_read=True))
            ]


class DynamoDBReportRepository(ReportRepositoryBase):
    def __init__(self, model: type[StateItem], counties: ListCounties, county_of: CountyOf | None = None) -> None:
        self._model = model
        self._counties = counties
        self._county_of = county_of

    def people_changes(self, county_id: str) -> str | None:
        return read_changes(self._model, county_id)

    def _put(
        self,
        kind: str,
        ident: str,
        enterprise_id: str,
        filed_at: datetime,
        doc: dict[str, Any],
        expected: dict[str, Any] | None = None,
    ) -> None:
        item = self._model(f"{kind}#{ident}", kind, t=kind, body=_dump(doc))
        item.gsi1pk, item.gsi1sk = f"{kind}ent#{enterprise_id}", f"{time_key(filed_at)}#{ident}"
        county = self._counties.for_write(enterprise_id).county
        item.gsi2pk, item.gsi2sk = f"{kind}s#{county}", item.gsi1sk  # the county's newest-first list
        # Replace-if-unchanged: the stored body (written with sorted keys) must still be the one the caller read.
        condition = None if expected is None else self._model.body == _dump(expected)
        with translate(f"put {kind}"):
            item.save(condition=condition)
        bump_changes(self._model, self._county_of(enterprise_id) if self._county_of else None)

    def _recent(
        self, kind: str, enterprise_ids: frozenset[str] | None, before: ReportPosition | None, county_id: str | None
    ) -> Iterator[dict[str, Any]]:
        """Bodies newest first: per enterprise (gsi1, merged) for a few enterprises, else the county's gsi2 (every
        county's, merged, when no county is given)."""
        model = self._model
        below = None if before is None else f"{time_key(datetime.fromisoformat(before[0]))}#{before[1]}"

        def query(index: Any, pk: str, sort: Any) -> Iterator[tuple[tuple[str, str], dict[str, Any]]]:
            with translate(f"list {kind}"):
                condition = None if below is None else sort < below
                for item in index.query(pk, condition, scan_index_forward=False, page_size=_WALK_PAGE):
                    if item.body:
                        doc = dict(json.loads(item.body))
                        yield _order(doc), doc

        if enterprise_ids is not None and len(enterprise_ids) <= _PER_ENTERPRISE_MAX:
            chosen = sorted(e for e in enterprise_ids if county_id is None or self._counties.of(e) == county_id)
            streams = [query(model.gsi1, f"{kind}ent#{e}", model.gsi1sk) for e in chosen]  # type: ignore[attr-defined]
        else:
            keys = self._counties.keys(county_id)
            streams = [query(model.gsi2, f"{kind}s#{c}", model.gsi2sk) for c in keys]  # type: ignore[attr-defined]
        yield from _merge(streams, reverse=True) if streams else ()

    def _recent_faults(
        self, enterprise_ids: frozenset[str] | None, before: ReportPosition | None, county_id: str | None
    ) -> Iterator[FaultReport]:
        return (codec.fault_from_dict(d) for d in self._recent("fault", enterprise_ids, before, county_id))

    def _recent_stoppages(
        self, enterprise_ids: frozenset[str] | None, before: ReportPosition | None, county_id: str | None
    ) -> Iterator[StoppageRequest]:
        return (codec.stoppage_from_dict(d) for d in self._recent("stop", enterprise_ids, before, county_id))

    def _swap_fault(self, report: FaultReport, expected: FaultReport) -> None:
        doc, old = codec.fault_to_dict(report), codec.fault_to_dict(expected)
        self._put("fault", report.id, report.enterprise_id, report.filed_at, doc, old)

    def _swap_stoppage(self, request: StoppageRequest, expected: StoppageRequest) -> None:
        doc, old = codec.stoppage_to_dict(request), codec.stoppage_to_dict(expected)
        self._put("stop", request.id, request.enterprise_id, request.filed_at, doc, old)

    def _one(self, kind: str, ident: str, decode: Callable[[dict[str, Any]], T]) -> T | None:
        item = _get(self._model, f"{kind}#{ident}", kind)
        return None if item is None or item.body is None else decode(json.loads(item.body))

    def _for(self, kind: str, enterprise_id: str, decode: Callable[[dict[str, Any]], T]) -> list[T]:
        with translate(f"list {kind}"):
            return [decode(d) for d in _bodies(self._model.gsi1.query(f"{kind}ent#{enterprise_id}"))]  # type: ignore[attr-defined]

    def _put_fault(self, report: FaultReport) -> None:
        self._put("fault", report.id, report.enterprise_id, report.filed_at, codec.fault_to_dict(report))

    def _get_fault(self, report_id: str) -> FaultReport | None:
        return self._one("fault", report_id, codec.fault_from_dict)

    def _faults_for(self, enterprise_id: str) -> list[FaultReport]:
        return self._for("fault", enterprise_id, codec.fault_from_dict)

    def _put_stoppage(self, request: StoppageRequest) -> None:
        self._put("stop", request.id, request.enterprise_id, request.filed_at, codec.stoppage_to_dict(request))

    def _get_stoppage(self, request_id: str) -> StoppageRequest | None:
        return self._one("stop", request_id, codec.stoppage_from_dict)

    def _stoppages_for(self, enterprise_id: str) -> list[StoppageRequest]:
        return self._for("stop", enterprise_id, codec.stoppage_from_dict)


class DynamoDBEmergencyRepository(EmergencyRepositoryBase):
    def __init__(self, model: type[StateItem], county_of: CountyOf | None = None) -> None:
        self._model = model
        self._county_of = county_of

    def _bump(self, enterprise_id: str | None) -> None:
        # An alert may reach every county's enterprises (scope None, or "" county): the deployment-wide mark.
        bump_changes(self._model, self._county_of(enterprise_id) if enterprise_id and self._county_of else None)

    def _put_timed(self, kind: str, ident: str, start: datetime, doc: dict[str, Any]) -> None:
        item = self._model(f"em{kind}#{ident}", kind, t=f"em{kind}", body=_dump(doc))
        item.gsi1pk, item.gsi1sk = f"em{kind}s", f"{time_key(start)}#{ident}"
        with translate(f"put emergency {kind}"):
            item.save()
        self._bump(doc.get("enterprise_id"))

    def _started_before(self, kind: str, end: datetime) -> list[dict[str, Any]]:
        with translate(f"list emergency {kind}"):
            return _bodies(self._model.gsi1.query(f"em{kind}s", self._model.gsi1sk < time_key(end)))  # type: ignore[attr-defined]

    def _put_alert(self, alert: EmergencyAlert) -> None:
        self._put_timed("alert", alert.id, alert.start, codec.alert_to_dict(alert))

    def _get_alert(self, alert_id: str) -> EmergencyAlert | None:
        item = _get(self._model, f"emalert#{alert_id}", "alert")
        return None if item is None or item.body is None else codec.alert_from_dict(json.loads(item.body))

    def _alerts_starting_before(self, end: datetime) -> list[EmergencyAlert]:
        return [codec.alert_from_dict(d) for d in self._started_before("alert", end)]

    def _put_measures(self, measures: EnterpriseMeasures) -> None:
        with translate("put measures"):
            body = _dump(codec.measures_to_dict(measures))
            self._model("emmeasures", measures.enterprise_id, t="emmeasures", body=body).save()
        self._bump(measures.enterprise_id)

    def _all_measures(self) -> list[EnterpriseMeasures]:
        with translate("list measures"):
            return [codec.measures_from_dict(d) for d in _bodies(self._model.query("emmeasures", consistent_read=True))]

    def _put_halt(self, order: HaltOrder) -> None:
        self._put_timed("halt", order.id, order.start, codec.halt_to_dict(order))

    def _halts_starting_before(self, end: datetime) -> list[HaltOrder]:
        return [codec.halt_from_dict(d) for d in self._started_before("halt", end)]
