import LockTable
import PadlockTypes

/// Holds, all-or-nothing acquires and mode changes for the random runs: a few rules, roles and fields on a
/// few keys, so that refusals, exemptions, editable fields, ended holders and queued upgrades all happen.
extension RandomWorkload {
    static let ruleNames = ["Deal closed", "Frozen", "Approval"]
    static let roleNames = ["finance-admin", "approver", "rep"]
    /// Held keys: mostly records and a field, now and then a whole namespace or a subtree.
    static let heldKeys: [LockKey] = [
        "acme/c/1", "acme/c/1", "acme/c/2", "acme/c/1/phone", "acme/c-x", "globex/c/1", "globex/c/1", "acme/c",
        "acme",
    ].map { try! LockKey($0) }

    mutating func roles() -> [String] {
        [[], [], ["rep"], ["finance-admin"], ["approver", "rep"]].randomElement(using: &random)!
    }

    private mutating func wait() -> UInt64 {
        Bool.random(using: &random) ? 0 : UInt64.random(in: 100...3_000, using: &random)
    }

    private mutating func mode() -> LockMode { Bool.random(using: &random) ? .exclusive : .shared }

    /// One to four keys that do not overlap (now and then two that do, or a single key with no roles).
    mutating func acquireKeys() -> Command {
        let count = Int.random(in: 1...4, using: &random)
        var keys: [LockKey] = []
        for _ in 0..<12 where keys.count < count {
            let candidate = key()
            if !keys.contains(where: { $0.overlaps(candidate) }) { keys.append(candidate) }
        }
        if Int.random(in: 0..<25, using: &random) == 0 { keys.append(keys[0]) }
        return .acquireKeys(
            request(), keys: keys, mode: mode(), waitMilliseconds: wait(),
            note: ["", "merging"].randomElement(using: &random)!, roles: roles())
    }

    /// Mostly a real holder's lock to the other mode with its real fence; now and then a wrong fence, the
    /// same mode, or a random session and key.
    mutating func changeMode(_ model: ReferenceTable) -> Command {
        let roll = Int.random(in: 0..<100, using: &random)
        guard roll < 85, let hold = model.holds.randomElement(using: &random) else {
            return .changeMode(
                request(), key: key(), fence: FenceToken(UInt64.random(in: 0...20, using: &random)), mode: mode(),
                waitMilliseconds: wait(), roles: roles())
        }
        let fence = roll < 78 ? hold.fence : FenceToken(hold.fence.rawValue + 1)
        let other: LockMode = hold.mode == .shared ? .exclusive : .shared
        return .changeMode(
            request(hold.session), key: hold.key, fence: fence, mode: roll < 75 ? other : hold.mode,
            waitMilliseconds: wait(), roles: roles())
    }

    mutating func placeHold() -> Command {
        var placement = HoldPlacement(
            key: Self.heldKeys.randomElement(using: &random)!, rule: Self.ruleNames.randomElement(using: &random)!,
            reason: "stage closed-won", source: Bool.random(using: &random) ? .manual : .rule,
            restricts: Int.random(in: 0..<10, using: &random) < 7 ? .edit : .all,
            exemptRoles: [[], [], ["finance-admin"], ["finance-admin"], ["approver", "finance-admin"]]
                .randomElement(using: &random)!,
            editableFields: [[], [], ["phone"], ["phone", "email"], ["1"]].randomElement(using: &random)!,
            endsHolders: Int.random(in: 0..<10, using: &random) < 3)
        switch Int.random(in: 0..<40, using: &random) {
        case 0: placement.rule = ""
        case 1: placement.reason = ""
        case 2: placement.exemptRoles = ["approver", ""]
        case 3: placement.editableFields = ["phone/x"]
        default: break
        }
        return .placeHold(request(), placement, actor: "client ops: root@ops")
    }

    mutating func liftHold(_ model: ReferenceTable) -> Command {
        let reason = Int.random(in: 0..<30, using: &random) == 0 ? "" : "deal reopened"
        if Int.random(in: 0..<4, using: &random) > 0, let hold = model.rules.randomElement(using: &random) {
            return .liftHold(
                request(), key: hold.key, rule: Bool.random(using: &random) ? hold.rule : nil, reason: reason,
                actor: "client ops: root@ops")
        }
        return .liftHold(
            request(), key: Self.heldKeys.randomElement(using: &random)!,
            rule: Self.ruleNames.randomElement(using: &random), reason: reason, actor: "client ops: root@ops")
    }
}
