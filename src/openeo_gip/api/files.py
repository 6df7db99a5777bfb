"""The user's file workspace: ``/files`` and ``/files/{path}``."""

from __future__ import annotations

from flask import Blueprint, jsonify, request, send_file
from flask.views import MethodView
from werkzeug.exceptions import ClientDisconnected

from openeo_gip.api.common import page_links, paging, services
from openeo_gip.auth.login import bearer_auth, current_user
from openeo_gip.catalog.private import check_bundle_folder, is_collections_path
from openeo_gip.errors import ApiError
from openeo_gip.workspace import files_folder, user_folder
from openeo_gip.workspace.bundles import bundle_folder_name, receive_bundle
from openeo_gip.workspace.files import delete, list_files, store
from openeo_gip.workspace.paths import checked_parts, resolve_in
from openeo_gip.workspace.quota import user_quota
from openeo_gip.workspace.scratch import STAGING

blueprint = Blueprint("files", __name__)


def _root():
    return files_folder(services().config, current_user().id)


def _collections_changed(user_id: str) -> None:
    """Private collections (catalog/private.py) are rescanned after a change under ``collections/``."""
    catalog = services().catalog
    if catalog is not None:
        catalog.private_changed(user_id)


class FileList(MethodView):
    decorators = [bearer_auth.login_required]

    def get(self):
        limit, offset = paging()
        everything = list_files(_root())
        shown = everything[offset : offset + limit] if limit else everything[offset:]
        links = page_links("/files", limit, offset, len(everything))
        return jsonify({"files": [info.to_dict() for info in shown], "links": links})


class FileItem(MethodView):
    decorators = [bearer_auth.login_required]

    def get(self, path: str):
        target = resolve_in(_root(), path)
        if target.is_dir():
            raise ApiError("FileOperationUnsupported", "This path is a folder; only files can be downloaded.")
        if not target.is_file():
            raise ApiError("FileNotFound", file=path)
        # conditional=True answers Range requests (206) and streams from disk in chunks.
        return send_file(target, mimetype="application/octet-stream", conditional=True, etag=True)

    def put(self, path: str):
        config = services().config
        user = current_user()
        root = _root()
        target = resolve_in(root, path)
        parts = checked_parts(path)
        if (name := bundle_folder_name(parts)) is not None:
            try:
                info = receive_bundle(
                    config,
                    user.id,
                    name,
                    request.stream,
                    length=request.content_length,
                    check=check_bundle_folder,
                )
            except ClientDisconnected as exc:
                raise ApiError("FileContentInvalid", "The upload was cut off; nothing was stored.") from exc
            finally:
                _collections_changed(user.id)
            return jsonify(info.to_dict())
        replaced = target.stat().st_size if target.is_file() else 0
        try:
            info = store(
                root,
                target,
                request.stream,
                length=request.content_length,
                staging=user_folder(config, user.id) / STAGING,
                max_file=config.quota.file_bytes,
                quota=user_quota(config, user.id, freed=replaced),
            )
        except ClientDisconnected as exc:
            raise ApiError("FileContentInvalid", "The upload was cut off; nothing was stored.") from exc
        if is_collections_path(parts):
            _collections_changed(user.id)
        return jsonify(info.to_dict())

    def delete(self, path: str):
        root = _root()
        target = resolve_in(root, path)
        if not target.exists() and not target.is_symlink():
            raise ApiError("FileNotFound", file=path)
        delete(root, target)
        if is_collections_path(checked_parts(path)):
            _collections_changed(current_user().id)
        return "", 204


blueprint.add_url_rule("/files", view_func=FileList.as_view("list"))
blueprint.add_url_rule("/files/<path:path>", view_func=FileItem.as_view("item"))
