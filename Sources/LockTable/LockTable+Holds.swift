import PadlockTypes

extension LockTable {
    mutating func acquireKeys(
        _ request: RequestID, keys: [LockKey], mode: LockMode, wait: UInt64, note: String, roles: [String]
    ) -> CommandResult {
        .invalid(.malformedCommand)
    }

    mutating func changeMode(
        _ request: RequestID, key: LockKey, fence: FenceToken, mode: LockMode, wait: UInt64, roles: [String]
    ) -> CommandResult {
        .invalid(.malformedCommand)
    }

    mutating func placeHold(_ placement: HoldPlacement, session: SessionID, actor: String) -> CommandResult {
        .invalid(.malformedCommand)
    }

    mutating func liftHold(
        _ key: LockKey, rule: String?, reason: String, session: SessionID, actor: String
    ) -> CommandResult {
        .invalid(.malformedCommand)
    }
}

extension LockTable {
    /// One page of the holds on or under `prefix` (every hold when nil), after the key `after`, in key byte
    /// order and rule order within a key; `next` is where the next page starts, nil on the last page.
    package func listHolds(prefix: LockKey?, after: LockKey?, limit: Int) -> (holds: [Hold], next: LockKey?) {
        ([], nil)
    }

    /// The holds on `key`, its ancestors and its descendants, in key byte order and rule order.
    package func holds(overlapping key: LockKey) -> [Hold] {
        []
    }
}
