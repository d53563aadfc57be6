"""Adjust the Sphinx site that `antsibull-docs sphinx-init` generated, for `make docs`.

- Offline build. The generated conf.py maps intersphinx to docs.ansible.com, docs.python.org and
  jinja.palletsprojects.com, which a build without internet cannot reach, so every page linking to
  the Ansible documentation would fail the build (Sphinx runs with -W). The pages antsibull-docs
  writes use only a few labels of the Ansible documentation: this writes a local intersphinx
  inventory of them (the links still point to docs.ansible.com) and maps intersphinx to it alone.
- The theme's top bar links to the collection's repository and issues instead of Ansible's blog.
- A small style sheet lets long plugin names wrap in the navigation.

Usage: python tools/docsite_conf.py DOCS_DIR (the directory with the generated conf.py)
"""

import os
import re
import sys
import zlib

ANSIBLE_DOCS = "https://docs.ansible.com/projects/ansible/devel/"
INVENTORY = "ansible_devel.inv"
REPOSITORY = "https://github.com/migrationops/atlassian"

# label: (page, title) in the Ansible documentation. A label missing here fails the build with
# "undefined label", so add it when antsibull-docs or our docs (M(), an attribute) start to use it.
# The anchor of a label is the label with each run of other characters than letters and digits
# replaced by "-" (docutils' make_id).
ANSIBLE_LABELS = {
    "action_plugins": ("plugins/action.html", "Action plugins"),
    "ansible_collections.ansible.builtin.set_stats_module": (
        "collections/ansible/builtin/set_stats_module.html",
        "ansible.builtin.set_stats module",
    ),
    "ansible_configuration_settings": ("reference_appendices/config.html", "Ansible Configuration Settings"),
    "common_return_values": ("reference_appendices/common_return_values.html", "Return Values"),
}
# Environment variables our docs name with E(): they are described in the configuration settings.
ANSIBLE_ENVVARS = ("ANSIBLE_DEBUG",)

CONF_OVERRIDE = """
# --- Added by tools/docsite_conf.py ---
import os as _os

_here = _os.path.dirname(_os.path.abspath(__file__))

# Offline: only the Ansible documentation is linked, through a local inventory of the labels used.
intersphinx_mapping = {
    "ansible_devel": (%(docs)r, _os.path.join(_here, %(inventory)r)),
}

html_theme_options = {
    "topbar_links": {
        "Repository": %(repository)r,
        "Issues": %(repository)r + "/issues",
        "Ansible documentation": "https://docs.ansible.com/",
    },
}
html_static_path = [_os.path.join(_here, "_static")]
html_css_files = ["migrationops.css"]
"""

STYLE = """/* Added by tools/docsite_conf.py. */
/* Plugin names such as migrationops.atlassian.migration_task_status have no break opportunity. */
.wy-menu-vertical a,
.wy-breadcrumbs li {
  overflow-wrap: anywhere;
}
/* Let the cells of prose tables (the guides) wrap instead of scrolling sideways. */
.wy-table-responsive table.docutils td,
.wy-table-responsive table.docutils th {
  white-space: normal;
}
.wy-table-responsive table.docutils td {
  vertical-align: top;
}
"""


def inventory_bytes():
    """A Sphinx inventory (version 2) of ANSIBLE_LABELS and ANSIBLE_ENVVARS."""
    header = "# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n# The remainder of this file is compressed using zlib.\n"
    lines = "".join(
        "%s std:label -1 %s#%s %s\n" % (label, page, re.sub("[^a-z0-9]+", "-", label.lower()), title)
        for label, (page, title) in sorted(ANSIBLE_LABELS.items())
    )
    lines += "".join("%s std:envvar 1 reference_appendices/config.html#envvar-%s -\n" % (name, name) for name in ANSIBLE_ENVVARS)
    return header.encode("utf-8") + zlib.compress(lines.encode("utf-8"))


def main(argv):
    if len(argv) != 1 or not os.path.isfile(os.path.join(argv[0], "conf.py")):
        sys.stderr.write("usage: docsite_conf.py DOCS_DIR (the directory with the generated conf.py)\n")
        return 2
    docs_dir = argv[0]
    with open(os.path.join(docs_dir, INVENTORY), "wb") as handle:
        handle.write(inventory_bytes())
    os.makedirs(os.path.join(docs_dir, "_static"), exist_ok=True)
    with open(os.path.join(docs_dir, "_static", "migrationops.css"), "w", encoding="utf-8") as handle:
        handle.write(STYLE)
    with open(os.path.join(docs_dir, "conf.py"), "a", encoding="utf-8") as handle:
        handle.write(CONF_OVERRIDE % {"docs": ANSIBLE_DOCS, "inventory": INVENTORY, "repository": REPOSITORY})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
