"""WSGI entry point for servers other than waitress: ``gunicorn -w 4 'openeo_gip.wsgi:app'``.

The config file is named by ``OPENEO_GIP_CONFIG``. Every gunicorn worker builds its own app, with its own job
runner threads; they share the queue through the database.
"""

import os

from openeo_gip.app import create_app
from openeo_gip.config import PRIVATE_UMASK, load_config

os.umask(PRIVATE_UMASK)
app = create_app(load_config(os.environ.get("OPENEO_GIP_CONFIG")))
