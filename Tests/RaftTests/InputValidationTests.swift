import PadlockTypes
import Raft
import Testing

/// Bad input from the network, from storage or from the caller gets a typed answer or is dropped and
/// counted; it never traps.
@Suite struct InputValidationTests {
    typealias Rules = PaperRuleTests

    @Test("An append whose entries skip an index is dropped and counted")
    func appendWithGapIsDropped() {
        var follower = Rules.node(2, term: 1, log: [1])
        let gap = [Entry(term: Term(1), index: LogIndex(3), kind: .noop)]
        follower.step(
            Rules.message(
                1, 2, term: 1, .append(prevIndex: LogIndex(1), prevTerm: Term(1), entries: gap, commit: .zero)))
        #expect(follower.lastIndex == LogIndex(1))
        #expect(follower.status.droppedMessages == 1)
    }

    @Test("An append that would rewrite committed entries leaves them intact")
    func appendOverwritingCommittedEntryIsIgnored() {
        var follower = Rules.node(2, term: 2, log: [1, 1, 1], commit: 2)
        _ = Rules.drain(&follower)
        let conflicting = [Entry(term: Term(2), index: LogIndex(2), kind: .noop)]
        follower.step(
            Rules.message(
                1, 2, term: 2, .append(prevIndex: LogIndex(1), prevTerm: Term(1), entries: conflicting, commit: .zero)))
        #expect(follower.term(at: LogIndex(2)) == Term(1))
        #expect(follower.lastIndex == LogIndex(3))
        // The answer points the leader past the committed prefix instead.
        let answer = Rules.allMessages(Rules.drain(&follower)).map(\.kind)
        #expect(answer == [.appendResponse(index: LogIndex(2), rejected: false, hintIndex: .zero, hintTerm: .zero)])
    }

    @Test("A leader ignores acknowledgements of entries it never had and rounds it never started")
    func leaderIgnoresImpossibleAnswers() {
        var leader = Rules.leader(term: 1)
        _ = Rules.drain(&leader)
        leader.step(
            Rules.message(
                2, 1, term: 1, .appendResponse(index: LogIndex(99), rejected: false, hintIndex: .zero, hintTerm: .zero))
        )
        #expect(leader.committedIndex == .zero)
        #expect(leader.readIndex(context: [7]) == .pending)
        leader.step(Rules.message(2, 1, term: 1, .heartbeatResponse(round: 1_000, lastIndex: LogIndex(0))))
        #expect(Rules.drain(&leader).readStates.isEmpty, "no majority answered a real round yet")
        #expect(leader.status.droppedMessages == 2)
    }

    @Test("A follower whose log ends before a heartbeat's commit index commits nothing and answers its last index")
    func heartbeatBeyondTheLogCommitsNothing() {
        // Entries of term 1 that a restored copy may hold although the cluster replaced them: the leader's
        // heartbeat says 5 is committed, and committing through 2 here could apply a foreign entry.
        var follower = Rules.node(2, term: 2, log: [1, 1])
        _ = Rules.drain(&follower)
        follower.step(Rules.message(1, 2, term: 2, .heartbeat(commit: LogIndex(5), round: 7)))
        #expect(follower.committedIndex == .zero)
        let answer = Rules.allMessages(Rules.drain(&follower)).map(\.kind)
        #expect(answer == [.heartbeatResponse(round: 7, lastIndex: LogIndex(2))])
        follower.step(Rules.message(1, 2, term: 2, .heartbeat(commit: LogIndex(2), round: 8)))
        #expect(follower.committedIndex == LogIndex(2), "a commit index within the log is taken as before")
    }

    @Test("A snapshot from a future term or without voters is dropped")
    func implausibleSnapshotIsDropped() {
        var follower = Rules.node(2, term: 1)
        let metadata = SnapshotMetadata(
            index: LogIndex(5), term: Term(9), configuration: Configuration(voters: [NodeID(1)], learners: []))
        follower.step(Rules.message(1, 2, term: 1, .snapshot(Snapshot(metadata: metadata, data: []))))
        #expect(follower.snapshotIndex == .zero)
        #expect(follower.status.droppedMessages == 1)
    }

    @Test("Configuration-change bytes decode only when they are exactly one valid change")
    func configChangeDecodingRejectsGarbage() {
        for change in [ConfigChange.addLearner(NodeID(4)), .promote(NodeID(1 << 40)), .remove(NodeID(7))] {
            #expect(ConfigChange(encoded: change.encoded) == change)
        }
        #expect(ConfigChange(encoded: []) == nil)
        #expect(ConfigChange(encoded: [9, 0, 0, 0, 0, 0, 0, 0, 1]) == nil)
        #expect(ConfigChange(encoded: ConfigChange.remove(NodeID(7)).encoded + [0]) == nil)
    }

