import LockHistory
import PadlockTypes
import Testing

@Suite struct LinearizabilityTests {
    @Test func sequentialGrantsAndReleasesAreLinearizable() {
        var history = HistoryBuilder()
        history.add(1, 0...10, acquire(1, "acme/1"), granted(3))
        history.add(1, 20...30, release(1, "acme/1", 3), .released)
        history.add(2, 40...50, acquire(2, "acme/1"), granted(7))
        history.add(2, 60...70, release(2, "acme/1", 7), .released)
        history.add(2, 80...90, release(2, "acme/1", 7), .notHeld)
        let report = history.check()
        #expect(report.verdict == .linearizable)
        #expect(report.violations.isEmpty)
    }

    @Test func concurrentAcquiresOfOneKeyAreLinearizableWhenTheLoserIsRefusedByTheWinner() {
        var history = HistoryBuilder()
        history.add(1, 0...100, acquire(1, "acme/1"), granted(5))
        history.add(2, 10...90, acquire(2, "acme/1"), refusedBy(1, 5))
        #expect(history.check().verdict == .linearizable)
    }

    @Test func twoConcurrentExclusiveGrantsOfOneKeyAreAViolation() {
        var history = HistoryBuilder()
        history.add(1, 0...100, acquire(1, "acme/1"), granted(5))
        history.add(2, 10...90, acquire(2, "acme/1"), granted(6))
        let report = history.check()
        #expect(report.verdict == .violation)
        #expect(report.violations.first?.keys == [key("acme/1")])
    }

    @Test func aRefusalNamingAHolderThatNeverHeldIsAViolation() {
        var history = HistoryBuilder()
        history.add(1, 0...10, acquire(1, "acme/1"), granted(5))
        history.add(2, 20...30, acquire(2, "acme/1"), refusedBy(3, 4))
        let report = history.check()
        #expect(report.verdict == .violation)
        let stuck = report.violations.first?.unplaceable.map(\.operation.id)
        #expect(stuck == [2])
    }

    @Test func exclusiveGrantsOnARecordAndOneOfItsFieldsAtOnceAreAViolation() {
        var history = HistoryBuilder()
        history.add(1, 0...10, acquire(1, "acme/1"), granted(5))
        history.add(2, 20...30, acquire(2, "acme/1/phone"), granted(6))
        history.add(1, 40...50, release(1, "acme/1", 5), .released)
        let report = history.check()
        #expect(report.verdict == .violation)
        #expect(report.violations.first?.keys == [key("acme/1"), key("acme/1/phone")])
        #expect(report.violations.first?.heldAfterPrefix.map(\.session) == [session(1)])
    }

    @Test func exclusiveGrantsOnTwoFieldsOfOneRecordHoldTogether() {
        var history = HistoryBuilder()
        history.add(1, 0...10, acquire(1, "acme/1/phone"), granted(5))
        history.add(2, 20...30, acquire(2, "acme/1/email"), granted(6))
        history.add(3, 40...50, acquire(3, "acme/1"), refusedBy(2, 6))
        #expect(history.check().verdict == .linearizable)
    }

    @Test func sharedHoldersHoldTogetherAndBlockAnEditor() {
        var history = HistoryBuilder()
        history.add(1, 0...10, acquire(1, "acme/1", .shared), granted(5))
        history.add(2, 20...30, acquire(2, "acme/1", .shared), granted(6))
        history.add(3, 40...50, acquire(3, "acme/1/phone"), refusedBy(1, 5))
        history.add(3, 60...70, acquire(3, "acme/1/phone", .shared), granted(8))
        #expect(history.check().verdict == .linearizable)
    }

    @Test func sharedWaitersFreedByOneEntryShareItsFence() {
        var history = HistoryBuilder()
        history.add(1, 0...10, acquire(1, "acme/1"), granted(5))
        history.add(2, 5...100, acquire(2, "acme/1", .shared), granted(9))
        history.add(3, 6...100, acquire(3, "acme/1", .shared), granted(9))
        history.add(1, 50...60, release(1, "acme/1", 5), .released)
        #expect(history.check().verdict == .linearizable)
        #expect(history.fenceViolations().isEmpty)
    }

