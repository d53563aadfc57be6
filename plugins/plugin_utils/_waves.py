# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The waves playbook's decisions, as pure functions over its hosts' variables: where each wave
keeps its report and state, and what would go wrong with the waves before any of them starts."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import posixpath

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import AtlassianError
from ansible_collections.migrationops.atlassian.plugins.plugin_utils._summary import blank, job_declaration, job_definition


def wave_dirs(host, host_vars, report_dir=None, state_dir=None):
    """The report and state directories of one wave of the waves playbook: the host's own
    cloud_migration_report_dir / cloud_migration_state_dir, else <report_dir>/<host> and
    <state_dir>/<host> (the state under the report directory when ``state_dir`` is unset)."""
    host_vars = host_vars or {}
    report = host_vars.get("cloud_migration_report_dir") or (posixpath.join(report_dir, host) if not blank(report_dir) else "")
    state = host_vars.get("cloud_migration_state_dir") or (
        posixpath.join(state_dir, host) if not blank(state_dir) else host_vars.get("cloud_migration_report_dir") or report
    )
    return {"report_dir": report, "state_dir": state}


def _names(hosts):
    return hosts[0] if len(hosts) == 1 else "%s and %s" % (", ".join(hosts[:-1]), hosts[-1])


def waves_problems(hostvars, hosts, state_dir=None, awx_job_id=None, report_dir=None):
    """What would go wrong with these waves before any of them starts: ``errors`` (two waves
    declaring the same job, each creating one; a state directory holding the AWX job ID, so a
    relaunch creates every job again) and ``warnings`` (waves sharing a job name)."""
    errors = []
    warnings = []
    by_definition = {}
    by_name = {}
    for host in hosts:
        host_vars = (hostvars or {}).get(host) or {}
        if host_vars.get("cloud_migration_job_id") or not host_vars.get("cloud_migration_job"):
            continue
        declared = job_declaration(host_vars.get("cloud_migration_job"))
        try:
            key = json.dumps(job_definition(declared), sort_keys=True)
        except AtlassianError:
            key = json.dumps(declared, sort_keys=True, default=str)  # the wave's own run names what is wrong
        by_definition.setdefault(key, []).append(host)
        by_name.setdefault(str(declared.get("name")), []).append(host)
        job_id = "" if awx_job_id is None else str(awx_job_id).strip()
        where = wave_dirs(host, host_vars, report_dir, state_dir)["state_dir"]
        if job_id and job_id in str(where).split("/"):
            errors.append(
                "the state directory of %s (%s) holds the AWX job ID %s, so a relaunch would not find the jobs it created "
                "and would create them again: set migration_waves_state_dir (or cloud_migration_state_dir) to a fixed path" % (host, where, job_id)
            )
    for key, same in by_definition.items():
        if len(same) > 1:
            name = json.loads(key).get("name")
            errors.append("%s declare the same migration job (%s): each would create a job of its own" % (_names(same), name))
    for name, same in by_name.items():
        if len(same) > 1:
            warnings.append("%s declare jobs of the same name (%s)" % (_names(same), name))
    return {"errors": errors, "warnings": warnings}
