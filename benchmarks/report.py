"""Tables of results: printed as aligned text, and written as Markdown to RESULTS.md."""

import re
from dataclasses import dataclass, field

DASH = "\u2013"


@dataclass
class Table:
    title: str
    columns: list
    rows: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def add(self, *cells):
        self.rows.append([str(cell) for cell in cells])


def spread(stat, digits=2):
    """A Stat as ``median (min-max)`` (with an en dash); a single value as itself."""
    if len(stat.values) == 1:
        return "%.*f" % (digits, stat.median)
    return "%.*f (%.*f%s%.*f)" % (digits, stat.median, digits, stat.low, DASH, digits, stat.high)


def ratio(numerator, denominator, digits=1):
    if not denominator:
        return "n/a"
    return "%.*fx" % (digits, numerator / denominator)


def goals_table(tables):
    """Every target of the run in one table: each benchmark states its targets as notes
    ``target...: <figure>, met`` (or ``NOT met``) against a baseline of the same run."""
    summary = Table("Targets of this run", ["benchmark", "target and figure", "met"])
    for table in tables:
        for note in table.notes:
            if note.startswith("target"):
                met = "NOT met" if "NOT met" in note else "met" if re.search(r"\bmet\b", note) else "?"
                summary.add(table.title.split(":")[0].split(" (")[0], note[len("target") :].lstrip(": "), met)
    return summary


def render_text(table):
    widths = [max(len(row[i]) for row in [table.columns] + table.rows) for i in range(len(table.columns))]

    def line(cells):
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip()

    lines = [table.title, "=" * len(table.title), line(table.columns), line(["-" * width for width in widths])]
    lines.extend(line(row) for row in table.rows)
    lines.extend("* " + note for note in table.notes)
    return "\n".join(lines) + "\n"


def render_markdown(table):
    lines = ["## " + table.title, "", "| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines.extend("| " + " | ".join(row) + " |" for row in table.rows)
    if table.notes:
        lines.append("")
        lines.extend("- " + note for note in table.notes)
    return "\n".join(lines) + "\n"


def write_results(path, title, preamble, tables):
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("# %s\n\n" % title)
        handle.write("".join("%s  \n" % line for line in preamble) + "\n")
        handle.write("\n".join(render_markdown(table) for table in tables))
