"""``make demo``: a ready-to-use folder with config, database, demo data and the account demo/demo."""

from __future__ import annotations

import logging
from pathlib import Path

from openeo_gip.auth.passwords import hash_password
from openeo_gip.config import Config, load_config, write_default_config
from openeo_gip.db import Database, accounts

log = logging.getLogger(__name__)

DEMO_USER = "demo"
DEMO_PASSWORD = "demo"


def prepare_demo(folder: Path) -> Config:
    folder.mkdir(parents=True, exist_ok=True)
    config_file = folder / "config.toml"
    if not config_file.exists():
        write_default_config(config_file)
        log.info("wrote %s", config_file)
    config = load_config(config_file)
    data_root = config.paths.data_root
    if not data_root.exists() or not any(data_root.iterdir()):
        from openeo_gip.demodata.synthetic import write_demo_data

        log.info("writing demo data into %s (takes about half a minute)", data_root)
        write_demo_data(data_root)
    db = Database(config.database.url)
    db.upgrade()
    if accounts.find_user(db, DEMO_USER) is None:
        accounts.add_user(db, DEMO_USER, hash_password(DEMO_PASSWORD))
        log.info("created account %s/%s", DEMO_USER, DEMO_PASSWORD)
    db.dispose()
    return config
