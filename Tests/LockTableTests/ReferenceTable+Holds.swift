// Testable for `HeldLock`'s initializer: a placement that ends holders answers with them.
@testable import LockTable
import PadlockTypes

import enum LockTable.FenceCheck
// The table's own audit types, not the client's of the same names in PadlockTypes (a scoped import wins).
import enum LockTable.AuditAction
import struct LockTable.AuditRecord

/// Holds in the naive model (`docs/holds.md`): every decision is a scan of `rules`, written from the contract,
/// not from `Hold.refuses` or the table's code.
extension ReferenceTable {
    /// docs/holds.md makes a fence stale below any hold that refuses exclusive locks on the key, a hold on one
    /// of its fields included; the table counts only holds on the key and its ancestors. The random runs follow
    /// the table (`HoldDiscrepancyTests` keeps the question open).
    static let descendantHoldsStaleFences = false

    /// Whether `rule` refuses `mode` on `key`, ignoring exemptions (what a current holder is judged by).
    static func blocks(_ rule: RuleHold, _ key: LockKey, _ mode: LockMode) -> Bool {
        guard rule.key.overlaps(key) else { return false }
        if mode == .shared && rule.restricts != .all { return false }
        let held = rule.key.segments.map(String.init)
        let asked = key.segments.map(String.init)
        // Strictly under the held key, on or below an editable field: left alone.
        if asked.count > held.count && Array(asked.prefix(held.count)) == held
            && rule.editableFields.contains(asked[held.count])
        {
            return false
        }
        return true
    }

    /// Whether `rule` refuses `mode` on `key` to a requester claiming `roles`.
    static func refuses(_ rule: RuleHold, _ key: LockKey, _ mode: LockMode, _ roles: [String]) -> Bool {
        blocks(rule, key, mode) && !rule.exemptRoles.contains(where: { roles.contains($0) })
    }

    /// Holds in the order a refusal names them: segment order of their keys, then rule name bytes.
    var rulesInOrder: [RuleHold] {
        rules.sorted { left, right in
            if Self.segmentOrder(left.key, right.key) { return true }
            if Self.segmentOrder(right.key, left.key) { return false }
            return left.rule.utf8.lexicographicallyPrecedes(right.rule.utf8)
        }
    }

    func refusingRule(_ key: LockKey, _ mode: LockMode, _ roles: [String]) -> RuleHold? {
        rulesInOrder.first { Self.refuses($0, key, mode, roles) }
    }

    /// Audits every hold an exempt requester's fresh grant went through.
    mutating func auditBypasses(_ hold: Hold, roles: [String]) {
        for rule in Self.byteOrdered(rules)
        where Self.blocks(rule, hold.key, hold.mode) && !Self.refuses(rule, hold.key, hold.mode, roles) {
            // The reason's wording is the table's choice (docs/holds.md does not give one).
            let exempting = roles.filter { rule.exemptRoles.contains($0) }.joined(separator: ", ")
            record(
                .holdBypassed, sessions[hold.session]!.owner, hold.session, hold.key, holder(hold),
                "exempt role " + exempting, hold: rule)
        }
    }

    /// Holds in key byte order, rule name bytes within a key.
    static func byteOrdered(_ rules: [RuleHold]) -> [RuleHold] {
        rules.sorted { left, right in
            if left.key.string.utf8.elementsEqual(right.key.string.utf8) {
                return left.rule.utf8.lexicographicallyPrecedes(right.rule.utf8)
            }
            return left.key.string.utf8.lexicographicallyPrecedes(right.key.string.utf8)
        }
    }

    static func problem(_ placement: HoldPlacement) -> InvalidReason? {
        let name: (String) -> Bool = { name in
            !name.isEmpty && name.utf8.count <= 64
                && !name.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
        }
        if placement.rule.isEmpty { return .ruleEmpty }
        if placement.rule.utf8.count > 128 { return .ruleTooLong }
        if placement.reason.isEmpty { return .reasonEmpty }
        if placement.reason.utf8.count > 1_024 { return .reasonTooLong }
        if placement.exemptRoles.count > 16 { return .exemptRolesTooMany }
        if !placement.exemptRoles.allSatisfy(name) { return .roleInvalid }
        if placement.editableFields.count > 64 { return .editableFieldsTooMany }
        if !placement.editableFields.allSatisfy({ name($0) && !$0.contains("/") }) { return .fieldInvalid }
        return nil
    }

