/// Resource-side fencing for SQLite databases through GRDB.
public enum PadlockSQLiteModule {}
