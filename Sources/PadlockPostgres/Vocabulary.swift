// A store service that links only `PadlockPostgres` still needs `FenceToken` and `FencedWrite`: the shared
// vocabulary and the outcome shared with `PadlockSQLite` are re-exported, so one import is enough.
@_exported import PadlockFencing
@_exported import PadlockTypes
