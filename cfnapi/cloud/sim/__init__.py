"""The embedded simulated OpenStack: cfnapi's default cloud, kept in cfnapi's database.

    config = load_config(path_or_None)      # the shipped default_cloud.yaml when None
    seed(db, config)                        # idempotent
    cloud = SimCloud(db, account_id, config)  # a CloudProvider for one project
    inventory(db) / differences_from_seed(db, config)
"""

from cfnapi.cloud.sim.cloud import SimCloud
from cfnapi.cloud.sim.config import DEFAULT_CONFIG_PATH, ConfigError, SimConfig, load_config
from cfnapi.cloud.sim.inventory import differences_from_seed, inventory, seed_inventory
from cfnapi.cloud.sim.seed import seed

__all__ = [
    "DEFAULT_CONFIG_PATH", "ConfigError", "SimCloud", "SimConfig", "differences_from_seed",
    "inventory", "load_config", "seed", "seed_inventory",
]
