// The write outcome (`FencedWrite`) and the name roles are shared with `PadlockPostgres`; re-exported so code
// that names them after `import PadlockSQLite` compiles as before they moved.
@_exported import PadlockFencing
// A store service that links only `PadlockSQLite` (it receives fences from app servers, and does not talk to
// the cluster itself) still needs `FenceToken`; the shared vocabulary is re-exported, as `PadlockClient` does,
// so one import is enough and the types are the same everywhere.
@_exported import PadlockTypes