    @Test func exclusiveWaitersOnTwoFieldsFreedByOneRecordReleaseShareItsFence() {
        var history = HistoryBuilder()
        history.add(1, 0...10, acquire(1, "acme/1"), granted(5))
        history.add(2, 5...100, acquire(2, "acme/1/phone"), granted(9))
        history.add(3, 6...100, acquire(3, "acme/1/email"), granted(9))
        history.add(1, 50...60, release(1, "acme/1", 5), .released)
        #expect(history.check().verdict == .linearizable)
        #expect(history.fenceViolations().isEmpty)
    }

    @Test func anExclusiveGrantCannotReuseTheFenceOfASharedGrantOnTheSameKey() {
        var history = HistoryBuilder()
        history.add(1, 0...10, acquire(1, "acme/1", .shared), granted(5))
        history.add(1, 20...30, release(1, "acme/1", 5), .released)
        history.add(2, 40...50, acquire(2, "acme/1"), granted(5))
        #expect(history.check().verdict == .violation)
    }

    @Test func aReentrantAcquireReturnsTheExistingFence() {
        var history = HistoryBuilder()
        history.add(1, 0...10, acquire(1, "acme/1"), granted(5))
        history.add(1, 20...30, acquire(1, "acme/1"), granted(5))
        history.add(1, 40...50, acquire(1, "acme/1", .shared), refusedBy(1, 5))
        history.add(1, 60...70, release(1, "acme/1", 5), .released)
        history.add(1, 80...90, release(1, "acme/1", 5), .notHeld)
        #expect(history.check().verdict == .linearizable)
        #expect(history.fenceViolations().isEmpty)
    }

    @Test func aReentrantAcquireAnsweredWithANewFenceIsAViolation() {
        var history = HistoryBuilder()
        history.add(1, 0...10, acquire(1, "acme/1"), granted(5))
        history.add(1, 20...30, acquire(1, "acme/1"), granted(8))
        let report = history.check()
        #expect(report.verdict == .violation)
        #expect(report.violations.first?.unplaceable.first?.reason.contains("already holds") == true)
    }

    @Test func aFenceLowerThanOneAlreadyGrantedIsAViolation() {
        var history = HistoryBuilder()
        history.add(1, 0...10, acquire(1, "acme/1"), granted(9))
        history.add(1, 20...30, release(1, "acme/1", 9), .released)
        history.add(2, 40...50, acquire(2, "acme/1/phone"), granted(4))
        let report = history.check()
        #expect(report.verdict == .violation)
        #expect(report.violations.first?.unplaceable.first?.reason.contains("never go backwards") == true)
        #expect(history.fenceViolations().map(\.kind) == [.fenceWentBackwards])
    }

    @Test func aReleaseAfterTheSessionEndedIsAnsweredNotHeld() {
        var history = HistoryBuilder()
        history.add(1, 0...10, acquire(1, "acme/1"), granted(5))
        history.add(1, 11...12, acquire(1, "acme/2"), granted(6))
        history.add(9, 20...30, .endSession(session: session(1)), .done)
        history.add(1, 40...50, release(1, "acme/1", 5), .notHeld)
        history.add(2, 60...70, acquire(2, "acme/2"), granted(9))
        #expect(history.check().verdict == .linearizable)
    }

    @Test func aReleaseAnsweredReleasedAfterTheSessionEndedIsAViolation() {
        var history = HistoryBuilder()
        history.add(1, 0...10, acquire(1, "acme/1"), granted(5))
        history.add(9, 20...30, .endSession(session: session(1)), .done)
        history.add(1, 40...50, release(1, "acme/1", 5), .released)
        #expect(history.check().verdict == .violation)
    }

    @Test func anAcquireOfUnknownOutcomeExplainsALaterRefusalNamingItsSession() {
        var history = HistoryBuilder()
        history.lost(1, from: 0, acquire(1, "acme/1"))
        history.add(2, 50...60, acquire(2, "acme/1/phone"), refusedBy(1, 7))
        history.add(3, 70...80, checkFence("acme/1", 7), .fenceCurrent(true))
        #expect(history.check().verdict == .linearizable)
    }

    @Test func theSameRefusalWithoutTheUnknownAcquireIsAViolation() {
        var history = HistoryBuilder()
        history.add(2, 50...60, acquire(2, "acme/1/phone"), refusedBy(1, 7))
        #expect(history.check().verdict == .violation)
    }

