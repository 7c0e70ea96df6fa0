// Upgrading a viewing (shared) lock to an editing (exclusive) one and back, without releasing it
// (`docs/holds.md`, "Upgrade and downgrade").

extension Lock {
    /// Makes this shared lock exclusive without releasing it: granted when no other holder's lock conflicts
    /// (and no hold refuses it to `roles`), else queued for up to `wait`, ahead of later arrivals. On success
    /// ``mode`` is `.exclusive` and ``fence`` (and ``holder``) are the new grant's: send the new fence with
    /// the writes from now on. An exclusive lock is left as it is.
    ///
    /// - Throws: `held(by:)` when other holders still hold it after the wait (or another holder waits to
    ///   upgrade too: two upgraders would wait for each other forever, so this one is refused at once),
    ///   `restricted(by:)` when a hold refuses editing to `roles`, `lockLost` when the lock has ended,
    ///   `invalidArgument` for a released lock or bad roles, `unavailable`, `outcomeUnknown` (the library
    ///   settles it; the lock takes the new fence if it was granted), `cancelled`. The lock stays shared on
    ///   every failure but `lockLost`. Needs a v3 cluster.
    public func upgrade(wait: Duration = .zero, roles: [String] = []) async throws(PadlockError) {
        try await changeMode(to: .exclusive, wait: wait, roles: roles)
    }

    /// Makes this exclusive lock shared without releasing it (done editing, still viewing); granted at once.
    /// ``fence`` (and ``holder``) become the new grant's. A shared lock is left as it is.
    ///
    /// - Throws: `lockLost` when the lock has ended, `invalidArgument` for a released lock, `unavailable`,
    ///   `outcomeUnknown`, `cancelled`. Needs a v3 cluster.
    public func downgrade() async throws(PadlockError) {
        try await changeMode(to: .shared, wait: .zero, roles: [])
    }

    private func changeMode(to mode: LockMode, wait: Duration, roles: [String]) async throws(PadlockError) {
        guard let client else { throw PadlockError.clientClosed }
        let spec = ModeChangeSpec(
            mode: mode, waitMilliseconds: try PadlockClient.validateWait(wait),
            roles: try PadlockClient.validate(roles: roles))
        try await client.traced(
            spec.label,
            attributes: { attributes in
                attributes["padlock.key"] = key.string
                attributes["padlock.fence"] = Int(clamping: fence.rawValue)
                attributes["padlock.wait_ms"] = ClientHandle.milliseconds(wait)
            }
        ) { () throws(PadlockError) in
            switch state {
            case .released: throw ClientCore.modeOfReleased(self, spec)
            case .lost: throw lostBeforeRelease
            case .safe, .atRisk: break
            }
            guard self.mode != mode else { return }
            try await client.perform { core, ticket, completion in
                core.changeMode(self, spec, ticket: ticket, completion: completion)
            }
        }
    }
}
