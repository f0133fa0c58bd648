"""The SQLite index of a built package and ALL the SQL: filters, parameters, cursors, pages,
aggregates."""