    @Test("A node refuses to start from an unusable config or a contradictory restore state")
    func constructionValidatesItsInputs() {
        var restore = RestoreState.bootstrap(voters: [NodeID(1)])
        #expect(throws: RaftError.self) {
            try RaftNode(
                config: Config(id: NodeID(1), electionTicks: 1, heartbeatTicks: 1), restore: restore,
                random: SplitMix64(seed: 1))
        }
        restore.entries = [Entry(term: Term(1), index: LogIndex(2))]
        #expect(throws: RaftError.self) {
            try RaftNode(config: Config(id: NodeID(1)), restore: restore, random: SplitMix64(seed: 1))
        }
        restore.entries = [Entry(term: Term(1), index: LogIndex(1))]
        restore.hardState = HardState(term: Term(1), vote: nil, commit: LogIndex(5))
        do {
            _ = try RaftNode(config: Config(id: NodeID(1)), restore: restore, random: SplitMix64(seed: 1))
            Issue.record("a commit index beyond the log was accepted")
        } catch {
            #expect(error.code == .invalidRestoreState)
        }
    }

    @Test("Compacting beyond what was applied is refused with a typed error")
    func compactionBeyondAppliedIsRefused() {
        var node = Rules.node(1, term: 1, log: [1, 1], commit: 1)
        #expect(throws: RaftError.self) { try node.compact(snapshotIndex: LogIndex(2), snapshotData: []) }
        _ = Rules.drain(&node)
        #expect(node.appliedIndex == LogIndex(1))
        let metadata = try? node.compact(snapshotIndex: LogIndex(1), snapshotData: [1])
        #expect(metadata?.index == LogIndex(1))
        #expect(node.snapshotIndex == LogIndex(1))
    }

    @Test("A stored term or index at or beyond 2^62 (written before the limit existed) is refused, saying why")
    func restoreBeyondTheLimitIsRefused() {
        for hardState in [
            HardState(term: Term(.max)), HardState(term: Term(Term.limit)),
            HardState(term: Term(1), commit: LogIndex(.max)),
        ] {
            var restore = RestoreState.bootstrap(voters: [NodeID(1)])
            restore.hardState = hardState
            do {
                _ = try RaftNode(config: Config(id: NodeID(1)), restore: restore, random: SplitMix64(seed: 1))
                Issue.record("\(hardState) was accepted")
            } catch {
                #expect(error.code == .invalidRestoreState)
                #expect(error.description.contains("\(Term.limit)"), "\(error)")
            }
        }
    }

    @Test("Messages carrying any term or index at or beyond the limit are impossible; below it they are not")
    func boundsProblemCoversEveryField() {
        let limit = Term.limit
        let impossible: [Message.Kind] = [
            .preVote(lastIndex: LogIndex(limit), lastTerm: .zero),
            .vote(lastIndex: .zero, lastTerm: Term(limit), transfer: false),
            .append(prevIndex: .zero, prevTerm: .zero, entries: [], commit: LogIndex(limit)),
            .append(
                prevIndex: .zero, prevTerm: .zero, entries: [Entry(term: Term(1), index: LogIndex(limit))],
                commit: .zero),
            .appendResponse(index: .zero, rejected: true, hintIndex: LogIndex(.max), hintTerm: .zero),
            .heartbeat(commit: LogIndex(1 << 63), round: .max),
        ]
        for kind in impossible {
            #expect(Message(from: NodeID(2), to: NodeID(1), term: Term(1), kind: kind).boundsProblem != nil, "\(kind)")
        }
        let fine = Message(
            from: NodeID(2), to: NodeID(1), term: Term(limit - 1),
            kind: .append(
                prevIndex: LogIndex(limit - 2), prevTerm: Term(limit - 1), entries: [], commit: LogIndex(limit - 1)))
        #expect(fine.boundsProblem == nil)
        #expect(Message(from: NodeID(2), to: NodeID(1), term: Term(limit), kind: .timeoutNow).boundsProblem != nil)
    }

    @Test("A node at the last term below the limit stays a follower instead of campaigning past it")
    func lastTermBelowTheLimitDoesNotCampaign() {
        var node = Rules.node(1, term: Term.limit - 1)
        for _ in 0..<100 { node.tick() }
        #expect(node.term == Term(Term.limit - 1))
        #expect(node.role == .follower)
        node.campaign()
        #expect(node.role == .follower)
    }

    @Test("A log that ends at the last index below the limit takes no proposal and starts no campaign")
    func lastIndexBelowTheLimitTakesNothingMore() {
        var restore = RestoreState.bootstrap(voters: [NodeID(1)])
        restore.snapshot.metadata.index = LogIndex(LogIndex.limit - 1)
        restore.snapshot.metadata.term = Term(1)
        restore.hardState = HardState(term: Term(1), commit: LogIndex(LogIndex.limit - 1))
        let started = try? RaftNode(config: Config(id: NodeID(1)), restore: restore, random: SplitMix64(seed: 1))
        guard var node = started else {
            Issue.record("the node did not start")
            return
        }
        node.campaign()
        for _ in 0..<100 { node.tick() }
        #expect(node.role == .follower)
        #expect(node.lastIndex == LogIndex(LogIndex.limit - 1))
    }
}
