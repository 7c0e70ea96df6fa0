import PadlockTypes
import Testing
import Wire

@testable import PadlockClient

/// `ExchangeMachine` alone: inputs in, actions out, no loop, no clock, no network.
struct ExchangeMachineTests {
    let endpoints = ["10.0.0.1:7401", "10.0.0.2:7401", "10.0.0.3:7401"].compactMap { EndpointAddress($0) }
    let t0 = ContinuousClock.now

    func machine(_ kind: ExchangeKind, pinned: Int? = nil) -> ExchangeMachine {
        ExchangeMachine(
            kind: kind, pinned: pinned, answersNameLeader: true, backoffBase: .milliseconds(50),
            backoffCap: .seconds(1))
    }

    func sends(_ actions: [ExchangeMachine.Action]) -> [Int] {
        actions.compactMap { if case .send(let endpoint) = $0 { endpoint } else { nil } }
    }

    func retries(_ actions: [ExchangeMachine.Action]) -> [Duration] {
        actions.compactMap { if case .retry(_, let delay) = $0 { delay } else { nil } }
    }

    func outcome(_ actions: [ExchangeMachine.Action]) -> ExchangeOutcome? {
        for case .finish(let outcome) in actions { return outcome }
        return nil
    }

    @Test func anAnswerFinishesWithItsSendTimesAndNamesTheLeader() {
        var exchange = machine(.mutating)
        let started = exchange.start(at: 1, endpoints: endpoints)
        #expect(sends(started) == [1])
        exchange.attemptSent(at: t0)
        let lost = exchange.attemptEnded(
            .lost(wasSent: true, reason: "reset"), at: 1, hinted: nil, sentAt: t0, now: t0, endpoints: endpoints)
        #expect(retries(lost) == [.zero])
        #expect(exchange.mayHaveApplied)
        let retried = exchange.retryDue(endpoints: endpoints)
        #expect(sends(retried) == [2])
        let later = t0 + .milliseconds(300)
        let actions = exchange.attemptEnded(
            .answered(.success(.released)), at: 2, hinted: nil, sentAt: later, now: later, endpoints: endpoints)
        guard case .leaderIs(2)? = actions.first, case .answered(_, let sentAt, let first)? = outcome(actions) else {
            Issue.record("expected the leader and an answer, got \(actions)")
            return
        }
        #expect(sentAt == later)
        #expect(first == t0)
        let afterFinish = exchange.retryDue(endpoints: endpoints)
        #expect(afterFinish.isEmpty)
    }

    @Test func aHintIsFollowedAtOnceAndAStaleChainBacksOff() {
        var exchange = machine(.read)
        _ = exchange.start(at: 0, endpoints: endpoints)
        let notLeader = AttemptOutcome.answered(
            .failure(.notLeader(LeaderHint(node: NodeID(3), address: "10.0.0.3:7401"))))
        var actions = exchange.attemptEnded(notLeader, at: 0, hinted: 2, sentAt: t0, now: t0, endpoints: endpoints)
        #expect(sends(actions) == [2])
        #expect(retries(actions).isEmpty)
        #expect(!exchange.mayHaveApplied)
        // Each endpoint names the next: after as many quick redirects as endpoints, it backs off.
        for hop in 0..<2 {
            actions = exchange.attemptEnded(notLeader, at: 2, hinted: hop, sentAt: t0, now: t0, endpoints: endpoints)
            #expect(sends(actions) == [hop])
        }
        actions = exchange.attemptEnded(notLeader, at: 1, hinted: 0, sentAt: t0, now: t0, endpoints: endpoints)
        #expect(sends(actions).isEmpty)
        #expect(retries(actions) == [.zero])
    }

    @Test func aNotLeaderAnswerToAChangeMayStillHaveApplied() {
        var exchange = machine(.mutating)
        _ = exchange.start(at: 0, endpoints: endpoints)
        _ = exchange.attemptEnded(
            .answered(.failure(.notLeader(nil))), at: 0, hinted: nil, sentAt: t0, now: t0, endpoints: endpoints)
        guard case .gaveUp(let may, _)? = outcome(exchange.deadlinePassed(pendingSent: false)) else {
            Issue.record("expected to give up")
            return
        }
        #expect(may)
    }

