"""The row counts verify reads from a MySQL dump: the awk program commands/backup.py runs in the
accessory's image, run here by busybox awk (a process: this is why it is not under commands/)."""

import subprocess
from pathlib import Path

from dockyard.commands import backup
from dockyard.facts.backup import parse_table_counts

MARIADB_DUMP = r"""CREATE TABLE `orders` (
  `id` int(11) NOT NULL,
  `item` text DEFAULT NULL
);
INSERT INTO `orders` VALUES
(1,'it\'s (a),(b)'),
(2,'line\nbreak \\'),
(3,NULL);
CREATE TABLE `empty_one` (
  `id` int(11) DEFAULT NULL
);
CREATE TABLE `wide` (`id` int);
INSERT INTO `wide` VALUES (1),(2),(3),(4);
INSERT INTO `wide` VALUES (5);
/*!50003 TRIGGER t AFTER DELETE ON orders FOR EACH ROW INSERT INTO log VALUES (OLD.id) */;;
-- Dump completed on 2026-11-22 22:00:00
"""


def test_the_dump_row_counts_read_both_insert_layouts(tmp_path: Path) -> None:
    """The awk program verify runs in the accessory's image (busybox awk), on a dump with rows
    on one line and a row per line, strings holding `),(`, quotes and backslashes."""
    dump = tmp_path / "d.sql"
    dump.write_text(MARIADB_DUMP)
    out = subprocess.run(["busybox", "awk", backup.MY_DUMP_COUNTS_AWK, str(dump)],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert parse_table_counts(out) == {"orders": 3, "empty_one": 0, "wide": 5}
