import LockTable
import PadlockTypes
import Testing

/// `conflictingHolders(of:mode:limit:)`: every holder a refusal can name, not only the first.
@Suite struct ConflictingHoldersTests {
    var table = LockTable()
    var index: UInt64 = 0

    mutating func apply(_ command: Command) -> CommandResult {
        index += 1
        return table.apply(command, at: index, time: Timestamp(rawValue: index * 10)).result
    }

    mutating func session(_ owner: String) throws -> SessionID {
        let result = apply(.openSession(owner: owner, nonce: index + 1, ttlMilliseconds: 10_000))
        guard case .sessionOpened(let id, _) = result else { throw ConflictTestFailure("open: \(result)") }
        return id
    }

    mutating func lock(_ session: SessionID, _ key: String, _ mode: LockMode, sequence: UInt64) throws -> FenceToken {
        let result = apply(
            .acquire(
                RequestID(session: session, sequence: sequence), key: try LockKey(key), mode: mode,
                waitMilliseconds: 0, note: ""))
        guard case .granted(let fence, _) = result else { throw ConflictTestFailure("acquire \(key): \(result)") }
        return fence
    }

    @Test mutating func everyConflictingHolderOfTheKeyItsAncestorsAndDescendantsIsNamedInKeyOrder() throws {
        let alice = try session("alice@fe")
        let bob = try session("bob@fe")
        let carol = try session("carol@fe")
        let phone = try lock(alice, "acme/contacts/42/phone", .exclusive, sequence: 1)
        let email = try lock(bob, "acme/contacts/42/email", .shared, sequence: 1)
        let emailToo = try lock(carol, "acme/contacts/42/email", .shared, sequence: 1)
        _ = try lock(carol, "acme/contacts/43", .exclusive, sequence: 2)

        let record = try LockKey("acme/contacts/42")
        let exclusive = table.conflictingHolders(of: record, mode: .exclusive, limit: 16)
        #expect(exclusive.holders.map(\.holder.fence) == [email, emailToo, phone], "byte order: email < phone")
        #expect(
            exclusive.holders.map(\.key.string) == [
                "acme/contacts/42/email", "acme/contacts/42/email", "acme/contacts/42/phone",
            ])
        #expect(!exclusive.truncated)

        // A shared request conflicts only with the exclusive holder.
        let shared = table.conflictingHolders(of: record, mode: .shared, limit: 16)
        #expect(shared.holders.map(\.holder.fence) == [phone])

        // The table's own refusal names one of them; the list holds it.
        guard
            case .held(let first, _) = apply(
                .acquire(
                    RequestID(session: bob, sequence: 2), key: record, mode: .exclusive, waitMilliseconds: 0,
                    note: ""))
        else { throw ConflictTestFailure("expected held") }
        #expect(exclusive.holders.map(\.holder).contains(first))

        // Nothing conflicts on a free subtree; an ancestor's holder conflicts with a descendant.
        #expect(
            table.conflictingHolders(of: try LockKey("acme/contacts/44"), mode: .exclusive, limit: 16).holders
                .isEmpty)
        let underPhone = table.conflictingHolders(
            of: try LockKey("acme/contacts/42/phone/ext"), mode: .shared, limit: 4)
        #expect(underPhone.holders.map(\.holder.fence) == [phone])
    }

    @Test mutating func theListIsBoundedAndSaysWhenItWasCut() throws {
        var fences: [FenceToken] = []
        for number in 0..<5 {
            let owner = try session("reader\(number)@fe")
            fences.append(try lock(owner, "acme/reports/q3", .shared, sequence: 1))
        }
        let key = try LockKey("acme/reports")
        let cut = table.conflictingHolders(of: key, mode: .exclusive, limit: 3)
        #expect(cut.holders.map(\.holder.fence) == Array(fences.prefix(3)))
        #expect(cut.truncated)
        let whole = table.conflictingHolders(of: key, mode: .exclusive, limit: 5)
        #expect(whole.holders.count == 5 && !whole.truncated)
        #expect(table.conflictingHolders(of: key, mode: .exclusive, limit: 0).holders.count == 1, "at least one")
    }
}

struct ConflictTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
