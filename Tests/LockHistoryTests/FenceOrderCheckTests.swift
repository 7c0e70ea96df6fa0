import LockHistory
import PadlockTypes
import Testing

@Suite struct FenceOrderCheckTests {
    @Test func increasingFencesOfSuccessiveHoldersAreFine() {
        var history = HistoryBuilder()
        history.add(1, 0...10, acquire(1, "acme/1"), granted(3))
        history.add(1, 20...30, release(1, "acme/1", 3), .released)
        history.add(2, 40...50, acquire(2, "acme/1/phone"), granted(7))
        history.add(3, 40...50, acquire(3, "acme/1/email", .shared), granted(8))
        #expect(history.fenceViolations().isEmpty)
    }

    @Test func exclusiveGrantsOfOverlappingKeysToDifferentSessionsWithOneFenceAreReportedWithBoth() {
        var history = HistoryBuilder()
        history.add(1, 0...100, acquire(1, "acme/1"), granted(5))
        history.add(2, 10...90, acquire(2, "acme/1/phone"), granted(5))
        let violations = history.fenceViolations()
        #expect(violations.map(\.kind) == [.fenceShared])
        #expect(violations.map { [$0.earlier.id, $0.later.id] } == [[1, 2]])
        #expect(violations.first?.description.contains("fence handed out twice") == true)
    }

    @Test func aFenceNotAboveOneThatCompletedBeforeTheAcquireStartedIsReported() {
        var history = HistoryBuilder()
        history.add(1, 0...10, acquire(1, "acme/1"), granted(9))
        history.add(2, 20...30, acquire(2, "acme/1/phone"), granted(4))
        history.add(3, 40...50, acquire(3, "acme/1/email"), granted(8))
        let violations = history.fenceViolations()
        #expect(violations.map(\.kind) == [.fenceWentBackwards, .fenceWentBackwards])
        #expect(violations.map { [$0.earlier.id, $0.later.id] } == [[1, 2], [1, 3]])
    }

    @Test func concurrentGrantsMayCompleteInEitherFenceOrder() {
        var history = HistoryBuilder()
        history.add(1, 0...50, acquire(1, "acme/1/phone"), granted(9))
        history.add(2, 20...30, acquire(2, "acme/1/email"), granted(4))
        #expect(history.fenceViolations().isEmpty)
    }

    @Test func aReentrantRepeatMayReturnAnOlderFence() {
        var history = HistoryBuilder()
        history.add(1, 0...10, acquire(1, "acme/1/phone"), granted(4))
        history.add(2, 20...30, acquire(2, "acme/1/email"), granted(9))
        history.add(1, 40...50, acquire(1, "acme/1/phone"), granted(4))
        #expect(history.fenceViolations().isEmpty)
    }

    @Test func aRepeatOfAnAcquireOfUnknownOutcomeMayReturnAnOlderFence() {
        var history = HistoryBuilder()
        history.lost(1, from: 0, acquire(1, "acme/1/phone"))
        history.add(2, 20...30, acquire(2, "acme/1/email"), granted(9))
        history.add(1, 40...50, acquire(1, "acme/1/phone"), granted(4))
        #expect(history.fenceViolations().isEmpty)
        #expect(history.check().verdict == .linearizable)
    }

    @Test func grantsInDifferentGroupsAreNeverCompared() {
        var history = HistoryBuilder()
        history.add(1, 0...10, acquire(1, "acme/1"), granted(9))
        history.add(2, 20...30, acquire(2, "acme/2"), granted(4))
        history.add(3, 20...30, acquire(3, "acme/3"), granted(9))
        #expect(history.fenceViolations().isEmpty)
    }

    @Test func refusedAndUnknownAcquiresCarryNoFenceToCompare() {
        var history = HistoryBuilder()
        history.add(1, 0...10, acquire(1, "acme/1"), granted(9))
        history.add(2, 20...30, acquire(2, "acme/1"), refusedBy(1, 9))
        history.lost(3, from: 20, acquire(3, "acme/1"))
        history.add(4, 20...30, acquire(4, "acme/1"), .failed)
        #expect(history.fenceViolations().isEmpty)
    }
}
