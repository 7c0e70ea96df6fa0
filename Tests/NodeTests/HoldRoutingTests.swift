import LockTable
import Node
import PadlockTypes
import Raft
import Testing
import Wire

/// Issue 22 through the node's request path: holds placed, refusing, inspected, listed, audited and lifted;
/// all-or-nothing acquires granted, refused and queued as one waiter; mode changes; and the input checks
/// that answer bad requests before anything is proposed.
@Suite struct HoldRoutingTests {
    static let record = key("acme/deals/42")
    static let console = Caller(name: "crm", sessionsMax: 0)

    static func placement(
        _ key: LockKey = record, exempt: [String] = ["finance-admin"], editable: [String] = ["notes"]
    ) -> HoldPlacement {
        HoldPlacement(
            key: key, rule: "Deal closed", reason: "stage closed-won", source: .rule, restricts: .edit,
            exemptRoles: exempt, editableFields: editable, endsHolders: false)
    }

    static func acquire(
        _ session: SessionID, _ sequence: UInt64, _ keys: [String], roles: [String] = [],
        mode: LockMode = .exclusive, wait: UInt64 = 0
    ) -> ClientOperation {
        let keys = keys.map(key)
        return .acquireKeys(
            RequestID(session: session, sequence: sequence), keys: keys,
            Acquisition(key: keys[0], mode: mode, waitMilliseconds: wait, note: "editing"), roles: roles)
    }

    @Test("A hold placed through the node refuses a rep's edit, lets an exempt role and an editable field through")
    func aHoldRefusesGrantsAndIsShownEverywhere() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        let ops = try cluster.openSession(owner: "rules@engine")
        let rep = try cluster.openSession(owner: "rep@frontend")
        let finance = try cluster.openSession(owner: "fin@frontend")
        let placed = cluster.ask(
            .placeHold(RequestID(session: ops, sequence: 1), Self.placement()), caller: Self.console)
        guard case .success(.holdPlaced(let hold, let ended))? = placed else {
            throw TestFailure("the hold was not placed: \(String(describing: placed))")
        }
        #expect(ended.isEmpty)
        #expect(hold.key == Self.record && hold.rule == "Deal closed" && hold.reason == "stage closed-won")
        #expect(hold.placedBy == "client crm: rules@engine", "audited like an administrator")
        #expect(hold.exemptRoles == ["finance-admin"] && hold.editableFields == ["notes"])

