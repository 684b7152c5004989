"""A Playwright trace made fit to leave the machine: what the test did and when, without what the
pages showed.

A trace records every page as it looked (DOM snapshots, a screencast), response bodies, typed
text and the element previews of its log: personal data the harness cannot recognise in general.
The bundle's copy keeps an allow-list only: the context, each action (method, URL or selector,
timings, first line of an error), page events, and the network requests without bodies, cookies
or typed values; every text is redacted of secrets and known personal values.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from compat_harness.secrets import PERSONAL, REDACTOR

_KEEP_PARAMS = ("url", "selector", "name", "waitUntil", "timeout", "key")
_DROP_HEADERS = {"cookie", "set-cookie", "authorization", "proxy-authorization"}
NOTE = "SANITIZED-BY-COMPAT.txt"


def _clean(text: str) -> str:
    return PERSONAL.redact(REDACTOR.redact(text))


def _event(event: dict[str, Any]) -> dict[str, Any] | None:
    kind = event.get("type")
    if kind == "context-options":
        return {k: v for k, v in event.items() if k != "title"}
    if kind == "before":
        params = event.get("params") or {}
        kept = {k: params[k] for k in _KEEP_PARAMS if isinstance(params.get(k), str | int | float)}
        if "value" in params or "text" in params:
            kept["value"] = "(typed text left out)"
        return {
            **{
                k: event[k]
                for k in ("type", "callId", "startTime", "class", "method", "pageId", "apiName")
                if k in event
            },
            "params": kept,
        }
    if kind == "after":
        out: dict[str, Any] = {k: event[k] for k in ("type", "callId", "endTime") if k in event}
        error = event.get("error")
        if isinstance(error, dict):
            message = str((error.get("error") or {}).get("message") or error.get("message") or "")
            out["error"] = {"message": message.splitlines()[0] if message else "failed"}
        return out
    if kind == "event" and event.get("method") in ("page", "close"):
        return event
    return None  # logs (element previews), snapshots, screencast frames, console


def _network(entry: dict[str, Any]) -> dict[str, Any] | None:
    snap = entry.get("snapshot")
    if entry.get("type") != "resource-snapshot" or not isinstance(snap, dict):
        return None
    request, response = dict(snap.get("request") or {}), dict(snap.get("response") or {})
    for part in (request, response):
        part["headers"] = [
            h
            for h in part.get("headers") or []
            if str(h.get("name", "")).lower() not in _DROP_HEADERS
        ]
        part["cookies"] = []
    request.pop("postData", None)
    content = dict(response.get("content") or {})
    content.pop("_sha1", None)
    content.pop("text", None)
    response["content"] = content
    return {
        "type": "resource-snapshot",
        "snapshot": {**snap, "request": request, "response": response},
    }


def sanitize_trace(source: Path, target: Path) -> str | None:
    """Write the sanitized copy; returns why it could not be kept (then nothing is written)."""
    try:
        with zipfile.ZipFile(source) as zf:
            trace = zf.read("trace.trace").decode("utf-8") if "trace.trace" in zf.namelist() else ""
            network = (
                zf.read("trace.network").decode("utf-8") if "trace.network" in zf.namelist() else ""
            )
    except (zipfile.BadZipFile, OSError, UnicodeDecodeError) as exc:
        return f"the trace could not be read ({exc})"
    events = [e for line in trace.splitlines() if line.strip() if (e := _event(json.loads(line)))]
    requests = [
        n for line in network.splitlines() if line.strip() if (n := _network(json.loads(line)))
    ]
    members = {
        "trace.trace": _clean("\n".join(json.dumps(e) for e in events) + "\n"),
        "trace.network": _clean("\n".join(json.dumps(n) for n in requests) + "\n"),
        NOTE: (
            "This trace was sanitized before it left the machine that ran it: page snapshots, the\n"
            "screencast, response and request bodies, cookies, typed text and log lines were\n"
            "removed; secrets and known personal data were masked. It still shows each action,\n"
            "its timing and the network requests. The full trace stays in the run's folder there.\n"
        ),
    }
    for name, text in members.items():
        data = text.encode("utf-8")
        if REDACTOR.found_in(data) or PERSONAL.found_in(data):
            return f"{name} still held a secret or personal value after sanitizing"
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return None
