"""The exit codes scripts rely on, defined once (README "Exit codes")."""

from __future__ import annotations

import signal

EXIT_OK = 0
EXIT_ERROR = 1  # every CampaignError but UsageError (`CampaignError.exit_code`)
EXIT_USAGE = 2  # bad flags or arguments (`UsageError.exit_code`)
EXIT_CHANGES = 2  # plan --detailed-exitcode: changes present
SIGNAL_EXIT: dict[int, int] = {signal.SIGINT: 130, signal.SIGTERM: 143}  # 128 + signal
