# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    # Attributes every module of the collection shares.
    DOCUMENTATION = r"""
attributes:
  action_group:
    description: Use C(group/migrationops.atlassian.migration) in C(module_defaults) to set the connection once.
    support: full
    membership:
      - migrationops.atlassian.migration
"""
