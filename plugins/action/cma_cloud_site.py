# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs cma_cloud_site (it connects and attaches the cloud site) as one call, its secrets masked in ansible-core's debug output."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.migrationops.atlassian.plugins.plugin_utils._chunked_action import ChunkedModuleAction


class ActionModule(ChunkedModuleAction):
    MODULE = "migrationops.atlassian.cma_cloud_site"