    @Test func anAcquireOfUnknownOutcomeCannotTakeEffectBeforeItWasInvoked() {
        var history = HistoryBuilder()
        history.add(2, 0...10, acquire(2, "acme/1"), refusedBy(1, 7))
        history.lost(1, from: 20, acquire(1, "acme/1"))
        #expect(history.check().verdict == .violation)
    }

    @Test func anOperationOfUnknownOutcomeMayNeverTakeEffect() {
        var history = HistoryBuilder()
        history.add(1, 0...10, acquire(1, "acme/1"), granted(5))
        history.lost(1, from: 20, release(1, "acme/1", 5))
        history.lost(9, from: 20, .forceUnlock(key: key("acme/1")))
        history.lost(9, from: 20, .endSession(session: session(1)))
        history.add(2, 100...110, acquire(2, "acme/1"), refusedBy(1, 5))
        history.add(3, 120...130, checkFence("acme/1", 5), .fenceCurrent(true))
        #expect(history.check().verdict == .linearizable)
    }

    @Test func aReadOfAFenceAfterItsReleaseCompletedIsAViolation() {
        var history = HistoryBuilder()
        history.add(1, 0...10, acquire(1, "acme/1"), granted(5))
        history.add(1, 20...30, release(1, "acme/1", 5), .released)
        history.add(2, 31...40, checkFence("acme/1", 5), .fenceCurrent(true))
        let report = history.check()
        #expect(report.verdict == .violation)
        #expect(report.violations.first?.unplaceable.map(\.operation.id) == [3])
    }

    @Test func aReadOfAFenceConcurrentWithItsReleaseMaySeeEitherState() {
        for current in [true, false] {
            var history = HistoryBuilder()
            history.add(1, 0...10, acquire(1, "acme/1"), granted(5))
            history.add(1, 20...30, release(1, "acme/1", 5), .released)
            history.add(2, 30...40, checkFence("acme/1", 5), .fenceCurrent(current))
            #expect(history.check().verdict == .linearizable, "fenceCurrent(\(current))")
        }
    }

    @Test func aRefusalAfterTheHolderReleasedIsAViolationButNotWhenConcurrent() {
        var late = HistoryBuilder()
        late.add(1, 0...10, acquire(1, "acme/1"), granted(5))
        late.add(1, 20...30, release(1, "acme/1", 5), .released)
        late.add(2, 40...50, acquire(2, "acme/1"), refusedBy(1, 5))
        #expect(late.check().verdict == .violation)
        var concurrent = HistoryBuilder()
        concurrent.add(1, 0...10, acquire(1, "acme/1"), granted(5))
        concurrent.add(1, 20...45, release(1, "acme/1", 5), .released)
        concurrent.add(2, 40...50, acquire(2, "acme/1"), refusedBy(1, 5))
        #expect(concurrent.check().verdict == .linearizable)
    }

    @Test func forceUnlockReleasesEveryHolderOfExactlyThatKey() {
        var history = HistoryBuilder()
        history.add(1, 0...10, acquire(1, "acme/1", .shared), granted(5))
        history.add(2, 0...10, acquire(2, "acme/1", .shared), granted(6))
        history.add(3, 0...10, acquire(3, "acme/2/phone"), granted(7))
        history.add(9, 20...30, .forceUnlock(key: key("acme/1")), .done)
        history.add(9, 20...30, .forceUnlock(key: key("acme/2")), .notHeld)
        history.add(4, 40...50, acquire(4, "acme/1"), granted(12))
        history.add(1, 60...70, release(1, "acme/1", 5), .notHeld)
        history.add(4, 60...70, acquire(4, "acme/2"), refusedBy(3, 7))
        #expect(history.check().verdict == .linearizable)
    }

    @Test func forceUnlockAnsweredDoneWhenNobodyHoldsTheKeyIsAViolation() {
        var history = HistoryBuilder()
        history.add(1, 0...10, acquire(1, "acme/1/phone"), granted(5))
        history.add(9, 20...30, .forceUnlock(key: key("acme/1")), .done)
        #expect(history.check().verdict == .violation)
    }

    @Test func operationsThatFailedNeverConstrainAnything() {
        var history = HistoryBuilder()
        history.add(1, 0...10, acquire(1, "acme/1"), granted(5))
        history.add(2, 20...30, acquire(2, "acme/1"), .failed)
        history.add(2, 20...30, release(2, "acme/1", 5), .failed)
        history.add(2, 20...30, .endSession(session: session(1)), .failed)
        history.add(2, 40...50, acquire(2, "acme/1"), refusedBy(1, 5))
        #expect(history.check().verdict == .linearizable)
    }