    mutating func place(_ placement: HoldPlacement, _ session: SessionID, _ actor: String) -> CommandResult {
        if let problem = Self.problem(placement) { return .invalid(problem) }
        if actor.utf8.count > InputLimits.ownerByteCountMax { return .invalid(.adminTooLong) }
        let replaced = rules.firstIndex { $0.key == placement.key && $0.rule == placement.rule }
        if replaced == nil {
            if rules.filter({ $0.key == placement.key }).count >= 8 { return .overloaded(.holdsPerKey) }
            if rules.count >= configuration.holdCountMax { return .overloaded(.holds) }
            if rules.filter({ $0.key.namespace == placement.key.namespace }).count >= configuration.holdsPerNamespaceMax {
                return .overloaded(.namespaceHolds)
            }
        }
        let rule = RuleHold(
            key: placement.key, rule: placement.rule, reason: placement.reason, source: placement.source,
            placedBy: actor, since: now, fence: FenceToken(index), restricts: placement.restricts,
            exemptRoles: placement.exemptRoles, editableFields: placement.editableFields)
        if let replaced { rules.remove(at: replaced) }
        rules.append(rule)
        record(.holdPlaced, actor, session, rule.key, nil, rule.reason, hold: rule)
        let ended = placement.endsHolders ? endHolders(refusedBy: rule, actor) : []
        refuseWaiters(rule)
        return .holdPlaced(rule, ended: ended)
    }

    /// Ends every holder `rule` refuses by mode and editable field, as a force-unlock does, in key byte order.
    private mutating func endHolders(refusedBy rule: RuleHold, _ actor: String) -> [HeldLock] {
        let reason = "hold '\(rule.rule)': \(rule.reason)"
        let refused = holds.indices.filter { Self.blocks(rule, holds[$0].key, holds[$0].mode) }.sorted { left, right in
            let (a, b) = (holds[left].key.string.utf8, holds[right].key.string.utf8)
            return a.elementsEqual(b) ? left < right : a.lexicographicallyPrecedes(b)
        }.map { holds[$0] }
        var ended: [HeldLock] = []
        for hold in refused {
            holds.removeAll { $0.key == hold.key && $0.session == hold.session && $0.fence == hold.fence }
            let previous = holder(hold)
            ended.append(HeldLock(key: hold.key, holder: previous, leaseDeadline: sessions[hold.session]!.deadline))
            answerOrphanedUpgrade(of: hold)
            events.append(
                .lockReleased(key: hold.key, previous: previous, reason: .lost(.forceUnlocked(by: actor, reason: reason))))
            record(.forceUnlock, actor, hold.session, hold.key, previous, reason)
            delay(hold.key)
        }
        return ended
    }

    /// Answers `restricted` to every queued request the new hold refuses (by its own roles), in arrival order.
    private mutating func refuseWaiters(_ rule: RuleHold) {
        for wait in waits {
            guard wait.keys.contains(where: { Self.refuses(rule, $0, wait.mode, wait.roles) }) else { continue }
            waits.removeAll { $0.request == wait.request }
            events.append(.waiterTimedOut(wait.request, key: wait.key, answer: .restricted(by: rule)))
            announceOtherKeys(of: wait, than: wait.key)
            answer(wait.request, .restricted(by: rule))
        }
    }

    mutating func lift(
        _ key: LockKey, _ rule: String?, _ reason: String, _ session: SessionID, _ actor: String
    ) -> CommandResult {
        if reason.isEmpty { return .invalid(.reasonEmpty) }
        if reason.utf8.count > 1_024 { return .invalid(.reasonTooLong) }
        if actor.utf8.count > InputLimits.ownerByteCountMax { return .invalid(.adminTooLong) }
        // A rule name no hold can have (empty, too long) simply matches none: the node refuses it before.
        let lifted = Self.byteOrdered(rules.filter { $0.key == key && (rule == nil || $0.rule == rule) })
        if lifted.isEmpty { return .noHold }
        rules.removeAll { $0.key == key && (rule == nil || $0.rule == rule) }
        for hold in lifted { record(.holdLifted, actor, session, key, nil, reason, hold: hold) }
        return .holdsLifted(lifted)
    }

    /// The model's fence check: current only for a holder's fence that no refusing hold has overtaken.
    func fenceCheck(_ key: LockKey, _ fence: FenceToken) -> FenceCheck {
        let holders = holds.filter { $0.key == key }
        let overtaken = rules.contains {
            Self.blocks($0, key, .exclusive) && $0.fence > fence
                && (Self.descendantHoldsStaleFences || $0.key.covers(key))
        }
        if !overtaken, let first = holders.first(where: { $0.fence == fence }) { return .current(holder(first)) }
        return .notCurrent(holders: holders.map(holder))
    }
}
