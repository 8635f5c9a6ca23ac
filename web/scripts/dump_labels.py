"""Print the Chinese names of the domain's codes (rules, alarm states, causes, notification states, channels and
events) as JSON: generated at build time like
the API types, so the dashboard names a rule exactly as the platform does."""

from __future__ import annotations

import json
import sys

from miniprogram_api.chalicelib.routes.notify import EVENT_NAMES
from monitoring.alarms.models import CAUSE_NAMES, STATE_NAMES
from monitoring.evaluation.catalogue import RULES
from monitoring.notify.models import CHANNEL_NAMES, STATUS_NAMES

labels = {
    "rules": {rule_id: spec.name for rule_id, spec in RULES.items()},
    "alarm_states": {str(state): name for state, name in STATE_NAMES.items()},
    "causes": {str(cause): name for cause, name in CAUSE_NAMES.items()},
    "notify_statuses": {str(status): name for status, name in STATUS_NAMES.items()},
    "notify_channels": {str(kind): name for kind, name in CHANNEL_NAMES.items()},
    "notify_events": dict(EVENT_NAMES),
}
json.dump(labels, sys.stdout, ensure_ascii=False, indent=1, sort_keys=True)
sys.stdout.write("\n")
