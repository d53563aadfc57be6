# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the cloud_migration role and the waves playbook; the logic is in plugin_utils."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.migrationops.atlassian.plugins.plugin_utils._report import summary_data, summary_sections, waves_table
from ansible_collections.migrationops.atlassian.plugins.plugin_utils._summary import (
    check_mode_skip,
    job_declaration,
    overridden_checks,
    override_problem,
    plan_steps,
    variable_problems,
    wait_failure,
    workflow_stats,
)
from ansible_collections.migrationops.atlassian.plugins.plugin_utils._waves import wave_dirs, waves_problems


class FilterModule(object):
    def filters(self):
        return {
            "cloud_migration_job": job_declaration,
            "cloud_migration_steps": plan_steps,
            "cloud_migration_problems": variable_problems,
            "cloud_migration_overrides": overridden_checks,
            "cloud_migration_override_problem": override_problem,
            "cloud_migration_check_mode_skip": check_mode_skip,
            "cloud_migration_failure": wait_failure,
            "cloud_migration_summary": summary_data,
            "cloud_migration_summary_sections": summary_sections,
            "cloud_migration_stats": workflow_stats,
            "migration_waves_table": waves_table,
            "migration_waves_problems": waves_problems,
            "migration_wave_dirs": wave_dirs,
        }
