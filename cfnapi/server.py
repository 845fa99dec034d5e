"""Assemble one cfnapi process: database, credentials, services, workers, WSGI server."""

from __future__ import annotations

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


def build_runtime(settings: Settings) -> Runtime:
    from cfnapi.wiring import build_services  # the one table of services and workers

    db = open_database(settings)
    store = CredentialStore(db)
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
    return Runtime(settings, db, store, app, background=background if settings.run_worker else [])


def serve(settings: Settings) -> None:
    import waitress

    runtime = build_runtime(settings)
    runtime.start_background()
    log.info("cfnapi serving on http://%s:%d (region %s)", settings.host, settings.port, settings.region)
    try:
        waitress.serve(
            runtime.app,
            host=settings.host,
            port=settings.port,
            threads=settings.threads,
            ident="cfnapi",
            clear_untrusted_proxy_headers=True,
        )
    finally:
        runtime.stop()
