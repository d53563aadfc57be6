# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/awx.md and the docsite guide guide_awx.rst are one text in two markups."""

import os
import re

from ansible_collections.migrationops.atlassian.tests.awx.awx_helpers import COLLECTION_ROOT, PROJECT_ANSIBLE_CFG

MARKDOWN = os.path.join(COLLECTION_ROOT, "docs", "awx.md")
GUIDE = os.path.join(COLLECTION_ROOT, "docs", "docsite", "rst", "guide_awx.rst")


def _words(text):
    """The words of a text, markup left out (fences, tables, inline code, directives, underlines)."""
    text = re.sub(r"(?m)^\s*(```\w*|\.\. (code-block|list-table)::.*|:header-rows:.*|[=-]{3,}|\|[-|]+\|)\s*$", " ", text)
    text = re.sub(r"(?m)^\s*(\* -|-)\s", " ", text)
    return re.sub(r"[`*|#\\]", " ", text).split()


def test_the_guide_says_what_docs_awx_md_says():
    with open(MARKDOWN, encoding="utf-8") as handle:
        markdown = handle.read()
    with open(GUIDE, encoding="utf-8") as handle:
        guide = handle.read()
    guide = guide.split(".. _ansible_collections.migrationops.atlassian.docsite.guide_awx:", 1)[1]
    assert _words(markdown) == _words(guide)
    # the project's ansible.cfg the runner tests use is the one both give
    for text in (markdown, guide):
        assert "internal_poll_interval = 0.05" in text and "CPU s a day" in text and "times less" in text
    assert PROJECT_ANSIBLE_CFG == "[defaults]\ninternal_poll_interval = 0.05\n"
    assert "[defaults]\ninternal_poll_interval = 0.05\n" in markdown
