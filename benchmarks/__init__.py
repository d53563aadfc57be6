"""Performance benchmarks of migrationops.atlassian against what users would otherwise use.

Run them with ``make bench``; see benchmarks/README.md for what is measured and how.
"""
