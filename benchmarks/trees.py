"""Status trees of a given size for the simulator, shared by the tree, scaling and profile benchmarks."""

JOB_ID = "bench-tree-job"
PAGE_SIZE = 100


def tree_task(task_id, children):
    """A finished check-type task whose root has ``children`` generated children."""
    generate = {"count": children, "name": "ISSUE-{i:05d}", "outcome": "SUCCESS", "message": "Migrated"}
    return {"task_id": task_id, "type": "check", "tree": {"finish": 0, "generate": generate}}


def tree_scenario(tasks):
    return {
        "name": "bench-trees",
        "clock": "polls",
        "pagination": {"status_page_size": PAGE_SIZE},
        "jobs": [{"job_id": JOB_ID, "tasks": list(tasks)}],
    }


def read_task(task_id):
    """The playbook task that reads a tree whole through the module (expand_children is the default)."""
    return {"name": "Read the status tree", "migrationops.atlassian.migration_task_status": {"job_id": JOB_ID, "task_id": task_id}}