        let plain = ClientOperation.acquire(
            RequestID(session: rep, sequence: 1),
            Acquisition(key: Self.record, mode: .exclusive, waitMilliseconds: 60_000, note: ""))
        #expect(cluster.ask(plain) == .failure(.restricted(by: hold)), "refused at once, never queued")
        #expect(
            cluster.ask(Self.acquire(rep, 2, ["acme/deals/42"], roles: ["sales-rep"]))
                == .failure(.restricted(by: hold)))
        guard case .success(.granted(let field))? = cluster.ask(Self.acquire(rep, 3, ["acme/deals/42/notes"])) else {
            throw TestFailure("the editable field was not granted")
        }
        #expect(field.fence > hold.fence)
        let exempt = cluster.ask(Self.acquire(finance, 1, ["acme/deals/42/amount"], roles: ["finance-admin"]))
        guard case .success(.granted(let bypass))? = exempt else {
            throw TestFailure("the exempt role was not granted: \(String(describing: exempt))")
        }

        guard case .success(.inspected(let inspection))? = cluster.ask(.inspect(Self.record)) else {
            throw TestFailure("the record could not be inspected")
        }
        #expect(inspection.holds == [hold])
        #expect(Set(inspection.holders.map(\.holder)) == [field, bypass])
        guard case .success(.inspected(let tenant))? = cluster.ask(.inspect(key("acme"))) else {
            throw TestFailure("the tenant could not be inspected")
        }
        #expect(tenant.holds == [hold], "an ancestor's inspection shows the holds below it")
        #expect(
            cluster.ask(.holds(prefix: key("acme"), after: nil, limit: 10))
                == .success(
                    .holdsListed(HoldPage(holds: [hold], next: nil))))
        #expect(
            cluster.ask(.holds(prefix: key("globex"), after: nil, limit: 10))
                == .success(
                    .holdsListed(HoldPage(holds: [], next: nil))))

        guard case .success(.audited(let page))? = cluster.ask(.audit(after: nil, limit: 50)) else {
            throw TestFailure("the audit trail could not be read")
        }
        #expect(page.records.map(\.action) == [.holdPlaced, .holdBypassed])
        #expect(page.records.allSatisfy { $0.hold == hold })

        let lift = ClientOperation.liftHold(
            RequestID(session: ops, sequence: 2), key: Self.record, rule: nil, reason: "deal reopened")
        #expect(cluster.ask(lift, caller: Self.console) == .success(.holdsLifted([hold])))
        let again = ClientOperation.liftHold(
            RequestID(session: ops, sequence: 3), key: Self.record, rule: "Deal closed", reason: "again")
        #expect(cluster.ask(again, caller: Self.console) == .failure(.noHold))
        guard case .success(.granted)? = cluster.ask(Self.acquire(rep, 4, ["acme/deals/42/stage"])) else {
            throw TestFailure("the lifted record still refused the rep")
        }
    }

    @Test("An all-or-nothing acquire grants every key under one fence, or none and names the holder")
    func allOrNothing() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        let alice = try cluster.openSession(owner: "alice")
        let bob = try cluster.openSession(owner: "bob")
        guard case .success(.grantedKeys(let holders))? = cluster.ask(Self.acquire(alice, 1, ["acme/1", "acme/2"]))
        else {
            throw TestFailure("the batch was not granted")
        }
        #expect(holders.count == 2 && Set(holders.map(\.fence)).count == 1)
        let refused = cluster.ask(Self.acquire(bob, 1, ["acme/3", "acme/2"]))
        guard case .failure(.held(let by, _, _))? = refused else {
            throw TestFailure("the batch with a held key was answered \(String(describing: refused))")
        }
        #expect(by.map(\.key) == [key("acme/2")] && by.map(\.holder) == [holders[1]])
        guard case .success(.inspected(let free))? = cluster.ask(.inspect(key("acme/3"))) else {
            throw TestFailure("acme/3 could not be inspected")
        }
        #expect(free.holders.isEmpty, "nothing of a refused batch is held")
        guard case .success(.granted(let single))? = cluster.ask(Self.acquire(bob, 2, ["acme/3"], roles: ["rep"]))
        else {
            throw TestFailure("a one-key acquire with roles is answered like an acquire")
        }
        #expect(single.session == bob)
    }

    @Test("A queued batch is told one place in line, its farthest, and is answered when every key is free")
    func aQueuedBatch() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        let alice = try cluster.openSession(owner: "alice")
        let bob = try cluster.openSession(owner: "bob")
        let carol = try cluster.openSession(owner: "carol")
        guard case .success(.granted(let held))? = cluster.ask(Self.acquire(alice, 1, ["acme/2"])) else {
            throw TestFailure("alice's acquire was not granted")
        }
        let carolsConnection = ClientID(3)
        _ = cluster.ask(.subscribe(Subscription(sessions: [carol])), from: carolsConnection)
        cluster.send(Self.acquire(bob, 1, ["acme/2"], wait: 60_000))
        let batch = cluster.send(Self.acquire(carol, 1, ["acme/1", "acme/2"], wait: 60_000), from: carolsConnection)
        cluster.settle()
        #expect(cluster.answer(to: batch) == nil, "the batch waits")
        let request = RequestID(session: carol, sequence: 1)
        #expect(positions(cluster) == [.waiterPosition(request: request, key: key("acme/2"), position: 2)])

        _ = cluster.ask(.release(RequestID(session: alice, sequence: 2), key: key("acme/2"), fence: held.fence))
        #expect(positions(cluster).last == .waiterPosition(request: request, key: key("acme/2"), position: 1))
        #expect(cluster.answer(to: batch) == nil, "bob came first")
        guard case .success(.inspected(let state))? = cluster.ask(.inspect(key("acme/2"))),
            let bobs = state.holders.first?.holder
        else { throw TestFailure("bob was not granted") }
        _ = cluster.ask(.release(RequestID(session: bob, sequence: 2), key: key("acme/2"), fence: bobs.fence))
        guard case .success(.grantedKeys(let holders))? = cluster.answer(to: batch) else {
            throw TestFailure("the batch was answered \(String(describing: cluster.answer(to: batch)))")
        }
        #expect(holders.map(\.session) == [carol, carol])
        #expect(positions(cluster).count == 2, "no position after the grant")
    }

    /// Records the commands of the applied entries.
    final class CommandRecorder: NodeObserver {
        var commands: [Command] = []
        func node(_ node: NodeID, applied entry: Entry, result: LockTable.Applied?, table: LockTable) {
            if let command = entry.command { commands.append(command) }
        }
        func node(_ node: NodeID, installedSnapshotAt index: LogIndex, table: LockTable) {}
        func node(_ node: NodeID, becameRole role: RaftNode.Role, term: Term) {}
    }

    @Test("A queued batch whose wait runs out is expired by one entry and answered once, naming the holder")
    func aQueuedBatchTimesOutOnce() throws {
        let cluster = try SingleNodeCluster()
        let recorder = CommandRecorder()
        cluster.node.observer = recorder
        cluster.elect()
        let alice = try cluster.openSession(ttl: 60_000, owner: "alice")
        let bob = try cluster.openSession(ttl: 60_000, owner: "bob")
        guard case .success(.granted(let held))? = cluster.ask(Self.acquire(alice, 1, ["acme/3"])) else {
            throw TestFailure("alice's acquire was not granted")
        }
        let batch = cluster.send(Self.acquire(bob, 1, ["acme/1", "acme/2", "acme/3"], wait: 200))
        for _ in 0..<100 where cluster.answer(to: batch) == nil { cluster.tick(milliseconds: 50) }
        guard case .failure(.held(let by, _, _))? = cluster.answer(to: batch) else {
            throw TestFailure("the batch was answered \(String(describing: cluster.answer(to: batch)))")
        }
        #expect(by.map(\.holder) == [held])
        let expiries = recorder.commands.filter { if case .expireWaiter = $0 { true } else { false } }
        #expect(expiries.count == 1, "one expiry for a waiter that stands in three queues")
        let answers = cluster.environment.responses.filter { $0.response.correlation == batch }
        #expect(answers.count == 1)
    }

    @Test("An audit page of large hold records ends before it would overflow a frame, and the next page resumes")
    func largeAuditPages() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        let ops = try cluster.openSession(ttl: 600_000, owner: "rules@engine")
        let count = WireLimits.pageSizeMax
        for index in 0..<count {
            let placement = HoldPlacement(
                key: key("acme/deals/\(index)"), rule: String(repeating: "r", count: HoldLimits.ruleByteCountMax),
                reason: String(repeating: "x", count: InputLimits.reasonByteCountMax), source: .rule,
                restricts: .edit,
                exemptRoles: (0..<HoldLimits.exemptRolesMax).map { "role-\($0)-" + String(repeating: "e", count: 50) },
                editableFields: (0..<HoldLimits.editableFieldsMax).map {
                    "field-\($0)-" + String(repeating: "f", count: 50)
                }, endsHolders: false)
            cluster.send(.placeHold(RequestID(session: ops, sequence: UInt64(index + 1)), placement))
        }
        cluster.settle()
        let first = cluster.ask(.audit(after: nil, limit: count))
        guard case .success(.audited(let page))? = first, let next = page.next else {
            throw TestFailure("the first page was \(String(describing: first))")
        }
        #expect(page.records.count < count && page.records.count > 100)
        let bytes = ClientResponse(correlation: CorrelationID(1), outcome: .success(.audited(page))).encoded()
        #expect(bytes.count < WireLimits.framePayloadByteCountMax)
        guard case .success(.audited(let rest))? = cluster.ask(.audit(after: next, limit: count)) else {
            throw TestFailure("the second page could not be read")
        }
        let keys = (page.records + rest.records).compactMap(\.key)
        #expect(keys.count == count && Set(keys).count == count, "every hold placed is audited once")
    }

    @Test("A shared holder upgrades in place with a new fence and downgrades again")
    func modeChanges() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        let alice = try cluster.openSession(owner: "alice")
        guard case .success(.granted(let viewing))? = cluster.ask(Self.acquire(alice, 1, ["acme/9"], mode: .shared))
        else { throw TestFailure("the shared acquire was not granted") }
        let upgrade = ClientOperation.changeMode(
            RequestID(session: alice, sequence: 2), key: key("acme/9"), fence: viewing.fence, mode: .exclusive,
            waitMilliseconds: 0, roles: [])
        guard case .success(.granted(let editing))? = cluster.ask(upgrade) else {
            throw TestFailure("the upgrade was not granted")
        }
        #expect(editing.mode == .exclusive && editing.fence > viewing.fence)
        let downgrade = ClientOperation.changeMode(
            RequestID(session: alice, sequence: 3), key: key("acme/9"), fence: editing.fence, mode: .shared,
            waitMilliseconds: 0, roles: [])
        guard case .success(.granted(let back))? = cluster.ask(downgrade) else {
            throw TestFailure("the downgrade was not granted")
        }
        #expect(back.mode == .shared && back.fence > editing.fence)
    }

    @Test("A refused upgrade names the other holders, never the upgrader's own shared lock")
    func refusedUpgradeNamesOthers() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        let alice = try cluster.openSession(owner: "alice")
        let bob = try cluster.openSession(owner: "bob")
        guard case .success(.granted(let viewing))? = cluster.ask(Self.acquire(alice, 1, ["acme/9"], mode: .shared)),
            case .success(.granted)? = cluster.ask(Self.acquire(bob, 1, ["acme/9"], mode: .shared))
        else { throw TestFailure("the shared acquires were not granted") }
        let upgrade = ClientOperation.changeMode(
            RequestID(session: alice, sequence: 2), key: key("acme/9"), fence: viewing.fence, mode: .exclusive,
            waitMilliseconds: 0, roles: [])
        guard case .failure(.held(let holders, _, _))? = cluster.ask(upgrade) else {
            throw TestFailure("the upgrade was not refused held")
        }
        #expect(holders.map(\.holder.owner) == ["bob"], "named \(holders.map(\.holder.owner))")
    }

    /// Bad requests and the words each is answered with, before anything is proposed.
    static let badInput: [(ClientOperation, String)] = {
        let session = SessionID(1)
        let id = RequestID(session: session, sequence: 1)
        let tooManyKeys = (0...HoldLimits.keysPerAcquireMax).map { "acme/\($0)" }
        let tooManyRoles = (0...HoldLimits.rolesPerRequestMax).map { "role-\($0)" }
        var noRule = placement()
        noRule.rule = ""
        var longRule = placement()
        longRule.rule = String(repeating: "r", count: HoldLimits.ruleByteCountMax + 1)
        var noReason = placement()
        noReason.reason = ""
        var pathField = placement()
        pathField.editableFields = ["notes/body"]
        var emptyRole = placement()
        emptyRole.exemptRoles = [""]
        return [
            (acquire(session, 1, ["acme/1", "acme/1/a"]), "must not overlap"),
            (acquire(session, 1, tooManyKeys), "at most \(HoldLimits.keysPerAcquireMax) keys"),
            (acquire(session, 1, ["acme/1"], roles: tooManyRoles), "at most \(HoldLimits.rolesPerRequestMax) roles"),
            (acquire(session, 1, ["acme/1"], wait: InputLimits.waitMillisecondsMax + 1), "the wait may be at most"),
            (
                .changeMode(
                    id, key: key("acme/1"), fence: FenceToken(2), mode: .exclusive,
                    waitMilliseconds: InputLimits.waitMillisecondsMax + 1, roles: []), "the wait may be at most"
            ),
            (
                .changeMode(
                    id, key: key("acme/1"), fence: FenceToken(2), mode: .exclusive, waitMilliseconds: 0,
                    roles: ["bad\u{7}role"]), "no control characters"
            ),
            (.placeHold(id, noRule), HoldInputProblem.ruleEmpty.description),
            (.placeHold(id, longRule), HoldInputProblem.ruleTooLong.description),
            (.placeHold(id, noReason), HoldInputProblem.reasonEmpty.description),
            (.placeHold(id, pathField), "no '/'"),
            (.placeHold(id, emptyRole), HoldInputProblem.roleInvalid.description),
            (.liftHold(id, key: record, rule: nil, reason: ""), "lifting a hold needs a reason"),
            (.liftHold(id, key: record, rule: "", reason: "r"), HoldInputProblem.ruleEmpty.description),
            (
                .liftHold(id, key: record, rule: String(repeating: "r", count: 129), reason: "r"),
                HoldInputProblem.ruleTooLong.description
            ),
            (.holds(prefix: nil, after: nil, limit: 0), "a listing's limit must be at least 1"),
        ]
    }()

    @Test("Bad hold, batch and mode-change requests are answered invalidArgument before anything is proposed")
    func inputChecks() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        _ = try cluster.openSession(owner: "alice")
        let applied = cluster.node.appliedIndex
        for (operation, says) in Self.badInput {
            let answer = cluster.ask(operation, caller: Self.console)
            guard case .failure(.invalidArgument(let message))? = answer else {
                Issue.record("\(operation.name) was answered \(String(describing: answer))")
                continue
            }
            #expect(message.contains(says), "\(operation.name): \(message)")
        }
        #expect(cluster.node.appliedIndex == applied, "nothing was proposed")
    }

    private func positions(_ cluster: SingleNodeCluster) -> [EventBody] {
        cluster.environment.events.map(\.event.body).filter {
            if case .waiterPosition = $0 { true } else { false }
        }
    }
}
