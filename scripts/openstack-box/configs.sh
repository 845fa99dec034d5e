# Helpers and per-service configuration for `up` (sourced after settings.sh).

quiet() {  # run a management command, keeping its chatter in a log unless it fails
  local log="$LOGS/manage-$(basename "$1")-$$-$RANDOM.log"
  "$@" > "$log" 2>&1 || { echo "FAILED: $*"; tail -30 "$log"; return 1; }
}
wait_pids() {  # pid... ; fail when any of these background commands failed
  local rc=0 pid
  for pid in "$@"; do wait "$pid" || rc=1; done
  return $rc
}
start_daemon() {  # name command... ; runs detached, PID recorded for `down`
  local name=$1; shift
  setsid nohup "$@" > "$LOGS/$name.out" 2>&1 < /dev/null & echo $! > "$RUN/$name.pid"
}
start_uwsgi() {  # name port module [extra uwsgi ini lines...]
  local name=$1 port=$2 module=$3; shift 3
  {
    echo "[uwsgi]"
    echo "http-socket = 127.0.0.1:$port"
    echo "module = $module"
    echo "virtualenv = $VENV"
    echo "master = true"
    echo "processes = 1"
    echo "threads = 4"
    echo "enable-threads = true"
    echo "lazy-apps = true"
    echo "die-on-term = true"
    echo "buffer-size = 65535"
    # http-socket does not keep connections alive; without this header clients
    # reuse a closed connection and their next POST fails with ECONNRESET.
    echo "add-header = Connection: close"
    for line in "$@"; do echo "$line"; done
  } > "$ETC/$name-uwsgi.ini"
  start_daemon "$name" "$VENV/bin/uwsgi" --ini "$ETC/$name-uwsgi.ini"
}
wait_http() {  # url name
  local code
  for _ in $(seq 1 480); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)
    case $code in 2*|3*|401) return 0;; esac
    if ! kill -0 "$(cat "$RUN/$2.pid" 2>/dev/null)" 2>/dev/null; then break; fi
    sleep 0.25
  done
  echo "$2 did not answer at $1"; tail -30 "$LOGS/$2".*; return 1
}
password_auth() {  # keystoneauth options for service account $1
  cat <<AUTH
auth_url = $KEYSTONE_URL
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $1
password = $PASSWORD
region_name = $REGION
AUTH
}
authtoken_section() {
  echo "[keystone_authtoken]"
  echo "www_authenticate_uri = $KEYSTONE_URL"
  echo "memcached_servers = $MEMCACHED"
  password_auth "$1"
}
db() { echo "$DB_URL/$DB_PREFIX$1?charset=utf8"; }

keystone_up() {
  mkdir -p "$ETC/keystone/fernet-keys" "$ETC/keystone/credential-keys"
  cat > "$ETC/keystone/keystone.conf" <<CONF
[DEFAULT]
log_file = $LOGS/keystone.log
[database]
connection = $(db keystone)
[token]
provider = fernet
[fernet_tokens]
key_repository = $ETC/keystone/fernet-keys
[fernet_receipts]
key_repository = $ETC/keystone/fernet-keys
[credential]
key_repository = $ETC/keystone/credential-keys
[cache]
enabled = true
backend = dogpile.cache.pymemcache
memcache_servers = $MEMCACHED
CONF
  local manage="keystone-manage --config-file $ETC/keystone/keystone.conf"
  quiet $manage db_sync
  [ -f "$ETC/keystone/fernet-keys/0" ] || quiet $manage fernet_setup --keystone-user root --keystone-group root
  [ -f "$ETC/keystone/credential-keys/0" ] || quiet $manage credential_setup --keystone-user root --keystone-group root
  quiet $manage bootstrap --bootstrap-password "$PASSWORD" --bootstrap-region-id "$REGION" \
    --bootstrap-admin-url "$KEYSTONE_URL/v3/" --bootstrap-internal-url "$KEYSTONE_URL/v3/" \
    --bootstrap-public-url "$KEYSTONE_URL/v3/"
  start_uwsgi keystone "$KEYSTONE_PORT" keystone.wsgi.api:application \
    "env = OS_KEYSTONE_CONFIG_FILES=$ETC/keystone/keystone.conf"
  wait_http "$KEYSTONE_URL/v3" keystone || return 1
  "$VENV/bin/python" "$HERE/box_seed.py" catalog
}

glance_config() {
  mkdir -p "$ETC/glance" "$DATA/glance/images" "$DATA/glance/staging" "$DATA/glance/tasks"
  cp "$VENV/etc/glance/glance-api-paste.ini" "$ETC/glance/"
  cat > "$ETC/glance/glance-api.conf" <<CONF
[DEFAULT]
log_file = $LOGS/glance.log
enabled_backends = fs:file
worker_self_reference_url = http://127.0.0.1:$GLANCE_PORT
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $DATA/glance/images
[os_glance_staging_store]
filesystem_store_datadir = $DATA/glance/staging
[os_glance_tasks_store]
filesystem_store_datadir = $DATA/glance/tasks
[database]
connection = $(db glance)
$(authtoken_section glance)
[paste_deploy]
flavor = keystone
CONF
}

