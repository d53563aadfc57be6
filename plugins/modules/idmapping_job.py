#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: idmapping_job
short_description: Ensure an Atlassian ID mapping report of a finished cloud migration is saved locally
version_added: 0.1.0
description:
  - Ensures that an ID mapping report, which maps the IDs of a Server/Data Center instance to the
    IDs of the Cloud site it was migrated to, exists at O(dest). It triggers a report job through the
    ID Mapping API (or resumes one), waits until the report is generated, and downloads it.
  - "Idempotency, in this order: when O(dest) exists and O(force) is V(false), nothing is requested
    and C(changed) is V(false). When an earlier run was interrupted (a timeout, a killed controller),
    the job it left in flight for the same O(product) and URLs is resumed, not triggered again: the
    module keeps a small hidden journal for this beside O(dest) (C(.<name>.idmapping.json)) and
    removes it once the report is in place. Otherwise a new report job is triggered."
  - The report is streamed to a hidden temporary file in the directory of O(dest) while its SHA-256
    is computed, proven complete, synced to disk and moved into place atomically. O(dest) is never
    partial, and a report already at O(dest) survives a failed run.
  - "What proves a report complete: all the bytes C(Content-Length) announces; or, for a chunked
    answer, its final chunk; and for a C(gzip) or C(deflate) C(Content-Encoding), also the end of
    the compressed stream with its check value (CRC-32 and size for gzip), the report being saved
    decoded. A body that ends before that is refused and retried with a fresh link. An answer with
    neither a length nor chunks ends when the server closes the connection: a reset or a stall
    fails, but a server that closes early on purpose cannot be told from one that is done (nor, over
    TLS, a close without the TLS close_notify, which Python does not report), so such a report is
    accepted with a warning saying its completeness was not verified. Another
    C(Content-Encoding) (C(br), C(zstd)...) is refused rather than saved undecoded."
  - "The report's format is not documented by Atlassian: CSV, JSON lines (SAM style), zip or
    anything else is saved as it comes, whatever its C(Content-Type). A 200 answer is refused only
    when it is an HTML page or a single small JSON object with an error's keys (C(errorMessage),
    C(error), C(Error), C(errors), or C(message) with C(status) or C(code)), never because it does
    not parse as JSON."
  - "One run at a time per O(dest): a run that may write it holds an exclusive lock
    (C(flock) on C(.<name>.lock) beside O(dest), removed when the run ends) from reading the journal
    to installing the report. A second run on the same O(dest) fails at once, before any request,
    naming the process that holds it. Holding the lock, a run removes the temporary files
    (C(.<name>.<hex>.part), C(.<name>.idmapping.json.<hex>.tmp)) that a killed run left behind; so
    does a run that finds O(dest) in place, when no live run holds the lock and its directory is
    writable. The lock needs a local file system or one with working
    C(flock) (NFSv4 on Linux)."
  - "O(dest) may be a symbolic link to a regular file: it is followed to decide whether the report
    exists, for its checksum and for O(mode), O(owner) and O(group); a new report (O(force)) replaces
    the link itself with a regular file, as Ansible's atomic move does. A FIFO, a device, a socket
    or a directory at O(dest), and anything but a regular file at the journal or lock path (a
    symbolic link included: the module never creates one there) are refused at once, without
    blocking on them."
  - O(mode), O(owner) and O(group) are checked before any request (an unknown user or group, a
    mode that is neither octal nor symbolic, an owner or group this user cannot give without root),
    so nothing is triggered or downloaded for a run that could not apply them. A report written
    where there was none appears at O(dest) readable by its owner only and then gets its O(mode);
    without O(mode) it gets what Ansible gives a new file (V(0666) less the umask). A report that
    replaces one (O(force)) has the old one's mode until its O(mode) is applied, as with Ansible's
    own modules.
  - The presigned download link is fetched without Atlassian credentials. An expired or rejected
    link, a broken connection, a stall longer than O(request_timeout) or a body cut short is retried
    with a fresh link, at most 3 attempts in all. The link and its signature never appear in results, warnings, errors or logs.
  - A job that ends in C(ERROR), or whose job or report has expired (HTTP 404), is replaced by one
    fresh job per run (see O(retrigger)).
author:
  - MigrationOps contributors (@migrationops)
