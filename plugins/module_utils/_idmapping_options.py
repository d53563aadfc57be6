# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of ``idmapping_job``, checked and normalised before anything is sent or written."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import InvalidParameterError
from ansible_collections.migrationops.atlassian.plugins.module_utils._idmapping_api import normalize_trigger_inputs
from ansible_collections.migrationops.atlassian.plugins.module_utils._journal import dest_path, journal_path
from ansible_collections.migrationops.atlassian.plugins.module_utils._local_files import refuse_non_regular

TRIGGER_INPUTS = ("product", "source_url", "destination_url")


def validate_params(params):
    """Normalised options, or InvalidParameterError naming the option. Sends nothing.

    ``dest_path`` is where the report and the hidden files beside it go (``_journal.dest_path``);
    ``dest`` stays as given, for the result.
    """
    opts = dict(params)
    opts.update(normalize_trigger_inputs(params.get("product"), params.get("source_url"), params.get("destination_url")))
    for option in ("job_id", "dest"):
        if opts.get(option) is not None:
            opts[option] = opts[option].strip()
            if not opts[option]:
                raise InvalidParameterError("%s must not be empty" % option)
    opts["dest_path"] = None
    if opts.get("dest") is not None:
        opts["dest_path"] = dest_path(opts["dest"])
        # A FIFO or a device would block the checksum of an "existing report"; a link is followed.
        refuse_non_regular(opts["dest_path"], "dest", follow=True)
        refuse_non_regular(journal_path(opts["dest_path"]), "the ID mapping journal")
    elif opts["wait"]:
        raise InvalidParameterError("dest is required when wait is true: the finished report is saved there (or set wait=false)")
    for option in ("wait_timeout", "wait_sleep"):
        if opts[option] < 0:
            raise InvalidParameterError("%s must be zero or more seconds, got %s" % (option, opts[option]))
    return opts


def describe(values):
    """The trigger inputs as one phrase: ``product source -> destination``."""
    return "%s %s -> %s" % tuple(values[name] for name in TRIGGER_INPUTS)