placement_config() {
  mkdir -p "$ETC/placement"
  cat > "$ETC/placement/placement.conf" <<CONF
[DEFAULT]
log_file = $LOGS/placement.log
[placement_database]
connection = $(db placement)
[api]
auth_strategy = keystone
$(authtoken_section placement)
CONF
}

neutron_config() {
  mkdir -p "$ETC/neutron" "$DATA/locks"
  cp "$VENV/etc/neutron/api-paste.ini" "$ETC/neutron/"
  # No agents run: no DHCP notifications, and only the router service plugin
  # (trunk refuses to load beside the bind-every-port driver).
  cat > "$ETC/neutron/neutron.conf" <<CONF
[DEFAULT]
log_file = $LOGS/neutron.log
core_plugin = ml2
service_plugins = router
auth_strategy = keystone
transport_url = $TRANSPORT_URL
notify_nova_on_port_status_changes = True
notify_nova_on_port_data_changes = True
dhcp_agent_notification = False
api_paste_config = $ETC/neutron/api-paste.ini
[database]
connection = $(db neutron)
$(authtoken_section neutron)
[nova]
$(password_auth nova)
[oslo_concurrency]
lock_path = $DATA/locks
CONF
  cat > "$ETC/neutron/ml2_conf.ini" <<CONF
[ml2]
type_drivers = flat,vlan,vxlan
tenant_network_types = vxlan
mechanism_drivers = bind_every_port
extension_drivers = port_security
[ml2_type_flat]
flat_networks = *
[ml2_type_vlan]
network_vlan_ranges = physnet1:100:200
[ml2_type_vxlan]
vni_ranges = 1:10000
CONF
}

nova_config() {
  mkdir -p "$ETC/nova" "$DATA/nova/instances" "$DATA/locks"
  cp "$VENV/etc/nova/api-paste.ini" "$ETC/nova/"
  # FakeDriverWithoutFakeNodes keeps its node identity in state_path, so
  # nova-compute survives a restart (FakeDriver invents a new node each time).
  cat > "$ETC/nova/nova.conf" <<CONF
[DEFAULT]
transport_url = $TRANSPORT_URL
compute_driver = fake.FakeDriverWithoutFakeNodes
host = cfnapi-box
my_ip = 127.0.0.1
state_path = $DATA/nova
instances_path = $DATA/nova/instances
vif_plugging_is_fatal = False
vif_plugging_timeout = 0
# A resize (an EC2 InstanceType update) must keep the server in its zone, as
# AWS's stop/modify/start does. One fake host serves each zone, so the resize
# has to be allowed onto the host the server already runs on, as single-host
# deployments do...
allow_resize_to_same_host = True
# ...and the scheduler has to keep it in its zone. Nova 2024.1+ has no
# AvailabilityZoneFilter: only a server whose request spec names a zone is
# kept in that zone's aggregate (placement prefilter). Servers booted without
# a zone are pinned to "nova" here (AWS, too, places every instance in a zone
# it never leaves), and box_seed.py gives "nova" an aggregate like the others.
default_schedule_zone = nova
[api_database]
connection = $(db nova_api)
[database]
connection = $(db nova)
[api]
auth_strategy = keystone
$(authtoken_section nova)
[service_user]
send_service_user_token = True
$(password_auth nova)
[placement]
$(password_auth placement)
[neutron]
$(password_auth neutron)
[cinder]
os_region_name = $REGION
$(password_auth nova)
[glance]
region_name = $REGION
[scheduler]
discover_hosts_in_cells_interval = 5
workers = 1
[conductor]
workers = 1
[oslo_concurrency]
lock_path = $DATA/locks
[oslo_messaging_notifications]
driver = noop
[vnc]
enabled = False
[wsgi]
api_paste_config = $ETC/nova/api-paste.ini
CONF
}

compute_host() {  # zone -> the fake compute host serving it
  if [ "$1" = nova ]; then echo cfnapi-box; else echo "cfnapi-box-$1"; fi
}
nova_compute_config() {  # zone; each host keeps its node identity in its own state_path
  local state=$DATA/nova
  [ "$1" = nova ] || state=$DATA/nova-$1
  mkdir -p "$state/instances"
  cat > "$ETC/nova/compute-$1.conf" <<CONF
[DEFAULT]
host = $(compute_host "$1")
state_path = $state
instances_path = $state/instances
CONF
}

nova_db_sync() {
  local manage="nova-manage --config-file $ETC/nova/nova.conf"
  quiet $manage api_db sync || return 1
  quiet $manage cell_v2 map_cell0 --database_connection "$(db nova_cell0)" || return 1
  # create_cell exits 2 when cell1 already exists (a restart without reset).
  $manage cell_v2 create_cell --name cell1 > "$LOGS/manage-create-cell.log" 2>&1
  case $? in 0|2) ;; *) tail -20 "$LOGS/manage-create-cell.log"; return 1;; esac
  quiet $manage db sync
}