extends_documentation_fragment:
  - migrationops.atlassian.connection
  - migrationops.atlassian.attributes
  - ansible.builtin.files
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details:
      - In check mode nothing is triggered, downloaded or written. The status of a known job (O(job_id)
        or a journal) is read once, without waiting.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
options:
  product:
    description:
      - The product that was migrated, V(JIRA) or V(CONFLUENCE), in any case (V(jira) works too).
      - Required to trigger a job, together with O(source_url) and O(destination_url), unless O(job_id)
        is set or a journal beside O(dest) names a job in flight.
    type: str
  source_url:
    description:
      - Base URL of the Server/Data Center instance, for example V(https://jira.example.com).
      - Must be an absolute C(http) or C(https) URL with a host; a trailing C(/) is stripped.
      - Required to trigger a job.
    type: str
  destination_url:
    description:
      - URL of the Cloud site, for example V(https://example.atlassian.net).
      - Must be an absolute C(http) or C(https) URL with a host; a trailing C(/) is stripped.
      - Required to trigger a job.
    type: str
  job_id:
    description:
      - Use this existing report job instead of triggering one, for example the RV(job_id) of an
        earlier run with O(wait=false). It wins over a journal beside O(dest).
      - When it ended in C(ERROR) or has expired, a fresh job can be triggered only if O(product),
        O(source_url) and O(destination_url) are set as well.
    type: str
  dest:
    description:
      - Path of the file the report is saved to. Its directory must exist and be writable.
      - The directory is resolved once, symbolic links and C(..) as the system resolves them, and the
        report and its hidden files (lock, journal, temporary files) all go in the directory found.
        A path that ends in C(/) is refused.
      - The hidden files are named after the report, up to 29 bytes longer, so its name may have at
        most 29 bytes fewer than the file system allows (226 of the usual 255); a longer one is
        refused before any request.
      - Required when O(wait=true), the default. With O(wait=false) it is optional; when set, the
        triggered job is remembered in the journal beside it, so a later run resumes it.
      - The report format is Atlassian's and is saved byte for byte (decoded when it was sent with a
        gzip or deflate C(Content-Encoding)).
    type: path
  force:
    description:
      - Generate a fresh report even though O(dest) exists. The old report is replaced only once the
        new one is completely downloaded.
      - With V(false), an existing O(dest) is left alone and no request is made (its O(mode),
        O(owner) and O(group) are still applied).
    type: bool
    default: false
  wait:
    description:
      - Wait until the report is generated and download it to O(dest).
      - With V(false), trigger a job (or read the status of the known one) and return at once,
        without downloading; RV(status) tells how far the job is. A later run with the default
        V(true) resumes the job and downloads the report.
    type: bool
    default: true
  wait_timeout:
    description:
      - How long to wait for the report to be generated, in seconds, over all jobs of the run
        (including one triggered by O(retrigger)).
      - With O(wait=true) the whole call, download included, ends within O(wait_timeout) +
        O(request_timeout) (and a few seconds to start and exit). A report still arriving then fails
        the run, the old O(dest) untouched, and the next run resumes the job.
    type: int
    default: 3600
  wait_sleep:
    description:
      - Seconds between status reads. V(0) polls back to back, which only makes sense against a simulator.
    type: int
    default: 10
  retrigger:
    description:
      - When the job ends in C(ERROR), or the job or its report has expired (HTTP 404), trigger one
        fresh job and keep waiting within the same O(wait_timeout). At most one per run.
      - With V(false) such a job fails the task, naming the job and Atlassian's message and request ID.
      - A job that failed this way is forgotten (its journal is removed), so the next run triggers anew.
    type: bool
    default: true
  fail_on_timeout:
    description:
      - Fail when O(wait_timeout) passes before the report is generated. The job is kept in the
        journal, and the next run resumes it.
      - With V(false) the module returns normally with RV(timed_out=true), for waits in chunks that
        report progress between them (O(heartbeat) does this for you).
    type: bool
    default: true
  heartbeat:
    description:
      - With O(wait), print one line of progress every O(heartbeat) seconds while waiting, live
        under the running task, on the controller's output and as an ansible-runner C(verbose)
        event (AWX shows it while the task runs). The line starts with the inventory host name.
      - The wait then runs as module calls of at most O(heartbeat) seconds, made by the action
        plugin of the same name; the result does not depend on it (RV(polls) and RV(elapsed)
        count the whole wait). V(0) prints no lines. A C(no_log) task prints no lines; an C(async)
        task runs as one call and prints no lines either.
    type: int
    default: 0
    version_added: 0.2.0
notes:
  - Report jobs and reports have a limited lifetime on Atlassian's side; a resumed job that has
    expired is replaced according to O(retrigger).
  - The module talks to the API from the host it runs on, and writes O(dest) there.
seealso:
  - module: migrationops.atlassian.migration_task_status
  - name: ID mapping reports
    description: Atlassian's guide to triggering an ID mapping job and downloading the report.
    link: https://developer.atlassian.com/cloud/migration/status-and-download-report
"""

EXAMPLES = r"""
- name: Save the ID mapping report of a finished Jira migration
  migrationops.atlassian.idmapping_job:
    product: JIRA
    source_url: https://jira.example.com
    destination_url: https://example.atlassian.net
    dest: /var/lib/migration/jira-id-mappings.csv
    mode: "0640"
  register: report

- name: Show where it is and its checksum
  ansible.builtin.debug:
    msg: "{{ report.dest }} ({{ report.size }} bytes, sha256 {{ report.sha256 }})"

- name: Trigger a report job and return at once
  migrationops.atlassian.idmapping_job:
    product: confluence
    source_url: https://confluence.example.com
    destination_url: https://example.atlassian.net
    wait: false
  register: confluence_job

- name: Later (another play, another day), wait for that job and download its report
  migrationops.atlassian.idmapping_job:
    job_id: "{{ confluence_job.job_id }}"
    dest: /var/lib/migration/confluence-id-mappings.csv

- name: Regenerate the report after a re-migration (the old file stays until the new one is complete)
  migrationops.atlassian.idmapping_job:
    product: JIRA
    source_url: https://jira.example.com
    destination_url: https://example.atlassian.net
    dest: /var/lib/migration/jira-id-mappings.csv
    force: true

- name: Wait up to two hours, printing a line of progress every five minutes (AWX shows it live)
  migrationops.atlassian.idmapping_job:
    product: JIRA
    source_url: https://jira.example.com
    destination_url: https://example.atlassian.net
    dest: /var/lib/migration/jira-id-mappings.csv
    wait_timeout: 7200
    wait_sleep: 30
    heartbeat: 300

- name: Set the connection once for every module of the collection
  module_defaults:
    group/migrationops.atlassian.migration:
      api_url: https://api.atlassian.com
      email: "{{ atlassian_email }}"
      api_token: "{{ atlassian_api_token }}"
  block:
    - name: Save the report
      migrationops.atlassian.idmapping_job:
        product: JIRA
        source_url: https://jira.example.com
        destination_url: https://example.atlassian.net
        dest: /var/lib/migration/jira-id-mappings.csv
"""

RETURN = r"""
job_id:
  description:
    - The report job that was triggered, resumed or given. Null when nothing was needed (O(dest)
      exists) or, in check mode, when a job would be triggered.
    - A failed result carries it too whenever a job exists, so a C(rescue) can read it.
  returned: always
  type: str
  sample: 5f0c8a4e-2d1b-4c3a-9e8f-7a6b5c4d3e2f
status:
  description:
    - Last known status of the job, C(PENDING), C(IN_PROGRESS), C(SUCCESS) or C(ERROR); null when no
      job was involved.
  returned: always
  type: str
  sample: SUCCESS
triggered:
  description:
    - Whether this run triggered a new report job (in check mode, whether it would).
  returned: always
  type: bool
dest:
  description: The O(dest) path, or null when it was not given.
  returned: always
  type: str
  sample: /var/lib/migration/jira-id-mappings.csv
size:
  description: Size in bytes of the report at O(dest) when the module returned; null when there is none.
  returned: always
  type: int
  sample: 1048576
sha256:
  description:
    - SHA-256 of the report at O(dest) when the module returned, computed while it was downloaded
      (or read from the existing file); null when there is none.
  returned: always
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
timed_out:
  description: Whether the wait ended at O(wait_timeout) before the report was generated.
  returned: always
  type: bool
elapsed:
  description: Seconds the run took, waiting included.
  returned: always
  type: float
  sample: 312.5
polls:
  description: Status reads made, not counting retries.
  returned: always
  type: int
  sample: 31
changed:
  description:
    - V(true) when a job was triggered or a report was written (or its O(mode), O(owner) or O(group)
      changed); in check mode, whether that would happen.
  returned: always
  type: bool
uid:
  description: Owner ID of O(dest), added by Ansible for any result with a C(dest) that exists.
  returned: when O(dest) exists
  type: int
  sample: 0
gid:
  description: Group ID of O(dest), added by Ansible.
  returned: when O(dest) exists
  type: int
  sample: 0
owner:
  description: Owner name of O(dest), added by Ansible.
  returned: when O(dest) exists
  type: str
  sample: root
group:
  description: Group name of O(dest), added by Ansible.
  returned: when O(dest) exists
  type: str
  sample: root
mode:
  description: Permissions of O(dest), added by Ansible.
  returned: when O(dest) exists
  type: str
  sample: "0640"
state:
  description: Type of O(dest), added by Ansible; V(file) for a report.
  returned: when O(dest) exists
  type: str
  sample: file
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.migrationops.atlassian.plugins.module_utils._file_attributes import check_file_attributes
from ansible_collections.migrationops.atlassian.plugins.module_utils._idmapping_api import IdMappingApi
from ansible_collections.migrationops.atlassian.plugins.module_utils._idmapping_job import IdMappingRun
from ansible_collections.migrationops.atlassian.plugins.module_utils._local_files import LocalFileError
from ansible_collections.migrationops.atlassian.plugins.module_utils._module import connection_argument_spec, run_module


# Without ``mode`` a new report gets what Ansible gives a new file: 0666 less the umask.
NEW_FILE_MODE = 0o666


def argument_spec():
    spec = connection_argument_spec()
    spec.update(
        product=dict(type="str"),
        source_url=dict(type="str"),
        destination_url=dict(type="str"),
        job_id=dict(type="str"),
        dest=dict(type="path"),
        force=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=3600),
        wait_sleep=dict(type="int", default=10),
        retrigger=dict(type="bool", default=True),
        fail_on_timeout=dict(type="bool", default=True),
        heartbeat=dict(type="int", default=0),
    )
    return spec


