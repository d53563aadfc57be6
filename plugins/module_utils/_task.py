# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``migration_task``: reuse the newest matching task or create one, never a second migrate task,
never while the job's newest task runs. A task the instance refused (only its root, FINISHED/FAILED)
is not reused. Runs at once that each created a task converge on the oldest one. Pure logic (the
API is passed in)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import AtlassianError, OutcomeFailure, answer_lost
from ansible_collections.migrationops.atlassian.plugins.module_utils._task_options import options_of, same_options

REQUEST_NAMES = {"check": "Check", "migrate": "Migrate"}


def refusal(root, written):
    """The reason the instance refused a task, or None when it did not (or it cannot be told yet).

    A task the on-premises Migration Assistant refuses (site not attached, wrong server ID, another
    task running, migration already done, ...) has only its root, ``FINISHED``/``FAILED`` with the
    reason as message; ``written`` says whether anything below the root is visible.
    """
    if not isinstance(root, dict) or written:
        return None
    if str(root.get("status") or "").upper() != "FINISHED" or str(root.get("outcome") or "").upper() != "FAILED":
        return None
    return str(root.get("message") or "no reason given")


def _type(task):
    return str(task.get("taskType", "")).lower()


def _found(job_id, task, task_type):
    return dict(
        job_id=job_id,
        task_id=task.get("taskId"),
        task_type=task_type,
        created=False,
        options=options_of(task),
        created_at=task.get("createdAt"),
        changed=False,
    )


class _Roots:
    """Root nodes and refusals of the job's tasks, each read at most once per run."""

    def __init__(self, api, job_id):
        self.api = api
        self.job_id = job_id
        self.roots = {}
        self.refusals = {}

    def root(self, task_id):
        if task_id not in self.roots:
            self.roots[task_id] = self.api.root(self.job_id, task_id)
        return self.roots[task_id]

    def refusal(self, task):
        task_id = task["taskId"]
        if task_id not in self.refusals:
            why = refusal(self.root(task_id), False)
            if why is not None and self.api.written(self.job_id, task_id, _type(task)):
                why = None
            self.refusals[task_id] = why
        return self.refusals[task_id]

    def oldest_standing(self, tasks):
        """The oldest of ``tasks`` (newest first) that the instance did not refuse, or None."""
        for task in reversed(tasks):
            if self.refusal(task) is None:
                return task
        return None

    def refused(self, tasks):
        return "; ".join("%s (%s)" % (task["taskId"], self.refusals.get(task["taskId"])) for task in tasks)


def _rivals(tasks, before, task_type, options, own_id=None):
    """Tasks of ``task_type`` (check tasks: with these options) listed now but not when this run read the list."""
    return [
        task
        for task in tasks
        if task["taskId"] not in before
        and task["taskId"] != own_id
        and _type(task) == task_type
        and (task_type == "migrate" or same_options(options_of(task), options))
    ]


def ensure_task(api, job_id, task_type, options, force, check_mode, warn):
    """The module result. ``api`` has ``tasks(job_id)`` (newest first), ``root(job_id, task_id)`` (the
    root node or None when not visible yet), ``written(job_id, task_id, task_type)`` (anything visible
    below the root), ``create_task(job_id, body) -> task_id`` and ``created_at(job_id, task_id)``."""
    tasks = [task for task in api.tasks(job_id) if task.get("taskId")]
    roots = _Roots(api, job_id)
    same_type = [task for task in tasks if _type(task) == task_type]
    if task_type == "migrate" and same_type:
        # The oldest one that was not refused: the one every run picks, even after two runs created one each.
        found = roots.oldest_standing(same_type)
        if found is not None:
            if not same_options(options_of(found), options):
                warn(
                    "job %s already has migrate task %s, with other options (%s); a job is migrated at most once, so it is "
                    "returned as it is" % (job_id, found["taskId"], options_of(found) or "none")
                )
            return _found(job_id, found, task_type)
        warn(
            "job %s has only migrate tasks that the instance refused, which migrated nothing: %s. A new migrate task is "
            "created" % (job_id, roots.refused(same_type))
        )
    if task_type == "check" and not force:
        matching = [task for task in same_type if same_options(options_of(task), options)]
        for task in matching:
            if roots.refusal(task) is None:
                return _found(job_id, task, task_type)
        if matching:
            warn(
                "job %s: the check task with these options was refused by the instance and ran no check, so it is not "
                "reused: %s. A new check task is created" % (job_id, roots.refused(matching))
            )
    if tasks:
        newest = tasks[0]
        status = (roots.root(newest["taskId"]) or {}).get("status")
        if status != "FINISHED":
            result = dict(job_id=job_id, task_id=None, task_type=task_type, created=False, options=options, created_at=None, changed=False)
            raise OutcomeFailure(
                "job %s: its newest task %s (%s) is %s; the service runs one task per job at a time, so no %s task was "
                "created. Wait for it (migration_task_status with wait) and run again"
                % (job_id, newest["taskId"], _type(newest), status or "not visible yet", task_type),
                result,
            )
    result = dict(job_id=job_id, task_id=None, task_type=task_type, created=False, options=options, created_at=None, changed=True)
    if check_mode:
        return result
    body = {"task": REQUEST_NAMES[task_type]}
    if options:
        body["options"] = options
    before = set(task["taskId"] for task in tasks)
    try:
        own_id = api.create_task(job_id, body)
    except AtlassianError as exc:
        if not answer_lost(exc):
            raise
        return _after_lost_answer(api, roots, exc, job_id, task_type, options, force, before, result, warn)
    result.update(task_id=own_id, created=True)
    try:
        _settle(api, roots, job_id, task_type, options, before, result, warn)
    except AtlassianError as exc:  # pragma: no cover - _settle turns the errors it expects into warnings
        exc.result.update(result)
        raise
    return result


