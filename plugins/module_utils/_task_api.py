# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Creating tasks (``POST /jobs/{jobId}/tasks``, 5 a minute) and reading what ``migration_task`` decides on."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import NotFoundError, NotVisibleYet, UnexpectedResponseError
from ansible_collections.migrationops.atlassian.plugins.module_utils._migration_api import BASE_PATH, MigrationApi
from ansible_collections.migrationops.atlassian.plugins.module_utils._urls import path_segment


class TaskApi:
    def __init__(self, client):
        self.client = client
        self.migration = MigrationApi(client)

    def tasks(self, job_id):
        """Every task of the job, newest first; a job the API does not know fails with a clear message."""
        path_segment(job_id, "job_id")
        try:
            return self.migration.tasks(job_id)
        except NotFoundError as exc:
            exc.message = "job %s does not exist (or is not visible yet): %s" % (job_id, exc.message)
            raise

    def root(self, job_id, task_id):
        """The root node of a task (``status``, ``outcome``, ``message``, no children), or None when it is not visible yet."""
        try:
            node = self.migration.status_tree(job_id, task_id, [], False)
        except NotVisibleYet:
            return None
        return dict((key, node.get(key)) for key in ("status", "outcome", "message"))

    def written(self, job_id, task_id, task_type):
        """Whether anything below the root of a task is visible: the checks of a check task are the
        root's children; a migrate task has a ``check`` (or ``migrate``) level. In doubt, True."""
        if task_type == "migrate":
            for level in (["check"], ["migrate"]):
                try:
                    self.migration.status_tree(job_id, task_id, level, False)
                    return True
                except NotVisibleYet:
                    pass
            return False
        try:
            node = self.migration.status_tree(job_id, task_id, [], True)
        except NotVisibleYet:
            return True
        return bool(node.get("children"))

    def create_task(self, job_id, body):
        path = "%s/jobs/%s/tasks" % (BASE_PATH, path_segment(job_id, "job_id"))
        answer = self.client.post_json(path, body)
        task_id = answer.get("taskId")
        if not isinstance(task_id, str) or not task_id:
            raise UnexpectedResponseError("the answer has no taskId", endpoint="POST %s" % path)
        return task_id

    def created_at(self, job_id, task_id):
        """``createdAt`` of a task just created, or None when it is not readable yet (eventual consistency).
        Other failures are raised; ``ensure_task`` turns them into a warning."""
        path = "%s/jobs/%s/tasks/%s" % (BASE_PATH, path_segment(job_id, "job_id"), path_segment(task_id, "task_id"))
        try:
            return self.client.get_json(path).get("createdAt")
        except NotFoundError:
            return None
