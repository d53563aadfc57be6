"""The baseline of benchmark 2: the least a script does to read a task's status tree whole.

``python bare_tree_loop.py JOB_ID TASK_ID`` with ATLASSIAN_API_URL, ATLASSIAN_EMAIL and
ATLASSIAN_API_TOKEN set: one ``requests.Session``, every page of the root's children followed
through ``links.next`` and merged into one dict. Prints the number of children read.
"""

import os
import sys

import requests


def read_children(session, url):
    children = {}
    params = {"expandChildren": "true"}
    while url:
        response = session.get(url, params=params, timeout=30)
        response.raise_for_status()
        body = response.json()
        children.update(body["data"].get("children", {}))
        url, params = body["links"].get("next"), None
    return children


def main():
    job_id, task_id = sys.argv[1:3]
    session = requests.Session()
    session.auth = (os.environ["ATLASSIAN_EMAIL"], os.environ["ATLASSIAN_API_TOKEN"])
    url = "%s/migrations/public/v1/jobs/%s/tasks/%s/status" % (os.environ["ATLASSIAN_API_URL"], job_id, task_id)
    print(len(read_children(session, url)))


if __name__ == "__main__":
    main()
