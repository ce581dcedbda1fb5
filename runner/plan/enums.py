"""Live enums: the campaigns' models, encoders, modes and stream types against the values the
control plane's schema offers (the offline capability table stays for `validate`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from runner.spec.model import Campaign
from runner.spec.schema import suggest


def enum_problems(campaigns: Iterable[Campaign], offered: Mapping[str, tuple[str, ...]]
                  ) -> list[str]:
    """One line per value the server does not offer: where, what, and did-you-mean from the
    server's own list. An enum the server did not show (no such column) is not checked."""
    problems: list[str] = []

    def check(kind: str, value: str, where: object, what: str) -> None:
        values = offered.get(kind)
        if not values or value in values:
            return
        hint = suggest(value, values)
        also = f"; did you mean {hint}?" if hint else ""
        problems.append(f"{where}: the control plane has no {what} {value!r} (it offers "
                        f"{', '.join(values)}){also}")

    for campaign in campaigns:
        check("session_mode", campaign.session.mode, campaign.location, "session mode")
        for camera in campaign.cameras:
            check("camera_model", camera.model, camera.location, "camera model")
            for stream in camera.streams:
                check("stream_type", stream.type, stream.location, "stream type")
                check("stream_encoder", stream.encoder, stream.location, "encoder")
    return list(dict.fromkeys(problems))
