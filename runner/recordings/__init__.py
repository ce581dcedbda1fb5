"""Post-recording rules: select a campaign's fleet recordings, plan tag/status/delete changes
with ordered rules, apply them with bounded concurrency, render the plan.

    plans = await plan_recordings(campaigns, fleet, now=now)
    print(render_recordings_text(plans, color=False))
    result = await apply_recordings(plans, fleet, allow_delete=False)
"""

from runner.recordings.apply import apply_recordings, check_deletions
from runner.recordings.model import (
    KNOWN_STATUSES,
    Recording,
    RecordingApplyResult,
    RecordingChange,
    RecordingFailure,
    RecordingPlan,
    RuleSummary,
)
from runner.recordings.plan import plan_recordings
from runner.recordings.render import (
    recordings_from_json,
    recordings_to_json,
    render_apply_summary,
    render_recordings_markdown,
    render_recordings_text,
)
from runner.recordings.rules import evaluate, merge_tags

__all__ = [
    "KNOWN_STATUSES",
    "Recording",
    "RecordingApplyResult",
    "RecordingChange",
    "RecordingFailure",
    "RecordingPlan",
    "RuleSummary",
    "apply_recordings",
    "check_deletions",
    "evaluate",
    "merge_tags",
    "plan_recordings",
    "recordings_from_json",
    "recordings_to_json",
    "render_apply_summary",
    "render_recordings_markdown",
    "render_recordings_text",
]
