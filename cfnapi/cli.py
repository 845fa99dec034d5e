"""The ``cfnapi`` command: serve, api, worker, credentials, ssm, sim."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
from pathlib import Path

from cfnapi.config import Settings


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("CFNAPI_DATA_DIR", "./data")))
    parser.add_argument("--database-url", default=os.environ.get("CFNAPI_DATABASE_URL"))
    parser.add_argument("--region", default=os.environ.get("CFNAPI_REGION", "us-east-1"))
    parser.add_argument("--cloud", choices=("sim", "openstack"), default=os.environ.get("CFNAPI_CLOUD", "sim"))
    parser.add_argument("--cloud-name", default=os.environ.get("OS_CLOUD"), help="clouds.yaml entry (openstack)")
    parser.add_argument("--cloud-config", type=Path, default=None, help="sim cloud seed file (YAML)")
    parser.add_argument("--naming-config", type=Path, default=os.environ.get("CFNAPI_NAMING_CONFIG"),
                        help="YAML file with an aws_naming section (InstanceType -> flavor, zone names); "
                             "any provider, overrides the sim cloud config's own section")
    parser.add_argument("--keystone-auth-cloud", default=os.environ.get("CFNAPI_KEYSTONE_AUTH_CLOUD"),
                        help="clouds.yaml entry of cfnapi's service user; accept Keystone EC2 credentials "
                             "(verified through /v3/ec2tokens) in openstack mode")
    parser.add_argument("--log-level", default=os.environ.get("CFNAPI_LOG_LEVEL", "INFO"))
    parser.add_argument("--template-file-root", type=Path, default=os.environ.get("CFNAPI_TEMPLATE_FILE_ROOT"),
                        help="directory below which file:// TemplateURLs may be read (none if unset)")
    parser.add_argument("--template-url-allow-private", action="store_true",
                        default=os.environ.get("CFNAPI_TEMPLATE_URL_ALLOW_PRIVATE", "") == "1",
                        help="let TemplateURL fetch loopback, link-local and private addresses")


def _add_worker(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lease-seconds", type=float, default=None,
                        help="how long a stack stays claimed by a worker that stopped renewing "
                             "(default 60, or CFNAPI_LEASE_SECONDS)")
    parser.add_argument("--stack-threads", type=int, default=None,
                        help="stacks this process works on at once (default 8, or CFNAPI_STACK_THREADS)")


def _add_listen(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--agent-ports", type=_port_list, default=_port_list(os.environ.get("CFNAPI_AGENT_PORTS", "")),
                        help="also listen on these comma-separated ports (heat-cfntools agents: 8000,8003)")
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--public-endpoint", default=os.environ.get("CFNAPI_PUBLIC_ENDPOINT"),
                        help="base URL instances reach this server at (wait-condition signal URLs)")


def _port_list(text: str) -> tuple[int, ...]:
    try:
        ports = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of ports: {text!r}") from None
    if any(not 0 < port < 65536 for port in ports):
        raise argparse.ArgumentTypeError(f"ports must be between 1 and 65535: {text!r}")
    return ports


def _settings(args: argparse.Namespace, *, run_api: bool, run_worker: bool) -> Settings:
    return Settings(
        host=getattr(args, "host", "127.0.0.1"),
        port=getattr(args, "port", 8000),
        agent_ports=getattr(args, "agent_ports", ()),
        threads=getattr(args, "threads", 16),
        public_endpoint=getattr(args, "public_endpoint", None),
        data_dir=args.data_dir,
        region=args.region,
        database_url=args.database_url,
        cloud=args.cloud,
        cloud_name=args.cloud_name,
        cloud_config=args.cloud_config,
        naming_config=Path(args.naming_config) if args.naming_config else None,
        template_file_root=Path(args.template_file_root) if args.template_file_root else None,
        template_url_allow_private=args.template_url_allow_private,
        keystone_auth_cloud=args.keystone_auth_cloud,
        run_api=run_api,
        run_worker=run_worker,
        **{name: getattr(args, name) for name in ("lease_seconds", "stack_threads") if getattr(args, name, None)},
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cfnapi", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    for name, help_text in (
        ("serve", "serve the API and run the engine workers and alarm evaluator in one process"),
        ("api", "serve the API only (workers run elsewhere on the same database)"),
    ):
        command = commands.add_parser(name, help=help_text)
        _add_common(command)
        _add_listen(command)
        if name == "serve":
            _add_worker(command)
    worker = commands.add_parser("worker", help="run engine workers and the alarm evaluator only")
    _add_common(worker)
    _add_worker(worker)

    creds = commands.add_parser("credentials", help="manage API credentials")
    creds_commands = creds.add_subparsers(dest="action", required=True)
    create = creds_commands.add_parser("create", help="create a credential (in a new account unless --account-id)")
    create.add_argument("--account-id")
    create.add_argument("--account-name")
    create.add_argument("--description", default="")
    create.add_argument("--write", type=Path, help="also write it to this AWS shared-credentials file")
    listing = creds_commands.add_parser("list", help="list credentials (secrets are not shown)")
    delete = creds_commands.add_parser("delete", help="delete a credential")
    delete.add_argument("access_key_id")
    for leaf in (create, listing, delete):
        _add_common(leaf)

    ssm = commands.add_parser("ssm", help="read cfnapi's SSM parameter store")
    ssm_commands = ssm.add_subparsers(dest="action", required=True)
    get_parameter = ssm_commands.add_parser(
        "get-parameter", help="print a parameter's value (e.g. /ec2/keypair/<KeyPairId>: a generated private key)")
    get_parameter.add_argument("name")
    owner = get_parameter.add_mutually_exclusive_group()
    owner.add_argument("--account-id", help="the parameter's account (default: the administrator's)")
    owner.add_argument("--access-key-id", help="the account of this access key")
    _add_common(get_parameter)

    sim = commands.add_parser("sim", help="the embedded simulated cloud")
    sim_commands = sim.add_subparsers(dest="action", required=True)
    show = sim_commands.add_parser("show", help="print the sim cloud's inventory")
    show.add_argument("--json", action="store_true")
    _add_common(show)
    force = sim_commands.add_parser("set-server-status",
                                    help="force a server into ERROR, SHUTOFF, ACTIVE or BUILD (a failure drill)")
    force.add_argument("server_id")
    force.add_argument("status", choices=("ERROR", "SHUTOFF", "ACTIVE", "BUILD"))
    force.add_argument("--fault", help="Nova's fault message for ERROR")
    _add_common(force)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command in ("serve", "api"):
        from cfnapi.server import serve

        serve(_settings(args, run_api=True, run_worker=args.command == "serve"))
        return 0
    if args.command == "worker":
        return _run_worker(_settings(args, run_api=False, run_worker=True))
    if args.command == "credentials":
        return _credentials(args)
    if args.command == "ssm":
        return _ssm_get_parameter(args)
    if args.command == "sim":
        return _sim(args)
    return 2


def _run_worker(settings: Settings) -> int:
    from cfnapi.server import build_runtime

    runtime = build_runtime(settings)
    runtime.start_background()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        runtime.stop()
    return 0


def _credentials(args: argparse.Namespace) -> int:
    from cfnapi.auth import CredentialStore, write_shared_credentials_file
    from cfnapi.server import open_database

    store = CredentialStore(open_database(_settings(args, run_api=False, run_worker=False)))
    if args.action == "create":
        credential = store.create(account_id=args.account_id, account_name=args.account_name, description=args.description)
        if args.write:
            write_shared_credentials_file(args.write, credential)
        print(json.dumps({
            "AccessKeyId": credential.access_key_id,
            "SecretAccessKey": credential.secret_access_key,
            "AccountId": credential.account_id,
        }, indent=2))
    elif args.action == "list":
        for credential in store.list():
            state = "active" if credential.active else "inactive"
            print(f"{credential.access_key_id}\t{credential.account_id}\t{state}\t{credential.description or ''}")
    elif args.action == "delete":
        store.delete(args.access_key_id)
    return 0


def _ssm_get_parameter(args: argparse.Namespace) -> int:
    """The value, as ``aws ssm get-parameter --with-decryption`` prints it (cfnapi serves no SSM API)."""
    from cfnapi.auth import CredentialStore
    from cfnapi.server import open_database
    from cfnapi.ssm import ParameterStore

    db = open_database(_settings(args, run_api=False, run_worker=False))
    credentials = CredentialStore(db)
    if args.access_key_id:
        credential = credentials.get(args.access_key_id)
        if credential is None:
            print(f"No access key {args.access_key_id}.", file=sys.stderr)
            return 1
        account_id = credential.account_id
    else:
        account_id = args.account_id or credentials.ensure_admin().credential.account_id
    parameter = ParameterStore(db).get(account_id, args.region, args.name)
    if parameter is None:
        print(f"ParameterNotFound: Parameter {args.name} not found.", file=sys.stderr)
        return 1
    print(parameter.value)
    return 0


def _sim(args: argparse.Namespace) -> int:
    from cfnapi.cloud.sim import load_config, seed
    from cfnapi.cloud.sim.show import main as show_main
    from cfnapi.server import open_database

    db = open_database(_settings(args, run_api=False, run_worker=False))
    config = load_config(args.cloud_config)
    seed(db, config)  # the seed is part of the inventory, even before a first serve
    if args.action == "set-server-status":
        from cfnapi.cloud.errors import CloudError
        from cfnapi.cloud.sim.operator import set_server_status

        try:
            server = set_server_status(db, config, args.server_id, args.status, args.fault)
        except CloudError as error:
            print(error.message, file=sys.stderr)
            return 1
        print(json.dumps({"id": server.id, "name": server.name, "status": server.status}))
        return 0
    return show_main(["--json"] if args.json else [], db=db, config=config)


if __name__ == "__main__":
    sys.exit(main())
