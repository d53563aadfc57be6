# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""extensions/ee/execution-environment.yml through the real ansible-builder: ``create`` writes the
build context (no container engine needed) and ``introspect --sanitize`` lists the Python
requirements of the installed collection. ``ansible-builder build`` needs podman or docker, which
these machines do not have."""

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile

import yaml

from ansible_collections.migrationops.atlassian.tests.awx.awx_helpers import COLLECTION_ROOT, EE_DIR, collections_path, load_yaml

BIN = os.path.dirname(sys.executable)


def _run(args, cwd):
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def _tarball(tmp_path):
    """The collection tarball, built from this tree as `make install` builds it."""
    _run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(tmp_path / "dist"), COLLECTION_ROOT], tmp_path)
    (built,) = (tmp_path / "dist").iterdir()
    return built


def _manifest(tarball):
    with tarfile.open(tarball) as archive:
        manifest = json.load(archive.extractfile("MANIFEST.json"))
        names = archive.getnames()
    return manifest["collection_info"], names


def test_builder_create_puts_the_collection_and_requests_in_the_context(tmp_path):
    definition = load_yaml(os.path.join(EE_DIR, "execution-environment.yml"))
    assert definition["version"] == 3
    source = tmp_path / "src"
    source.mkdir()
    for name in ("execution-environment.yml", "requirements.yml"):
        shutil.copy(os.path.join(EE_DIR, name), source / name)
    tarball = _tarball(tmp_path)
    # the name the definition copies into the context
    (entry,) = definition["additional_build_files"]
    shutil.copy(tarball, source / entry["src"])

    context = tmp_path / "context"
    _run(
        [
            os.path.join(BIN, "ansible-builder"),
            "create",
            "-f",
            str(source / "execution-environment.yml"),
            "-c",
            str(context),
            "--output-filename",
            "Containerfile",
        ],
        tmp_path,
    )

    containerfile = (context / "Containerfile").read_text()
    # the tarball is in the context and installed by ansible-galaxy from the galaxy requirements
    shipped = context / "_build" / entry["dest"] / entry["src"]
    info, names = _manifest(shipped)
    assert (info["namespace"], info["name"]) == ("migrationops", "atlassian")
    assert "extensions/eda/plugins/event_source/migration_status.py" in names
    assert "roles/cloud_migration/meta/argument_specs.yml" in names
    # 0.2: the modules that run the migration, the action plugins that print heartbeat lines, the
    # waves playbook and the on-premises credential type
    for name in ("cma_cloud_site", "migration_job", "migration_task", "migration_task_status", "idmapping_job"):
        assert "plugins/modules/%s.py" % name in names, name
    assert any(name.startswith("plugins/action/") for name in names)
    assert "playbooks/waves.yml" in names
    assert "extensions/awx/credential_type_server.yml" in names
    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    (collection,) = galaxy["collections"]
    assert collection["type"] == "file"
    copy_step = next(line for line in containerfile.splitlines() if line.startswith("COPY _build/%s/" % entry["dest"]))
    installed_from = copy_step.split()[-1]
    assert collection["name"] == installed_from.rstrip("/") + "/" + entry["src"]
    assert "ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml" in containerfile
    # Python requirements: requests, installed by the builder stage's introspection
    assert "requests" in (context / "_build" / "requirements.txt").read_text()
    assert "introspect.py introspect --user-pip=requirements.txt" in containerfile
    assert "ansible-core" in containerfile and "ansible-runner" in containerfile


def test_builder_introspect_finds_requests_in_the_installed_collection():
    installed = collections_path().split(os.pathsep)[0]
    user_pip = os.path.join(EE_DIR, "..", "..", "requirements.txt")
    out = _run([os.path.join(BIN, "ansible-builder"), "introspect", "--sanitize", "--user-pip", user_pip, installed], COLLECTION_ROOT)
    data = yaml.safe_load(out.split("\n", 1)[1])
    python = data["python"]
    assert any(line.startswith("requests") and "from collection migrationops.atlassian" in line for line in python), python
    # still the only Python requirement, for every module of 0.2 too
    assert {re.split(r"[<>=!~ #\[]", line, maxsplit=1)[0].lower() for line in python} == {"requests"}, python
    assert data["system"] == []
