# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resources of the Migration API (``/migrations/public/v1``): task lists and status trees."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import NotFoundError, NotVisibleYet, UnexpectedResponseError
from ansible_collections.migrationops.atlassian.plugins.module_utils._pagination import iterate_pages
from ansible_collections.migrationops.atlassian.plugins.module_utils._status_tree import level_label, merge_nodes, validate_node
from ansible_collections.migrationops.atlassian.plugins.module_utils._urls import path_segment

BASE_PATH = "/migrations/public/v1"
# The most one read takes in over all its pages, far above any real listing; past them the service
# misbehaves and the read is refused. Tasks: a job gets a few per check or migration, created at
# most 5 a minute. Status tree nodes (each page's root and its descendants, counted on every page
# they come on): a real tree has tens of thousands at most; a million small nodes decoded take a
# few hundred MB, so the bound is also what a hostile server can make one read hold.
MAX_TASKS = 100000
MAX_TREE_NODES = 1000000


class MigrationApi:
    def __init__(self, client):
        self.client = client

    def _pages(self, path, params, count, max_items, items):
        return iterate_pages(
            self.client.get_json,
            self.client.url_for(path),
            params,
            deadline=self.client.deadline,
            endpoint="GET %s" % path,
            count=count,
            max_items=max_items,
            items=items,
        )

    def tasks(self, job_id):
        """Every task of a job, newest first (the documented order), over all pages."""
        path = "%s/jobs/%s/tasks" % (BASE_PATH, path_segment(job_id, "job_id"))

        def count(body):
            data = body.get("data")
            if not isinstance(data, list) or not all(isinstance(task, dict) for task in data):
                raise UnexpectedResponseError("the task list of job %s has no 'data' list" % job_id, endpoint="GET %s" % path)
            return len(data)

        tasks = []
        for body in self._pages(path, None, count, MAX_TASKS, "tasks"):
            tasks.extend(body["data"])
        return tasks

    def newest_task(self, job_id, task_type):
        """The newest task of ``task_type`` (check or migrate, any case) in the job.

        Raises NotVisibleYet when the job or such a task is not listed (yet): the API is eventually consistent.
        """
        try:
            tasks = self.tasks(job_id)
        except NotFoundError as exc:
            raise NotVisibleYet("job %s is not visible: %s" % (job_id, exc))
        for task in tasks:
            if str(task.get("taskType", "")).lower() == task_type.lower() and task.get("taskId"):
                return task
        raise NotVisibleYet("job %s has no %s task (among %d tasks)" % (job_id, task_type, len(tasks)))

    def status_tree(self, job_id, task_id, level, expand_children):
        """The node at ``level`` of a task's status tree, with all pages of children merged.

        Raises NotVisibleYet for a 404 or a level absent from the tree.
        """
        path = "%s/jobs/%s/tasks/%s/status" % (BASE_PATH, path_segment(job_id, "job_id"), path_segment(task_id, "task_id"))
        params = {}
        if level:
            params["level"] = ",".join(level)
        if expand_children:
            params["expandChildren"] = "true"
        where = "task %s of job %s at level %s" % (task_id, job_id, level_label(level))

        def count(body):
            data = body.get("data")
            if not data:
                raise NotVisibleYet("%s is not in the status tree yet" % where)
            return validate_node(data)

        node = None
        try:
            for body in self._pages(path, params, count, MAX_TREE_NODES, "status tree nodes"):
                node = body["data"] if node is None else merge_nodes(node, body["data"])
        except NotVisibleYet:
            raise
        except NotFoundError as exc:
            raise NotVisibleYet("%s is not visible: %s" % (where, exc))
        if not node.get("status"):
            raise NotVisibleYet("%s has no status yet" % where)
        return node
