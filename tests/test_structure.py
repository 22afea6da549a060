"""Plain-text structure: outline headings set left of an indented body, grid tables read by row."""

from qabot.passages import readable, split_document
from qabot.sources import Document, find_sections
from qabot.tables import readable_table, table_rows

MANUAL = (
    "Chapter 2. Storage\n\n"
    "2.1. Disks and partitions\n\n"
    "    A disk is divided into partitions, each of which holds one file\n"
    "    system that is mounted somewhere below the root directory.\n\n"
    "    Table 2.1. List of partition tools\n\n"
    "    +----------------------------------+\n"
    "    |package |description              |\n"
    "    |--------+-------------------------|\n"
    "    |parted  |resize and create        |\n"
    "    |        |partitions on a disk     |\n"
    "    |--------+-------------------------|\n"
    "    |gdisk   |edit GPT partition tables|\n"
    "    +----------------------------------+\n\n"
    "    # mount -a\n\n"
    "2.2. Backups\n\n"
    "    Copies of the data on another machine protect it against the loss\n"
    "    of a whole disk, which is more common than people expect.\n"
)


def test_outline_headings_left_of_an_indented_body_are_sections():
    labels = [s.label for s in find_sections(MANUAL)]
    assert labels == ["Chapter 2. Storage", "2.1. Disks and partitions", "2.2. Backups"]


def test_indented_captions_and_shell_prompts_are_not_headings():
    labels = [s.label for s in find_sections(MANUAL)]
    assert not any("Table" in label or "mount" in label for label in labels)


def test_grid_table_rows_are_cut_between_rules_and_read_cell_by_cell():
    start = MANUAL.index("    +---")
    end = MANUAL.index("+\n\n    # mount") + 1
    rows = table_rows(MANUAL, start, end)
    assert [MANUAL[a:b].split("|")[1].strip() for a, b in rows] == ["package", "parted", "gdisk"]
    assert readable_table(MANUAL[rows[1][0] : rows[1][1]]) == "parted | resize and create partitions on a disk"


def test_table_passages_quote_the_raw_rows_but_embed_the_cells():
    document = Document("manual.txt", MANUAL, "h", sections=tuple(find_sections(MANUAL)))
    passages = split_document(document, target_chars=200, max_chars=300)
    table = next(p for p in passages if "parted" in p.text)
    assert "|parted |" in table.text  # the quote stays the source text
    assert "parted | resize and create partitions on a disk" in table.embed_text
    assert "---" not in readable(MANUAL[table.start : table.end])
    assert table.section == "2.1. Disks and partitions"
