import LockTable
import PadlockTypes

// Script verbs for holds, all-or-nothing acquires and mode changes (docs/holds.md):
//   hold a KEY rule="Deal closed" reason="…" [source=rule] [restrict=all] [exempt=r1,r2] [editable=f1,f2]
//        [end-holders=1] [by=…]
//   lift a KEY reason="…" [rule=…] [by=…]
//   acquire-keys a K1,K2 [mode=shared] [wait=N] [note=…] [roles=r1,r2]
//   acquire a KEY roles=r1,r2 …   (an acquireKeys of one key)
//   mode a KEY fence=N to=shared|exclusive [wait=N] [roles=…]
//   holds [prefix=P] [after=K] [limit=N]
extension ScriptRunner {
    mutating func holdCommand(_ verb: String, _ arguments: inout Arguments) throws -> Command {
        switch verb {
        case "hold":
            let request = try request(&arguments)
            let placement = HoldPlacement(
                key: try LockKey(try arguments.word(1)), rule: arguments.named["rule"] ?? "",
                reason: try reason(arguments), source: arguments.named["source"] == "rule" ? .rule : .manual,
                restricts: arguments.named["restrict"] == "all" ? .all : .edit,
                exemptRoles: Self.list(arguments.named["exempt"]),
                editableFields: Self.list(arguments.named["editable"]),
                endsHolders: arguments.named["end-holders"] == "1")
            return .placeHold(request, placement, actor: arguments.named["by"] ?? "admin")
        case "lift":
            let request = try request(&arguments)
            return .liftHold(
                request, key: try LockKey(try arguments.word(1)), rule: arguments.named["rule"],
                reason: try reason(arguments), actor: arguments.named["by"] ?? "admin")
        case "acquire-keys":
            let request = try request(&arguments)
            return .acquireKeys(
                request, keys: try Self.list(try arguments.word(1)).map { try LockKey($0) },
                mode: arguments.named["mode"] == "shared" ? .shared : .exclusive,
                waitMilliseconds: try arguments.number("wait", default: 0), note: try note(arguments),
                roles: Self.list(arguments.named["roles"]))
        case "mode":
            let request = try request(&arguments)
            return .changeMode(
                request, key: try LockKey(try arguments.word(1)), fence: FenceToken(try arguments.number("fence")),
                mode: arguments.named["to"] == "shared" ? .shared : .exclusive,
                waitMilliseconds: try arguments.number("wait", default: 0), roles: Self.list(arguments.named["roles"]))
        default: throw ScriptError("unknown command \(verb)")
        }
    }

    /// A comma-separated list; empty when absent or empty.
    static func list(_ text: String?) -> [String] {
        guard let text, !text.isEmpty else { return [] }
        return text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    }

    func holdsQuery(_ arguments: Arguments) throws -> [String] {
        let page = table.listHolds(
            prefix: try arguments.named["prefix"].map { try LockKey($0) },
            after: try arguments.named["after"].map { try LockKey($0) },
            limit: Int(try arguments.number("limit", default: 100)))
        return page.holds.map(format) + ["next=\(page.next?.string ?? "none")"]
    }
}
