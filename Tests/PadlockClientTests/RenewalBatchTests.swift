import PadlockClient
import Testing
import Wire

/// Renewals of many sessions travel together (issue 19): one request per renewal interval for all of a
/// client's sessions, each session keeping its own lease bookkeeping.
@Suite struct RenewalBatchTests {
    static let owners = ["rep-1@crm", "rep-2@crm", "rep-3@crm", "rep-4@crm", "rep-5@crm"]

    /// The sessions each renewal request named, in arrival order (a single renewal names one).
    private func renewals(_ fake: FakeCluster) async -> [[SessionID]] {
        await fake.with { state in
            state.requests(\.isRenewal).map { entry in
                switch entry.request.operation {
                case .renewSession(let session): [session]
                case .renewSessions(let sessions): sessions
                default: []
                }
            }
        }
    }

    private var shortTTL: PadlockClient.Configuration {
        var configuration = testConfiguration
        configuration.sessionTTL = .seconds(2)
        return configuration
    }

    @Test func sessionsOfDifferentOwnersAreRenewedTogetherInOneRequestPerInterval() async throws {
        try await withCluster { fake in
            try await withClient(fake, configuration: shortTTL) { client in
                var locks: [Lock] = []
                for (index, owner) in Self.owners.enumerated() {
                    locks.append(try await client.acquire("acme/contacts/\(index)", owner: owner))
                }
                let sessions = Set(locks.map(\.holder.session))
                #expect(sessions.count == Self.owners.count, "one session per owner")
                // Wait for three renewal requests after the first that named every session.
                let converged = await eventually(within: .seconds(20)) {
                    let seen = await renewals(fake)
                    guard let first = seen.firstIndex(where: { Set($0) == sessions }) else { return false }
                    return seen.count >= first + 3
                }
                let seen = await renewals(fake)
                #expect(converged, "renewal requests: \(seen)")
                if let first = seen.firstIndex(where: { Set($0) == sessions }) {
                    for request in seen[first...] {
                        #expect(Set(request) == sessions, "every later request renews every session at once")
                    }
                }
                for lock in locks { #expect(lock.state == .safe) }
                for lock in locks { try await lock.release() }
            }
        }
    }

    @Test func anExpiredSessionInABatchIsLostWhileTheOthersStaySafe() async throws {
        try await withCluster { fake in
            try await withClient(fake, configuration: shortTTL) { client in
                var locks: [Lock] = []
                for (index, owner) in Self.owners.prefix(3).enumerated() {
                    locks.append(try await client.acquire("acme/contacts/\(index)", owner: owner))
                }
                let sessions = Set(locks.map(\.holder.session))
                let batched = await eventually(within: .seconds(20)) {
                    await renewals(fake).contains { Set($0) == sessions }
                }
                try #require(batched, "the three sessions were never renewed in one request")
                let ended = locks[1].holder.session
                await fake.with { _ = $0.table.end(ended) }
                let lost = await eventually(within: .seconds(20)) { locks[1].state == .lost }
                #expect(lost, "the session the cluster ended is lost after its next batch renewal")
                // Two more batches of the others alone: they stay renewed and safe.
                let before = await renewals(fake).count
                let renewedOn = await eventually(within: .seconds(20)) { await renewals(fake).count >= before + 2 }
                #expect(renewedOn)
                let last = await renewals(fake).last ?? []
                #expect(Set(last) == sessions.subtracting([ended]))
                #expect(locks[0].state == .safe)
                #expect(locks[2].state == .safe)
                let release = await padlockError { try await locks[1].release() }
                #expect(release?.code == .lockLost || release?.code == .sessionExpired)
                try await locks[0].release()
                try await locks[2].release()
            }
        }
    }
}