def _settle(api, roots, job_id, task_type, options, before, result, warn):
    """After the POST: read the list again; when another run created a rival task meanwhile, every run
    returns the oldest that was not refused. Also fills ``created_at``. Read failures only warn: the
    task exists, and the result says so."""
    own_id = result["task_id"]
    try:
        listed = [task for task in api.tasks(job_id) if task.get("taskId")]
    except AtlassianError as exc:
        listed = None
        warn(
            "job %s: %s task %s was created, but the task list could not be read again to see whether another run created "
            "one at the same time: %s" % (job_id, task_type, own_id, exc)
        )
    own = None
    if listed is not None:
        own = next((task for task in listed if task["taskId"] == own_id), None)
        rivals = _rivals(listed, before, task_type, options, own_id)
        if rivals:
            # Newest first; a task of ours not listed yet is taken as the newest (a listed rival is older).
            contenders = [task for task in listed if task is own or task in rivals] if own is not None else rivals
            try:
                chosen = roots.oldest_standing(contenders)
            except AtlassianError as exc:
                chosen = None
                warn("job %s: the status of task %s could not be read: %s" % (job_id, ", ".join(t["taskId"] for t in rivals), exc))
            others = ", ".join(task["taskId"] for task in rivals)
            if chosen is None:
                warn(
                    "job %s: another run created %s task %s at the same time as this run created %s (nothing locks task "
                    "creation across runs), and every one of them was refused or unreadable: this run returns its own"
                    % (job_id, task_type, others, own_id)
                )
            elif chosen is own:
                warn(
                    "job %s: another run created %s task %s at the same time as this run created %s (nothing locks task "
                    "creation across runs). This run returns %s, the oldest, as the other run does; the instance runs one "
                    "task per job at a time and is expected to refuse the other one" % (job_id, task_type, others, own_id, own_id)
                )
            else:
                warn(
                    "job %s: another run created %s task %s at the same time as this run created %s (nothing locks task "
                    "creation across runs). This run returns %s, the oldest, so that both runs use the same task; the "
                    "instance runs one task per job at a time and is expected to refuse %s"
                    % (job_id, task_type, chosen["taskId"], own_id, chosen["taskId"], own_id)
                )
                result.update(
                    task_id=chosen["taskId"],
                    created=False,
                    options=options_of(chosen),
                    created_at=chosen.get("createdAt"),
                )
                return
    if own is not None and own.get("createdAt"):
        result["created_at"] = own["createdAt"]
        return
    try:
        result["created_at"] = api.created_at(job_id, own_id)
    except AtlassianError as exc:
        warn("job %s: task %s was created, but its created_at could not be read (it is null): %s" % (job_id, own_id, exc))


def _after_lost_answer(api, roots, error, job_id, task_type, options, force, before, result, warn):
    """A POST whose answer was lost may have created the task: one that appeared since the list was read is taken."""
    try:
        listed = [task for task in api.tasks(job_id) if task.get("taskId")]
    except AtlassianError:
        listed = []
    appeared = _rivals(listed, before, task_type, options)
    if appeared:
        try:
            chosen = roots.oldest_standing(appeared) or appeared[-1]
        except AtlassianError:
            chosen = appeared[-1]
        warn(
            "job %s: the answer to the creation of the %s task was lost (%s), but task %s appeared since this run read "
            "the job's tasks: it is taken as the task this run created" % (job_id, task_type, error, chosen["taskId"])
        )
        result.update(task_id=chosen["taskId"], created=True, options=options_of(chosen), created_at=chosen.get("createdAt"))
        return result
    error.message = "%s; the %s task may have been created anyway (the request reached the service, its answer did not come back)" % (
        error.message,
        task_type,
    )
    if force:
        how = (
            "With force a re-run creates another check task: look at the job's newest check task first "
            "(migration_task_status with task_type: check; the task list may take a minute to show it)"
        )
    else:
        how = "Run again: a re-run finds such a task and returns it instead of creating another (the task list may take a minute to show it)"
    error.hint = "%s. %s" % (error.hint, how) if error.hint else how
    error.result.update(result, changed=False)
    raise error
