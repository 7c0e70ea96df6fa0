import Foundation
import Testing
import Wire

@testable import PadlockClient

@Suite(.serialized) struct RetryAfterTests {
    @Test func waitsAndTimesReadAsWords() {
        #expect(Wording.duration(.milliseconds(350)) == "350 ms")
        #expect(Wording.duration(.milliseconds(4_200)) == "4.2 s")
        #expect(Wording.duration(.milliseconds(4_960)) == "5 s")
        #expect(Wording.duration(.seconds(125)) == "2 min 5 s")
        #expect(Wording.duration(.seconds(-3)) == "0 ms")
        let now = Date(timeIntervalSince1970: 1_796_604_593)
        let until = now.addingTimeInterval(4.2)
        #expect(Wording.wait(until: until, now: now) == .milliseconds(4_200))
        #expect(Wording.wait(until: now, now: until) == .zero)
        let words = Wording.freeAgain(at: until, now: now)
        #expect(words.hasPrefix("free again in 4.2 s, at "), "\(words)")
        #expect(words.wholeMatch(of: /free again in 4\.2 s, at \d\d:\d\d:\d\d/) != nil, "\(words)")
    }

    @Test func aLockDelayRefusalCarriesRetryAfterAndSaysWhenInWords() async throws {
        try await withCluster { fake in
            // A minute of lock-delay, so that however long a loaded machine takes to deliver the answer, more
            // than half of it is left when the client computes retryAfter (4.2 s once left 0.3 s).
            let now = UInt64(Date().timeIntervalSince1970 * 1000)
            let until = Timestamp(millisecondsSinceEpoch: now + 60_000)
            await fake.script { _, request in
                request.operation.isAcquire ? .answer(.failure(.lockDelayed(until: until))) : .normal
            }
            try await withClient(fake) { client in
                let refused = await padlockError { _ = try await client.acquire("acme/contacts/42") }
                #expect(refused?.code == .unavailable, "\(String(describing: refused))")
                let retryAfter = try #require(refused?.retryAfter, "\(String(describing: refused))")
                #expect(retryAfter > .seconds(30) && retryAfter <= .seconds(60), "\(retryAfter)")
                let message = refused?.message ?? ""
                #expect(message.contains("lock-delay") && message.contains("free again in "), "\(message)")
                #expect(message.contains(", at \(Wording.timeOfDay(until.date))"), "\(message)")
                #expect(message.firstMatch(of: /t\d+ms/) == nil, "a raw tick count: \(message)")
            }
        }
    }

    @Test func anOverloadedClusterUntilTheDeadlineLeavesRetryAfter() async throws {
        try await withCluster { fake in
            await fake.script { _, request in
                request.operation.isAcquire ? .answer(.failure(.overloaded(reason: "too many requests"))) : .normal
            }
            // One attempt, answered, then a backoff that outlasts the deadline: an attempt still in flight when the
            // deadline passes may have been applied (outcomeUnknown), which a loaded machine made happen with
            // 300 ms attempts and a 2 s deadline. Attempts never time out here, and the deadline falls in the backoff.
            var configuration = testConfiguration
            configuration.callDeadline = .seconds(10)
            configuration.attemptTimeout = .seconds(60)
            configuration.backoffBase = .seconds(30)
            configuration.backoffCap = .seconds(30)
            try await withClient(fake, configuration: configuration) { client in
                let refused = await padlockError { _ = try await client.acquire("acme/contacts/42") }
                #expect(refused?.code == .unavailable, "\(String(describing: refused))")
                let retryAfter = try #require(refused?.retryAfter, "\(String(describing: refused))")
                #expect(retryAfter > .zero && retryAfter <= configuration.backoffCap, "\(retryAfter)")
                #expect(
                    refused?.message.contains("overloaded: too many requests (retry in ") == true,
                    "\(String(describing: refused))")
            }
        }
    }

    @Test func nodesRefusingConnectionsAsOverloadedLeaveRetryAfter() async throws {
        try await withCluster { fake in
            await fake.with { $0.refusesAsOverloaded = true }
            let refused = await padlockError {
                _ = try await PadlockClient(
                    endpoints: fake.endpoints, owner: "ops", configuration: testConfiguration,
                    logger: quietLogger)
            }
            #expect(refused?.code == .unavailable, "\(String(describing: refused))")
            let retryAfter = try #require(refused?.retryAfter, "\(String(describing: refused))")
            #expect(retryAfter > .zero && retryAfter <= testConfiguration.backoffCap, "\(retryAfter)")
            #expect(
                refused?.message.contains("at most 2 client connections (retry in ") == true,
                "\(String(describing: refused))")
        }
    }

    @Test func anUnavailableAnswerWithAHintLeavesThatHintAsRetryAfter() async throws {
        try await withCluster { fake in
            await fake.script { _, request in
                if case .inspect = request.operation {
                    return .answer(.failure(.unavailable(reason: "catching up", retryAfterMilliseconds: 1_500)))
                }
                return .normal
            }
            try await withClient(fake) { client in
                let refused = await padlockError { _ = try await client.inspect("acme/contacts/42") }
                #expect(refused?.code == .unavailable, "\(String(describing: refused))")
                #expect(refused?.retryAfter == .milliseconds(1_500), "\(String(describing: refused))")
                #expect(refused?.message.contains("(retry in 1.5 s)") == true, "\(String(describing: refused))")
            }
        }
    }

    @Test func aHeldRefusalShowsTheHoldersSinceAsATimeOfDay() async throws {
        try await withCluster { fake in
            try await withClient(fake, owner: "alice@frontend-2") { alice in
                try await withClient(fake, owner: "bob@frontend-3") { bob in
                    let lock = try await alice.acquire("acme/contacts/42")
                    let refused = await padlockError { _ = try await bob.acquire("acme/contacts/42") }
                    let message = refused?.message ?? ""
                    #expect(
                        message.contains("since \(Wording.timeOfDay(lock.holder.sinceDate, roundingUp: false))"),
                        "\(message)")
                    #expect(message.firstMatch(of: /t\d+ms/) == nil, "a raw tick count: \(message)")
                    #expect(refused?.retryAfter == nil)
                    try await lock.release()
                }
            }
        }
    }
}

/// Times of day in messages: a start ("since") reads as listings show it, a time something is free again never
/// earlier than true. Regression: a hold placed at …:12.4 read "since …:13" in its refusal and "…:12" in
/// `padlock hold list`.
@Suite struct TimeOfDayTests {
    @Test func sinceRoundsDownAndFreeAgainRoundsUp() {
        let date = Date(timeIntervalSince1970: 1_796_604_593.4)
        let down = Wording.timeOfDay(date, roundingUp: false)
        let up = Wording.timeOfDay(date)
        #expect(down != up, "\(down) and \(up)")
        #expect(Wording.timeOfDay(Date(timeIntervalSince1970: 1_796_604_593), roundingUp: false) == down)
        #expect(Wording.timeOfDay(Date(timeIntervalSince1970: 1_796_604_594)) == up)
    }
}
