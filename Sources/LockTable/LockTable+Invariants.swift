import PadlockTypes

/// The table's own consistency, asserted where it is relied on. A broken invariant is a bug, never an input:
/// entries apply identically on every replica, so every replica stops at the same entry, and the message
/// names the entry, the session, the key and the fence involved, so a person can act on it.
extension LockTable {
    /// Changes the record of session `id`, which the caller's own state says is open (it holds or waits on a
    /// key, or its request is being applied). A missing record means the table's indexes disagree: a bug, not
    /// an input. Entries apply identically everywhere, so every replica stops at the same entry, saying why.
    mutating func updateOpenSession(
        _ id: SessionID, _ context: @autoclosure () -> String, _ change: (inout SessionRecord) -> Void
    ) {
        guard sessions[id]?.update(change) != nil else {
            preconditionFailure(brokenInvariant("session \(id) has no record while \(context())"))
        }
    }

    /// The message of a broken invariant: the entry being applied, what was found, and what to do.
    func brokenInvariant(_ finding: String) -> String {
        "lock table invariant broken applying entry \(currentIndex) (entry time "
            + "\(now.rawValue) ms): \(finding). Every replica stops at this entry; keep the data directory and "
            + "the log, and report it as a bug."
    }
}

extension SessionRecord {
    /// Runs `change` on this record in place (through optional chaining on the table's dictionary, which
    /// answers nil when the record is missing).
    mutating func update(_ change: (inout SessionRecord) -> Void) { change(&self) }
}
