"""Assemble one cfnapi process: database, credentials, services, workers, WSGI server."""

from __future__ import annotations

import gc
import logging
import os
from dataclasses import dataclass, field

from cfnapi.auth import CredentialStore, write_shared_credentials_file
from cfnapi.config import Settings
from cfnapi.db import Database
from cfnapi.db.schema import migrate
from cfnapi.query_api.app import ApiApp
from cfnapi.query_api.services import Service

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Everything one process runs; ``start_background`` / ``stop`` manage the workers."""

    settings: Settings
    db: Database
    credentials: CredentialStore
    app: ApiApp
    background: list = field(default_factory=list)  # workers with start() and stop()
    worker_lock: object = None  # SQLite: the open file whose lock says "the one worker is here"

    def start_background(self) -> None:
        for worker in self.background:
            worker.start()

    def stop(self) -> None:
        for worker in reversed(self.background):
            worker.stop()
        self.db.dispose()


def open_database(settings: Settings) -> Database:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url)
    migrate(db)
    return db


def ensure_admin_credential(settings: Settings, store: CredentialStore) -> None:
    """First start: the admin credential from the environment, or a generated one on disk."""
    key_id = os.environ.get("CFNAPI_ACCESS_KEY_ID")
    secret = os.environ.get("CFNAPI_SECRET_ACCESS_KEY")
    if bool(key_id) != bool(secret):
        raise SystemExit("set both CFNAPI_ACCESS_KEY_ID and CFNAPI_SECRET_ACCESS_KEY, or neither")
    credential, created = store.ensure_admin(access_key_id=key_id, secret=secret)
    if created and not key_id:
        write_shared_credentials_file(settings.credentials_file, credential)
        log.info("admin credential written to %s", settings.credentials_file)


def hold_sqlite_worker_lock(db: Database):
    """SQLite has one worker process by rule: its leases are taken over at start, which is
    only right if no other worker is alive. An exclusive lock beside the database file makes a
    second one (another ``serve`` or ``worker`` on the same data dir) stop with a clear message.
    The kernel drops the lock when the process dies, even by kill -9."""
    import fcntl

    handle = open(f"{db.engine.url.database}.worker-lock", "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise SystemExit(
            f"another cfnapi process already runs the workers on {db.engine.url.database}; "
            "SQLite allows one (use PostgreSQL, --database-url, for several workers)"
        ) from None
    return handle  # kept open for the life of the process


def build_runtime(settings: Settings) -> Runtime:
    from cfnapi.wiring import build_services  # the one table of services and workers

    db = open_database(settings)
    worker_lock = hold_sqlite_worker_lock(db) if settings.run_worker and db.is_sqlite else None
    store = CredentialStore(db, cache_ttl_seconds=settings.credential_cache_seconds)
    ensure_admin_credential(settings, store)
    services, background, pre_auth_routes, request_verifier = build_services(settings, db, store)
    app = ApiApp(
        {name: Service(name, handlers) for name, handlers in services.items()},
        credentials=store,
        verifier=request_verifier,
        region=settings.region,
        max_request_bytes=settings.max_request_bytes,
        pre_auth_routes=pre_auth_routes,
    )
    return Runtime(settings, db, store, app, background=background if settings.run_worker else [],
                   worker_lock=worker_lock)


def _host_for_listen(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host  # IPv6 literal


def serve(settings: Settings) -> None:
    import waitress

    runtime = build_runtime(settings)
    runtime.start_background()
    # Everything loaded so far (modules, botocore's service models, the schema) lives as
    # long as the process: moved out of the collector's sight, a full collection no longer
    # walks it (one during a 500-resource create cost more than the create).
    gc.freeze()
    # A 500-resource create allocates a few hundred thousand objects, nearly all freed by
    # reference counting: at the default threshold (700) that ran 17 young collections per
    # create and a full one (~60 ms) every few creates. Young collections every 10,000
    # allocations keep cyclic garbage as bounded while the full ones come a tenth as often.
    gc.set_threshold(10_000, 10, 10)
    listen = " ".join(f"{_host_for_listen(settings.host)}:{port}" for port in settings.listen_ports)
    log.info("cfnapi serving on %s (region %s)", ", ".join(f"http://{address}" for address in listen.split()),
             settings.region)
    try:
        waitress.serve(
            runtime.app,
            listen=listen,
            threads=settings.threads,
            ident="cfnapi",
            clear_untrusted_proxy_headers=True,
        )
    finally:
        runtime.stop()
