"""The benchmarks' result files: one Markdown file per benchmark, one section per run kind
(size, storage), each run replacing its own section and keeping the others."""

from pathlib import Path


def write_section(path: Path, header: str, key: str, table: str) -> None:
    """Writes ``table`` as the section ``key`` of ``path``, under ``header``; the file's other
    sections are kept, in key order."""
    sections = {}
    if path.exists():
        for chunk in path.read_text().split("<!-- ")[1:]:
            name, _, body = chunk.partition(" -->")
            sections[name] = body.strip("\n")
    sections[key] = table.strip("\n")
    body = "\n\n".join(f"<!-- {name} -->\n{text}" for name, text in sorted(sections.items()))
    path.write_text(header + "\n" + body + "\n")
