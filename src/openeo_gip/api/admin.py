"""What an administrator (a user with the role ``admin``) reads about the server: the users with their
storage and jobs, and the work queued or running. Read-only; accounts are managed with ``openeo-gip user``.

Not part of the openEO API, so its blueprint is left out of the capabilities document."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, jsonify
from flask.views import MethodView

from openeo_gip.api.common import services
from openeo_gip.auth.login import bearer_auth, current_user, roles_of
from openeo_gip.db.accounts import list_users
from openeo_gip.errors import ApiError
from openeo_gip.jobs.store import active_jobs, job_counts
from openeo_gip.model.dates import rfc3339
from openeo_gip.workspace import storage_used

blueprint = Blueprint("internal_admin", __name__)


def admin_required(view):
    @wraps(view)
    def checked(*args, **kwargs):
        if "admin" not in roles_of(current_user()):
            raise ApiError("PermissionsInsufficient", "Only administrators (role 'admin') may read this.")
        return view(*args, **kwargs)

    return checked


class Users(MethodView):
    decorators = [admin_required, bearer_auth.login_required]

    def get(self):
        config = services().config
        counts = job_counts(services().db)
        users = [
            {
                "id": user.id,
                "name": user.name,
                "roles": roles_of(user),
                "storage": {"used": storage_used(config, user.id), "quota": config.quota.storage_bytes},
                "jobs": counts.get(user.id, {}),
            }
            for user in list_users(services().db)
        ]
        return jsonify({"users": users})


class ActiveJobs(MethodView):
    decorators = [admin_required, bearer_auth.login_required]

    def get(self):
        names = {user.id: user.name for user in list_users(services().db)}
        jobs = [
            {
                "id": job.id,
                "title": job.title,
                "user": names.get(job.user_id, job.user_id),
                "status": job.status,
                "progress": job.progress,
                "created": rfc3339(job.created),
                "started": rfc3339(job.started) if job.started else None,
                "worker": job.worker,
            }
            for job in active_jobs(services().db)
        ]
        return jsonify({"jobs": jobs})


blueprint.add_url_rule("/admin/users", view_func=Users.as_view("admin_users"))
blueprint.add_url_rule("/admin/jobs", view_func=ActiveJobs.as_view("admin_jobs"))
