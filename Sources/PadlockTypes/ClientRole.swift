/// What a client may do on the client port (the table is in `docs/security.md`): the configuration gives
/// each client one (`PadlockConfig`), and the node checks every request against it (`PadlockSecurity`).
package enum ClientRole: String, CaseIterable, Hashable, Sendable {
    /// Everything an app may do, plus force-unlock, revoke sessions, read the audit trail and change
    /// membership.
    case admin
    /// Sessions, acquire, release, inspect, list and fence checks within its namespaces.
    case app
    /// Inspect, list and fence checks within its namespaces; no sessions, no locks.
    case reader
}
