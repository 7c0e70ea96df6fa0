import PadlockTypes
import Testing

@testable import Wire
@testable import WireFuzzing

@Suite struct ClientFailureTests {
    @Test func aLockDelayNamesWhenTheKeyCanBeGrantedAgain() {
        let description = ClientFailure.lockDelayed(until: Timestamp(rawValue: 1_700_000_005_000)).description
        #expect(description.contains("by force or by expiry"))
        #expect(description.contains("t1700000005000ms"))
        #expect(description.contains("retry after"))
    }

    @Test func waitersAheadNamesTheirKeyAndHowManyWait() {
        let description = ClientFailure.waitersAhead(key: key("acme/contacts/42"), waiterCount: 3).description
        #expect(description.contains("acme/contacts/42"))
        #expect(description.contains("3 queued"))
        #expect(description.contains("wait time"))
    }

    @Test func notWaitingSaysWhyAndThatAGrantMustBeReleased() {
        let description = ClientFailure.notWaiting.description
        #expect(description.contains("granted") && description.contains("timed out"))
        #expect(description.contains("release"))
    }

    @Test func unknownRequestSaysTheRequestWillNeverBeApplied() {
        let description = ClientFailure.unknownRequest.description
        #expect(description.contains("never applied") && description.contains("never will be"))
        #expect(description.contains("new request"))
    }

    @Test func supersededSaysTheAnswerIsGone() {
        let description = ClientFailure.superseded.description
        #expect(description.contains("later request") && description.contains("no longer kept"))
        #expect(description.contains("inspect"))
    }

    @Test func everyFailureHasItsOwnDescription() {
        var random = SplitMix64(seed: 4)
        var byTag: [UInt8: String] = [:]
        for _ in 0..<2_000 {
            let failure = WireSamples.failure(using: &random)
            let tag = ClientResponse(correlation: CorrelationID(1), outcome: .failure(failure)).encoded()[3]
            if byTag[tag] == nil, failure.description.count > 20 { byTag[tag] = failure.description }
        }
        #expect(byTag.count == FailureTag.allCases.count)
        #expect(Set(byTag.values).count == byTag.count)
    }
}