    @Test func anAnswerThatDoesNotBelongToTheActionIsAViolation() {
        var history = HistoryBuilder()
        history.add(1, 0...10, acquire(1, "acme/1"), .released)
        let report = history.check()
        #expect(report.verdict == .violation)
        #expect(report.violations.first?.unplaceable.first?.reason.contains("does not belong") == true)
    }

    @Test func aSearchThatRunsOutOfStepsIsInconclusiveNotAViolation() {
        // Fourteen concurrent grants on fields of one record may go in any order that keeps fences increasing,
        // and a fence check that nothing can satisfy forces the search to try every such order.
        var history = HistoryBuilder()
        for field in 1...14 {
            history.add(field, 0...100, acquire(UInt64(field), "acme/1/f\(field)"), granted(UInt64(15 - field)))
        }
        history.add(99, 0...100, checkFence("acme/1", 99), .fenceCurrent(true))
        let bounded = history.check(maxSteps: 1_000)
        #expect(bounded.verdict == .inconclusive)
        #expect(bounded.violations.isEmpty)
        #expect(bounded.groups.first?.steps == 1_000)
        #expect(history.check().verdict == .violation)
    }

    @Test func operationsOnUnrelatedKeysNeverInteract() {
        var history = HistoryBuilder()
        history.add(1, 0...100, acquire(1, "acme/1"), granted(5))
        history.add(2, 0...100, acquire(2, "acme/2"), granted(5))
        history.add(3, 0...100, acquire(3, "globex/1"), granted(5))
        history.add(4, 200...300, acquire(4, "globex/1/phone"), granted(6))
        let report = history.check()
        #expect(
            report.groups.map(\.keys) == [[key("acme/1")], [key("acme/2")], [key("globex/1"), key("globex/1/phone")]])
        #expect(report.groups.map(\.verdict) == [.linearizable, .linearizable, .violation])
        #expect(report.verdict == .violation)
        #expect(report.violations.map(\.keys) == [[key("globex/1"), key("globex/1/phone")]])
    }

    @Test func endingASessionReleasesItsLocksInEveryGroup() {
        var history = HistoryBuilder()
        history.add(1, 0...10, acquire(1, "acme/1"), granted(5))
        history.add(1, 0...10, acquire(1, "globex/1"), granted(6))
        history.add(9, 20...30, .endSession(session: session(1)), .done)
        history.add(2, 40...50, acquire(2, "acme/1"), granted(8))
        history.add(2, 40...50, acquire(2, "globex/1"), refusedBy(1, 6))
        let report = history.check()
        #expect(report.groups.map(\.operationCount) == [3, 3])
        #expect(report.groups.map(\.verdict) == [.linearizable, .violation])
    }

    @Test func aViolationExplainsItselfInWords() {
        var history = HistoryBuilder()
        history.add(1, 0...10, acquire(1, "acme/1"), granted(5))
        history.add(2, 20...30, acquire(2, "acme/1/phone"), granted(6))
        let text = history.check().description
        #expect(text.contains("violation on acme/1, acme/1/phone (2 operations)"))
        #expect(text.contains("longest linearizable prefix: 1 operations"))
        #expect(text.contains("#1 p1 [0, 10] acquire session-1 acme/1 exclusive → granted fence-5"))
        #expect(text.contains("held after it: session-1 holds acme/1 exclusive (fence-5)"))
        #expect(
            text.contains(
                "#2 p2 [20, 30] acquire session-2 acme/1/phone exclusive → granted fence-6: it conflicts with "
                    + "session-1's exclusive lock on acme/1 (fence-5)"))
    }

    @Test func theSameHistoryInAnotherOrderGetsTheSameReport() {
        var history = HistoryBuilder()
        history.add(1, 0...10, acquire(1, "acme/1"), granted(5))
        history.add(2, 5...30, acquire(2, "acme/1/phone"), granted(6))
        history.add(3, 5...30, acquire(3, "acme/2"), granted(6))
        history.add(3, 5...30, acquire(4, "acme/2"), granted(7))
        let checker = LinearizabilityChecker()
        #expect(checker.check(history.operations) == checker.check(history.operations.reversed()))
    }
}
