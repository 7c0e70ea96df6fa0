import Foundation
import PadlockClient
import PadlockTypes
import Testing
import Wire

@Suite struct DateTests {
    static let stamp = Timestamp(millisecondsSinceEpoch: 1_796_604_593_607)
    static let expected = Date(timeIntervalSince1970: 1_796_604_593.607)

    static func holder(since: Timestamp = stamp) -> Holder {
        Holder(
            session: SessionID(7), owner: "alice@frontend-2", mode: .exclusive, fence: FenceToken(42),
            since: since, note: "editing phone")
    }

    /// Equal to well under a millisecond (the epoch conversions round in the last bits).
    static func same(_ date: Date?, _ expected: Date) -> Bool {
        guard let date else { return false }
        return abs(date.timeIntervalSince(expected)) < 0.000_1
    }

    @Test func everyLeaderClockTimeTheClientReturnsHasADate() throws {
        let key = try LockKey("acme/contacts/42")
        #expect(Self.same(Self.stamp.date, Self.expected))
        #expect(Self.same(Self.holder().sinceDate, Self.expected))
        let waiter = Waiter(key: key, session: SessionID(8), owner: "bob", mode: .shared, since: Self.stamp)
        #expect(Self.same(waiter.sinceDate, Self.expected))
        let info = LockInfo(key: key, holder: Self.holder(), leaseDeadline: Self.stamp.adding(milliseconds: 15_000))
        #expect(Self.same(info.leaseDeadlineDate, Self.expected.addingTimeInterval(15)))
        let delayed = KeyInspection(key: key, holders: [info], waiters: [waiter], lockDelayedUntil: Self.stamp)
        #expect(Self.same(delayed.lockDelayedUntilDate, Self.expected))
        let free = KeyInspection(key: key, holders: [], waiters: [], lockDelayedUntil: nil)
        #expect(free.lockDelayedUntilDate == nil)
        let grant = SessionGrant(session: SessionID(7), ttlMilliseconds: 15_000, renewalDeadline: Self.stamp)
        #expect(Self.same(grant.renewalDeadlineDate, Self.expected))
        let record = AuditRecord(
            sequence: 1, index: LogIndex(rawValue: 9), time: Self.stamp, action: .forceUnlock,
            session: SessionID(7), key: key, previousHolder: Self.holder(), identity: "ops", reason: "stuck")
        #expect(Self.same(record.timeDate, Self.expected))
    }

    @Test func theEpochAndTheLargestTimestampConvertWithoutTrapping() {
        #expect(Timestamp(millisecondsSinceEpoch: 0).date == Date(timeIntervalSince1970: 0))
        #expect(Timestamp(rawValue: .max).date > Date.distantFuture)
    }

    @Test func aGrantedLocksHolderSinceDateIsTheLeadersStampAsADate() async throws {
        try await withCluster { fake in
            try await withClient(fake) { client in
                let lock = try await client.acquire("acme/contacts/42")
                let since: Date = lock.holder.sinceDate
                #expect(since == lock.holder.since.date)
                let milliseconds = Double(lock.holder.since.millisecondsSinceEpoch)
                #expect(abs(since.timeIntervalSince1970 * 1000 - milliseconds) < 0.1)
                try await lock.release()
            }
        }
    }
}
