import PadlockTypes
import Testing

@Suite struct LockKeyTests {
    @Test func ordinaryRecordAndFieldKeysAreAccepted() throws {
        let record = try LockKey("acme/contacts/42")
        let field = try LockKey("acme/contacts/42/phone")
        #expect(record.namespace == "acme")
        #expect(field.segments == ["acme", "contacts", "42", "phone"])
    }

    @Test func aRecordLockCoversItsFieldsButSiblingFieldsDoNotOverlap() throws {
        let record = try LockKey("acme/contacts/42")
        let phone = try LockKey("acme/contacts/42/phone")
        let email = try LockKey("acme/contacts/42/email")
        let otherRecord = try LockKey("acme/contacts/420")
        #expect(record.covers(phone))
        #expect(!phone.covers(record))
        #expect(phone.overlaps(record))
        #expect(!phone.overlaps(email))
        #expect(!record.overlaps(otherRecord), "a shared string prefix is not a subtree")
        #expect(record.covers(record))
    }

    @Test(arguments: [
        ("", KeyError.empty),
        ("/acme", KeyError.emptySegment(index: 0)),
        ("acme/", KeyError.emptySegment(index: 1)),
        ("acme//42", KeyError.emptySegment(index: 1)),
        ("acme/\u{7}", KeyError.controlCharacter(offset: 5)),
        ("acme/a\nb", KeyError.controlCharacter(offset: 6)),
    ])
    func malformedKeysAreRefusedWithTheReason(input: String, expected: KeyError) {
        #expect(throws: expected) { try LockKey(input) }
    }

    /// The key check compares code points instead of asking for the general category; over every Unicode
    /// scalar the two must agree, or a key with a control character would get through (or a valid one not).
    @Test func theControlCharacterCheckAgreesWithUnicodeForEveryScalar() {
        var disagreements: [UInt32] = []
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            if LockKey.isControl(scalar) != (scalar.properties.generalCategory == .control) {
                disagreements.append(value)
            }
        }
        #expect(disagreements.isEmpty, "differ at \(disagreements.prefix(10).map { String($0, radix: 16) })")
        #expect(throws: KeyError.controlCharacter(offset: 5)) { try LockKey("acme/\u{85}42") }
        #expect(throws: Never.self) { try LockKey("acme/contacts/\u{A0}42/\u{200B}") }
    }

    @Test func keysOverTheByteLimitAreRefused() {
        let long = String(repeating: "é", count: 257)  // 514 bytes
        #expect(throws: KeyError.tooLong(byteCount: 514)) { try LockKey(long) }
        #expect(throws: Never.self) { try LockKey(String(repeating: "a", count: 512)) }
    }

    @Test func keysWithTooManySegmentsAreRefused() {
        let sixteen = Array(repeating: "s", count: 16).joined(separator: "/")
        let seventeen = Array(repeating: "s", count: 17).joined(separator: "/")
        #expect(throws: Never.self) { try LockKey(sixteen) }
        #expect(throws: KeyError.tooManySegments(count: 17)) { try LockKey(seventeen) }
    }

    @Test func errorMessagesSayWhatToDo() {
        #expect(KeyError.emptySegment(index: 1).description.contains("'/'"))
        #expect(KeyError.tooLong(byteCount: 600).description.contains("512"))
    }
}