cinder_config() {
  mkdir -p "$ETC/cinder" "$DATA/cinder" "$DATA/locks"
  cp "$VENV/etc/cinder/api-paste.ini" "$VENV/etc/cinder/resource_filters.json" "$ETC/cinder/"
  cat > "$ETC/cinder/cinder.conf" <<CONF
[DEFAULT]
transport_url = $TRANSPORT_URL
auth_strategy = keystone
enabled_backends = $(cinder_backends | paste -sd, -)
host = cfnapi-box
my_ip = 127.0.0.1
state_path = $DATA/cinder
api_paste_config = $ETC/cinder/api-paste.ini
resource_query_filters_file = $ETC/cinder/resource_filters.json
# DeletionPolicy Snapshot on a volume is a Cinder backup: cinder-backup reads the
# fake driver's sparse volume files (an os-brick "local" connection) into a directory.
backup_driver = cinder.backup.drivers.posix.PosixBackupDriver
backup_posix_path = $DATA/cinder/backups
backup_compression_algorithm = none
[database]
connection = $(db cinder)
$(authtoken_section cinder)
[nova]
$(password_auth nova)
[service_user]
send_service_user_token = True
$(password_auth cinder)
[oslo_concurrency]
lock_path = $DATA/locks
[oslo_messaging_notifications]
driver = noop
[privsep_osbrick]
# os-brick's privileged helper, started directly: the box runs as root and has no sudo.
helper_command = privsep-helper --config-file $ETC/cinder/cinder.conf
CONF
  # One backend per Nova zone (each in its own cinder-volume child process), so
  # a volume can sit in the zone of the instance it is attached to, as on AWS.
  for zone in $COMPUTE_ZONES; do
    cat >> "$ETC/cinder/cinder.conf" <<CONF
[$(cinder_backends "$zone")]
volume_driver = cfnapi_box_plugins.cinder_volume_driver.ImageCloningFakeDriver
volume_backend_name = fake
backend_availability_zone = $zone
CONF
  done
}

cinder_backup_config() {  # zone; Cinder's scheduler sends a volume's backup to a cinder-backup in its zone
  cat > "$ETC/cinder/backup-$1.conf" <<CONF
[DEFAULT]
host = $(compute_host "$1")
storage_availability_zone = $1
CONF
}

cinder_backends() {  # [zone]: the backend section name of one zone, or of every zone
  local zone
  for zone in ${1:-$COMPUTE_ZONES}; do
    if [ "$zone" = nova ]; then echo fake; else echo "fake-$zone"; fi
  done
}

swift_config() {
  mkdir -p "$ETC/swift" "$DATA/swift/d1"
  cat > "$ETC/swift/swift.conf" <<CONF
[swift-hash]
swift_hash_path_suffix = cfnapi-box
swift_hash_path_prefix = cfnapi-box
[storage-policy:0]
name = Policy-0
default = yes
CONF
  local ring port
  for ring in object container account; do
    case $ring in object) port=$SWIFT_OBJECT_PORT;; container) port=$SWIFT_CONTAINER_PORT;; account) port=$SWIFT_ACCOUNT_PORT;; esac
    if [ ! -f "$ETC/swift/$ring.ring.gz" ]; then
      (cd "$ETC/swift" && swift-ring-builder $ring.builder create 8 1 1 >/dev/null &&
       swift-ring-builder $ring.builder add "r1z1-127.0.0.1:$port/d1" 1 >/dev/null &&
       { swift-ring-builder $ring.builder rebalance >/dev/null || true; })
    fi
    cat > "$ETC/swift/$ring-server.conf" <<CONF
[DEFAULT]
user = root
devices = $DATA/swift
mount_check = false
bind_ip = 127.0.0.1
bind_port = $port
workers = 1
swift_dir = $ETC/swift
[pipeline:main]
pipeline = $ring-server
[app:$ring-server]
use = egg:swift#$ring
CONF
  done
  # authtoken must run before s3api/s3token, or s3token's identity is stripped
  # and every S3 call fails with SignatureDoesNotMatch.
  cat > "$ETC/swift/proxy-server.conf" <<CONF
[DEFAULT]
user = root
bind_ip = 127.0.0.1
bind_port = $SWIFT_PORT
workers = 1
swift_dir = $ETC/swift
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk authtoken s3api s3token keystoneauth copy slo dlo proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:cache]
use = egg:swift#memcache
memcache_servers = $MEMCACHED
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:bulk]
use = egg:swift#bulk
[filter:s3api]
use = egg:swift#s3api
location = $REGION
[filter:s3token]
use = egg:swift#s3token
auth_uri = $KEYSTONE_URL/v3
$(password_auth swift | sed "s#^auth_url = .*#auth_url = $KEYSTONE_URL/v3#")
[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
www_authenticate_uri = $KEYSTONE_URL
memcached_servers = $MEMCACHED
delay_auth_decision = True
$(password_auth swift)
[filter:keystoneauth]
use = egg:swift#keystoneauth
operator_roles = admin, member
reseller_admin_role = ResellerAdmin
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
CONF
}