class ReportFile:
    """Puts the downloaded report in place and applies mode, owner and group, the AnsibleModule way."""

    def __init__(self, module):
        self.module = module

    def check_attributes(self):
        directory = os.path.dirname(os.path.abspath(self.module.params["dest"]))
        check_file_attributes(self.module.params, AnsibleModule._symbolic_mode_to_octal, directory)

    def install(self, temp, dest):
        creating = not os.path.exists(dest)
        # atomic_move gives a new file 0666 & ~umask before ``mode`` is applied: under umask 077 the
        # report appears 0600, never wider than the mode it gets.
        umask = os.umask(0o077)
        try:
            self.module.atomic_move(temp, dest, unsafe_writes=self.module.params["unsafe_writes"])
        except Exception as exc:  # pylint: disable=broad-except
            # atomic_move raises plain Exception (older ansible-core calls fail_json itself).
            raise LocalFileError("cannot move the downloaded report into place at %s: %s" % (dest, exc))
        finally:
            os.umask(umask)
        if creating and self.module.params["mode"] is None:
            try:
                os.chmod(dest, NEW_FILE_MODE & ~umask)
            except OSError as exc:
                raise LocalFileError("cannot set the mode of the new report %s: %s" % (dest, exc.strerror))

    def apply_attributes(self, dest, changed):
        # A link at dest is followed (as documented): Ansible would leave the mode and chown the link.
        path = os.path.realpath(dest) if os.path.islink(dest) else dest
        file_args = self.module.load_file_common_arguments(self.module.params, path=path)
        return self.module.set_fs_attributes_if_different(file_args, changed)


def run(module, client):
    job = IdMappingRun(IdMappingApi(client), module.params, module.warn, ReportFile(module), check_mode=module.check_mode)
    return job.run()


def main():
    module = AnsibleModule(argument_spec=argument_spec(), add_file_common_args=True, supports_check_mode=True)
    run_module(module, run)


if __name__ == "__main__":
    main()