    @Test func theServersRetryAfterIsAFloorCappedAtAMinute() {
        var exchange = machine(.read)
        _ = exchange.start(at: 0, endpoints: endpoints)
        var actions = exchange.attemptEnded(
            .answered(.failure(.unavailable(reason: "electing", retryAfterMilliseconds: 750))), at: 0, hinted: nil,
            sentAt: t0, now: t0, endpoints: endpoints)
        #expect(retries(actions) == [.milliseconds(750)])
        #expect(exchange.problem.retryAfter == .milliseconds(750))
        actions = exchange.attemptEnded(
            .answered(.failure(.unavailable(reason: "nonsense", retryAfterMilliseconds: 10_000_000))), at: 0,
            hinted: nil, sentAt: t0, now: t0, endpoints: endpoints)
        #expect(retries(actions) == [.seconds(60)])
    }

    @Test func anUnrepeatableChangeLostAfterSendingGivesUpAtOnce() {
        var exchange = machine(.unrepeatable)
        _ = exchange.start(at: 0, endpoints: endpoints)
        let unsent = exchange.attemptEnded(
            .lost(wasSent: false, reason: "refused"), at: 0, hinted: nil, sentAt: nil, now: t0, endpoints: endpoints)
        #expect(outcome(unsent) == nil)
        let retried = exchange.retryDue(endpoints: endpoints)
        #expect(sends(retried) == [1])
        let sent = exchange.attemptEnded(
            .lost(wasSent: true, reason: "reset"), at: 1, hinted: nil, sentAt: t0, now: t0, endpoints: endpoints)
        guard case .gaveUp(true, _)? = outcome(sent) else {
            Issue.record("expected to give up as possibly applied, got \(sent)")
            return
        }
    }

    @Test func refusalsSkipRefusingEndpointsAndEndWhenAllRefuse() {
        var exchange = machine(.read)
        _ = exchange.start(at: 0, endpoints: endpoints)
        var actions = exchange.attemptEnded(
            .refused(.badCredentials, message: "no"), at: 0, hinted: nil, sentAt: nil, now: t0, endpoints: endpoints)
        #expect(sends(actions) == [1])
        actions = exchange.attemptEnded(
            .refused(.wrongCluster, message: "other"), at: 1, hinted: nil, sentAt: nil, now: t0, endpoints: endpoints)
        #expect(sends(actions) == [2])
        actions = exchange.attemptEnded(
            .refused(.badCredentials, message: "no"), at: 2, hinted: nil, sentAt: nil, now: t0, endpoints: endpoints)
        guard case .refused(let error)? = outcome(actions) else {
            Issue.record("expected a refusal, got \(actions)")
            return
        }
        #expect(error.code == .permissionDenied)
    }

    @Test func thePendingAttemptDecidesWhetherADeadlineOrCancelMayHaveApplied() {
        var read = machine(.read)
        _ = read.start(at: 0, endpoints: endpoints)
        let readMayHaveApplied = read.cancel(pendingSent: true)
        #expect(!readMayHaveApplied)
        var change = machine(.mutating)
        _ = change.start(at: 0, endpoints: endpoints)
        guard case .gaveUp(true, _)? = outcome(change.deadlinePassed(pendingSent: true)) else {
            Issue.record("expected a possibly applied change")
            return
        }
        let again = change.deadlinePassed(pendingSent: true)
        #expect(again.isEmpty)
    }

    @Test func backoffDoublesUpToTheCap() {
        let bounds = (1...7).map { ExchangeMachine.backoffBound(retry: $0, base: .milliseconds(50), cap: .seconds(1)) }
        #expect(bounds.map(\.wholeMilliseconds) == [50, 100, 200, 400, 800, 1000, 1000])
    }
}
