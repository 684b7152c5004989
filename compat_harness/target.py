"""The system under test: the two portals' URLs, whether it is a test target, and its health.

Without URLs the harness starts the project's embedded target (the reference app's plugin); given
URLs, it checks them first and tells "target down" from "network down" before any browser starts.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Literal
from urllib.parse import urljoin, urlparse

from compat_harness.matrix import Portal


class TargetError(Exception):
    """The target cannot be used; the message names the cause and the fix."""


@dataclass(frozen=True)
class Target:
    client_url: str
    provider_url: str
    kind: Literal["reference", "external"]
    mode: str = "unknown"  # "test" | "production" | "unknown" (from /healthz)
    defects: tuple[str, ...] = ()
    version: str | None = None
    demo: dict[str, dict[str, str]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_test_target(self) -> bool:
        return self.mode == "test"

    def base(self, portal: Portal | str) -> str:
        return self.client_url if Portal(portal) is Portal.CLIENT else self.provider_url

    def url(self, portal: Portal | str, path: str = "/") -> str:
        return urljoin(self.base(portal).rstrip("/") + "/", path.lstrip("/"))

    def describe(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("demo")
        data["defects"] = list(self.defects)
        return data


def validate_url(value: str, what: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise TargetError(
            f"{what} {value!r} is not an http(s) URL. Fix: pass e.g. https://portal.example.com"
        )
    return value.rstrip("/")


# --- the policy: which target, and what may run against it ----------------------------------------

EMBEDDED_ONLY = (
    "--defects switches faults on in the embedded reference app only; drop it or drop the URLs"
)


def check_urls(client: str | None, provider: str | None, control: str | None) -> None:
    """The target's URLs as given: both portals or neither (the embedded target), each an
    http(s) URL. Raises TargetError naming the fix."""
    for value, what in (
        (client, "--client-url"),
        (provider, "--provider-url"),
        (control, "--control-url"),
    ):
        if value:
            validate_url(value, what)
    if bool(client) != bool(provider):
        raise TargetError(
            "give both --client-url and --provider-url (or neither, to use the project's "
            "embedded target)"
        )


def destructive_refusal(
    target: Target, allowed: bool, what: str = "this destructive journey"
) -> str | None:
    """Why a journey that creates or changes data must not run against this target (None: it
    may): a target that is not in test mode, unless --allow-destructive."""
    if target.is_test_target or allowed:
        return None
    return (
        f"{what} would create or change data (bookings, cancellations) on {target.client_url}, "
        f"which is not a test target (mode {target.mode!r}). Fix: choose a read-only journey, or "
        "pass --allow-destructive if this environment may be changed"
    )


NO_CLEAN_UP = (
    "this target has no test hooks, so what a destructive journey creates cannot be cleaned up "
    "automatically; remove it by hand"
)


def external(client: str, provider: str) -> Target:
    """A given target, with the mode its /healthz reports."""
    mode, version = probe_mode(client)
    return Target(
        client_url=client.rstrip("/"),
        provider_url=provider.rstrip("/"),
        kind="external",
        mode=mode,
        version=version,
    )


# --- health ----------------------------------------------------------------------------------------


class Reachability(StrEnum):
    """Whether the target answers, and if not, whether the network beyond it does."""

    UP = "target up"
    TARGET_DOWN = "target down"
    NETWORK_DOWN = "network down"


@dataclass(frozen=True)
class Health:
    """A health check's answer: reachability, the message to show, what each URL answered."""

    reachability: Reachability
    message: str
    details: dict[str, str]


def _probe(url: str, timeout: float) -> str | None:
    """None when the URL answers with any HTTP status below 500, else what went wrong."""
    request = urllib.request.Request(url, headers={"User-Agent": "compat-harness health check"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"no answer ({reason})"
    return None if status < 500 else f"HTTP {status}"


def check_health(
    client_url: str, provider_url: str, control_url: str | None, timeout: float = 5.0
) -> Health:
    """Do both portals answer? If not, does the control URL (outside the target)?"""
    details: dict[str, str] = {}
    for name, url in (("client portal", client_url), ("provider portal", provider_url)):
        problem = _probe(url, timeout)
        details[name] = f"{url}: {problem or 'answers'}"
    down = [name for name, text in details.items() if not text.endswith("answers")]
    if not down:
        return Health(Reachability.UP, "both portals answer", details)
    if control_url:
        control_problem = _probe(control_url, timeout)
        details["control"] = f"{control_url}: {control_problem or 'answers'}"
        if control_problem:
            return Health(
                Reachability.NETWORK_DOWN,
                f"network down: neither the target nor the control URL answers "
                f"({details[down[0]]}; {details['control']}). Fix: check this machine's network, "
                "proxy or VPN; other sites should load before the target can be tested",
                details,
            )
    return Health(
        Reachability.TARGET_DOWN,
        f"target down: the {' and '.join(down)} {'does' if len(down) == 1 else 'do'} not answer "
        f"({'; '.join(details[d] for d in down)})"
        + ("; the control URL answers, so the network is fine" if control_url else "")
        + ". Fix: check the URLs (--client-url/--provider-url) and that the environment is up",
        details,
    )


def probe_mode(url: str, timeout: float = 5.0) -> tuple[str, str | None]:
    """Ask the target's /healthz whether it runs in test mode; ('unknown', None) if it can't say."""
    try:
        with urllib.request.urlopen(urljoin(url + "/", "healthz"), timeout=timeout) as response:
            data = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return "unknown", None
    return str(data.get("mode", "unknown")), str(data.get("version")) if "version" in data else None


# --- test hooks (test-mode targets only) -----------------------------------------------------------


class TestHooks:
    """Client for the target's test-only API: provisioning, per-scenario clock, outbox, releases."""

    __test__ = False

    def __init__(self, target: Target, timeout: float = 10.0) -> None:
        if not target.is_test_target:
            raise TargetError(
                f"{target.client_url} is not in test mode: test hooks (provisioning, clock, outbox) "
                "exist only on test targets"
            )
        self.target = target
        self.timeout = timeout

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        url = self.target.url(Portal.CLIENT, path)
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            url, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:300]
            raise TargetError(
                f"test hook {method} {path} failed: HTTP {exc.code} {detail}"
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise TargetError(
                f"test hook {method} {path}: no answer from {self.target.client_url} ({reason})"
            ) from None

    def provision(self, **spec: Any) -> dict[str, Any]:
        return dict(self._call("POST", "/__test__/provision", spec))

    def delete_scenario(self, scenario: str) -> dict[str, int]:
        """Delete everything the scenario created (accounts, rooms, bookings, messages, emails)."""
        from urllib.parse import quote

        return dict(self._call("DELETE", f"/__test__/scenarios/{quote(scenario)}")["deleted"])

    def set_clock(self, scenario: str, now: str) -> str:
        return str(self._call("POST", "/__test__/clock", {"scenario": scenario, "now": now})["now"])

    def create_session(self, scenario: str, **spec: Any) -> dict[str, Any]:
        return dict(self._call("POST", "/__test__/sessions", {"scenario": scenario, **spec}))

    def outbox(self, to: str) -> list[dict[str, Any]]:
        from urllib.parse import quote

        return list(self._call("GET", f"/__test__/outbox?to={quote(to)}")["emails"])

    def release(self, scenario: str | None = None) -> dict[str, Any]:
        return dict(self._call("POST", "/__test__/release", {"scenario": scenario}))
