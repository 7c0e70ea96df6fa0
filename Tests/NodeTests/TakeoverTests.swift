import LockTable
import Node
import PadlockTypes
import Raft
import Testing
import Wire

/// A takeover through the node's request path: one committed entry ends the holder (with the release event
/// the event delivery tells it from), audits who took it and why, and grants a higher fence at once.
@Suite struct TakeoverTests {
    /// Records the lock table's events of every applied entry.
    final class EventRecorder: NodeObserver {
        var events: [Event] = []
        func node(_ node: NodeID, applied entry: Entry, result: LockTable.Applied?, table: LockTable) {
            events += result?.events ?? []
        }
        func node(_ node: NodeID, installedSnapshotAt index: LogIndex, table: LockTable) {}
        func node(_ node: NodeID, becameRole role: RaftNode.Role, term: Term) {}
    }

    @Test("A takeover ends the holder with takenOver, audits it, and grants a higher fence with no lock-delay")
    func takeoverEndsTheHolderAndGrantsAHigherFence() throws {
        let cluster = try SingleNodeCluster()
        let recorder = EventRecorder()
        cluster.node.observer = recorder
        cluster.elect()
        let record = key("acme/contacts/7")
        let alice = try cluster.openSession(owner: "alice@fe")
        let manager = try cluster.openSession(owner: "manager@fe")
        let editing = Acquisition(key: record, mode: .exclusive, waitMilliseconds: 0, note: "editing")
        guard
            case .success(.granted(let previous))? = cluster.ask(
                .acquire(RequestID(session: alice, sequence: 1), editing))
        else { throw TestFailure("alice's acquire was not granted") }

        let takeover = ClientOperation.takeover(
            RequestID(session: manager, sequence: 1),
            Acquisition(key: record, mode: .exclusive, waitMilliseconds: 0, note: "fixing the address"),
            reason: "alice is on leave")
        guard case .success(.granted(let taker))? = cluster.ask(takeover, caller: Caller(name: "crm", sessionsMax: 0))
        else { throw TestFailure("the takeover was not granted") }
        #expect(taker.session == manager)
        #expect(taker.fence > previous.fence)
        let released = recorder.events.filter { if case .lockReleased = $0 { true } else { false } }
        #expect(
            released == [
                .lockReleased(
                    key: record, previous: previous,
                    reason: .lost(.takenOver(by: taker, reason: "alice is on leave")))
            ])

        guard case .success(.inspected(let inspection))? = cluster.ask(.inspect(record)) else {
            throw TestFailure("the key could not be inspected")
        }
        #expect(inspection.holders.map(\.holder) == [taker])
        #expect(inspection.lockDelayedUntil == nil, "a takeover must not leave the key under lock-delay")

        guard case .success(.audited(let page))? = cluster.ask(.audit(after: nil, limit: 10)) else {
            throw TestFailure("the audit trail could not be read")
        }
        #expect(page.records.count == 1)
        let audited = try #require(page.records.first)
        #expect(audited.action == .takeover)
        #expect(audited.identity == "client crm: manager@fe")
        #expect(audited.previousHolder == previous)
        #expect(audited.reason == "alice is on leave")
        #expect(audited.index.rawValue == taker.fence.rawValue)

        // A retry gets the same grant and ends nobody again; the old fence is refused.
        #expect(cluster.ask(takeover) == .success(.granted(taker)))
        let stale = ClientOperation.release(RequestID(session: alice, sequence: 2), key: record, fence: previous.fence)
        #expect(cluster.ask(stale) == .failure(.notHeld))
        #expect(recorder.events.filter { if case .lockReleased = $0 { true } else { false } }.count == 1)
    }

    @Test("A takeover without a reason is refused before anything is proposed")
    func aTakeoverNeedsAReason() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        let manager = try cluster.openSession(owner: "manager@fe")
        let answer = cluster.ask(
            .takeover(
                RequestID(session: manager, sequence: 1),
                Acquisition(key: key("acme/x"), mode: .exclusive, waitMilliseconds: 0, note: ""), reason: ""))
        guard case .failure(.invalidArgument(let message))? = answer else {
            throw TestFailure("an empty reason was answered \(String(describing: answer))")
        }
        #expect(message.contains("needs a reason"), "\(message)")
    }
}
