"""The exporter's DDL, shipped as ``otel_schema.sql`` (ClickHouse runs the same file when the
compose stack in ``collectors/clickhouse`` starts), and the check that a database holds it."""

from __future__ import annotations

from importlib import resources

from a2a_observe.store.clickhouse.client import Client, quoted
from a2a_observe.store.clickhouse.location import DEFAULT_DATABASE, LOGS_TABLE, TRACES_TABLE
from a2a_observe.store.errors import StoreError

SCHEMA_FILE = "otel_schema.sql"
INDEX_FILE = "conversation_index.sql"


def sql_text(name: str = SCHEMA_FILE) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def statements(database: str = DEFAULT_DATABASE, name: str = SCHEMA_FILE) -> list[str]:
    """The file's statements, for ``database`` instead of ``otel``."""
    lines = [line for line in sql_text(name).splitlines() if not line.lstrip().startswith("--")]
    text = "\n".join(lines).replace(f"`{DEFAULT_DATABASE}`", quoted(database))
    return [statement.strip() for statement in text.split(";") if statement.strip()]


def create_tables(client: Client) -> None:
    """Create the database and both tables where they are missing (as the exporter would)."""
    for statement in statements(client.location.database):
        client.command(statement)


def table(client: Client, name: str) -> str:
    return f"{quoted(client.location.database)}.{quoted(name)}"


def check_tables(client: Client) -> set[str]:
    """The exporter's tables the database holds; a clear error when it has no traces table (a
    Collector without a logs pipeline creates no logs table, and that is no error)."""
    rows = client.query(
        "SELECT name FROM system.tables WHERE database = {db:String}", {"db": client.location.database}
    )
    present = {str(row[0]) for row in rows}
    if TRACES_TABLE not in present:
        raise StoreError(
            f"{client.location} has no table {TRACES_TABLE}: is the Collector's "
            "clickhouseexporter writing to this database? (see docs/scale.md)"
        )
    return present & {TRACES_TABLE, LOGS_TABLE}
