# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jobs of the Migration API: ``POST /jobs`` (5 a minute, at most 390 KB) and ``GET /jobs/{jobId}``."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import UnexpectedResponseError
from ansible_collections.migrationops.atlassian.plugins.module_utils._migration_api import BASE_PATH
from ansible_collections.migrationops.atlassian.plugins.module_utils._urls import path_segment


class JobApi:
    def __init__(self, client):
        self.client = client

    def create_job(self, definition):
        """Create a job; returns ``(job_id, definition as stored)``."""
        path = BASE_PATH + "/jobs"
        body = self.client.post_json(path, definition)
        job_id = body.get("jobId")
        if not isinstance(job_id, str) or not job_id:
            raise UnexpectedResponseError("the answer has no jobId", endpoint="POST %s" % path)
        stored = body.get("jobDefinition")
        return job_id, stored if isinstance(stored, dict) else definition

    def get_job(self, job_id):
        """The job's definition (documented as the bare definition; a ``jobDefinition`` wrapper is accepted too)."""
        body = self.client.get_json("%s/jobs/%s" % (BASE_PATH, path_segment(job_id, "job_id")))
        wrapped = body.get("jobDefinition")
        return wrapped if isinstance(wrapped, dict) else body
