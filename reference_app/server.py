"""Runs both portals in one process: two sockets, two uvicorn servers, one asyncio loop."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from .app import create_apps
from .config import AppConfig, Mode
from .scenarios import seed_demo
from .store import Store


@dataclass(frozen=True)
class ServeOptions:
    """What the command line asks for."""

    mode: Mode
    defects: frozenset[str]
    host: str
    client_port: int
    provider_port: int
    db_path: Path
    ready_file: Path | None
    demo_password: str | None


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to `serve` (two servers share one loop)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket (port 0: the OS picks a free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # An explicit IPPROTO_TCP lets asyncio set TCP_NODELAY on accepted connections (without it
    # keep-alive responses stall ~40 ms on delayed ACKs).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _url(host: str, sock: socket.socket) -> str:
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def write_ready_file(path: Path, payload: dict[str, Any]) -> None:
    """Write the ready JSON atomically with mode 0600 (it holds the demo passwords)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(payload, handle)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


async def serve(options: ServeOptions) -> int:
    """Bind, seed, serve until SIGTERM/SIGINT; returns the exit code."""
    client_sock = bind(options.host, options.client_port)
    provider_sock = bind(options.host, options.provider_port)
    config = AppConfig(
        db_path=options.db_path,
        client_url=_url(options.host, client_sock),
        provider_url=_url(options.host, provider_sock),
        mode=options.mode,
        defects=options.defects,
    )
    store = Store(config.db_path)
    demo = seed_demo(store, options.demo_password)
    client_app, provider_app = create_apps(config, store)

    def server_for(app: Any) -> _Server:
        return _Server(
            uvicorn.Config(
                app,
                lifespan="off",
                log_level="warning",
                access_log=False,
                timeout_graceful_shutdown=2,
                server_header=False,
            )
        )

    servers = [server_for(client_app), server_for(provider_app)]
    tasks = [
        asyncio.create_task(servers[0].serve(sockets=[client_sock])),
        asyncio.create_task(servers[1].serve(sockets=[provider_sock])),
    ]

    def stop() -> None:
        for server in servers:
            server.should_exit = True

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)

    while not all(server.started for server in servers):
        if any(task.done() for task in tasks):
            stop()
            await asyncio.gather(*tasks, return_exceptions=True)
            print("reference app: a server failed to start", file=sys.stderr)
            return 1
        await asyncio.sleep(0.005)

    public = {
        "client_url": config.client_url,
        "provider_url": config.provider_url,
        "mode": config.mode,
        "defects": sorted(config.defects),
        "version": store.version(),
        "pid": os.getpid(),
    }
    if options.ready_file is not None:
        write_ready_file(options.ready_file, {**public, "demo": demo})
    print(json.dumps(public), flush=True)

    try:
        await asyncio.gather(*tasks)
    finally:
        store.close()
    return 0
