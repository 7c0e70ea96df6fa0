// An outside CRM app server's file, written from the docs alone: GRDB, PadlockClient and ServiceLifecycle in one
// file (issue 19, "Done when"). OutsidePackageTests typechecks it against the built modules the way another
// package sees them: no `-package-name`, so only what the PadlockClient product makes public is in reach.
import Foundation
import GRDB
import PadlockClient
import ServiceLifecycle

func crmAppServer(database: DatabaseQueue) async throws {
    var grdb = Configuration()  // GRDB's, unqualified
    grdb.readonly = false
    var client = PadlockClient.Configuration()  // the client's, nested
    client.sessionTTL = .seconds(15)
    let padlock = try await PadlockClient(
        endpoints: ["127.0.0.1:7401"], owner: "app@frontend-2", token: "s3cret", cluster: 0,
        configuration: client)
    let service: any Service = padlock
    _ = service

    do {
        let lock = try await padlock.acquire(
            "acme/contacts/42", owner: "bob@frontend-2", wait: .seconds(2), note: "editing phone")
        let since: Date = lock.holder.sinceDate
        let fence: FenceToken = lock.fence
        let key: LockKey = lock.key
        _ = (since, fence, key)
        try await lock.release()
    } catch {
        if case .held(let holders) = error.code {
            let everyone: [Holder] = holders
            for holder in everyone { print(holder.owner, holder.sinceDate, holder.note, holder.mode, holder.fence) }
        }
        let retryAfter: Duration? = error.retryAfter
        _ = retryAfter
    }
    let taken: Lock = try await padlock.acquire(
        "acme/contacts/42", owner: "manager@frontend-1", note: "fixing the address", takeover: "Bob is on leave")
    let takenOver: Bool = try await padlock.audit().records.contains { $0.action == .takeover }
    _ = takenOver
    try await taken.release()
    let released: Int = try await padlock.releaseAll(owner: "bob@frontend-2")
    _ = released

    // Every value the API returns is nameable by its type.
    let inspection: KeyInspection = try await padlock.inspect("acme/contacts/42")
    let same: Inspection = inspection
    let holders: [LockInfo] = same.holders
    let waiters: [Waiter] = same.waiters
    let delayed: Date? = same.lockDelayedUntilDate
    let listed: [LockInfo] = try await padlock.list(prefix: "acme", owner: nil, limit: 10)
    let check: FenceCheck = try await padlock.checkFence("acme/contacts/42", FenceToken(7))
    let page: AuditPage = try await padlock.audit(after: nil, limit: 10)
    let records: [AuditRecord] = page.records
    let action: AuditAction? = records.first?.action
    let statuses: [NodeStatus] = try await padlock.status()
    let role: NodeRole? = statuses.first?.role
    let peers: [PeerProgress] = statuses.first?.peers ?? []
    let members: [MemberInfo] = try await padlock.members()
    let node: NodeID? = members.first?.node
    let session: SessionID? = holders.first?.holder.session
    let request: RequestID? = nil
    let mode: LockMode = .shared
    _ = (waiters, delayed, listed, check.isCurrent, action, role, peers, node, session, request, mode)
    await padlock.close()
}

// Events (issue 21): loss reasons, watches and queue positions, as docs/client.md shows them.
func crmEvents(padlock: PadlockClient) async throws {
    let lock = try await padlock.acquire(
        "acme/contacts/42", wait: .seconds(30), onQueuePosition: { position in print("\(position) in line") })
    for await state in lock.states where state == .lost {
        if case .cluster(let loss)? = lock.lossReason, case .forceUnlocked(let by, let reason) = loss {
            print("\(by): \(reason)")
        }
        let reason: LockLossReason? = lock.lossReason
        _ = reason
    }
    for try await state in padlock.watch(prefix: "acme/contacts") {
        let status: KeyState.Status = state.status
        let waiting: Int = state.waiterCount
        _ = (status, waiting, state.holders.first?.holder.sinceDate, state.lockDelayedUntil?.date, state.index)
    }
    _ = padlock.watch("acme/contacts/42")
    var configuration = PadlockClient.Configuration()
    configuration.maximumWatches = 100
    configuration.maximumUnreadKeysPerWatch = 1_000
}
