import PadlockTypes
import Raft
import Testing

/// Tests named after the rules of the Raft paper (Ongaro and Ousterhout, "In Search of an Understandable
/// Consensus Algorithm", 2014). Each quotes, in short, the sentence it checks.
@Suite struct PaperRuleTests {
    // MARK: Helpers

    static let voters = [NodeID(1), NodeID(2), NodeID(3)]

    /// A node of the three-voter cluster whose persisted log holds `terms` (entry i+1 has term terms[i]).
    static func node(
        _ id: UInt64, term: UInt64 = 0, vote: UInt64? = nil, log terms: [UInt64] = [], commit: UInt64 = 0,
        preVote: Bool = false, seed: UInt64 = 1
    ) -> RaftNode {
        var restore = RestoreState.bootstrap(voters: voters)
        restore.entries = terms.enumerated().map { Entry(term: Term($1), index: LogIndex(UInt64($0 + 1)), kind: .noop) }
        restore.hardState = HardState(term: Term(term), vote: vote.map { NodeID($0) }, commit: LogIndex(commit))
        var config = Config(id: NodeID(id))
        config.preVote = preVote
        return try! RaftNode(config: config, restore: restore, random: SplitMix64(seed: seed))
    }

    static func message(_ from: UInt64, _ to: UInt64, term: UInt64, _ kind: Message.Kind) -> Message {
        Message(from: NodeID(from), to: NodeID(to), term: Term(term), kind: kind)
    }

    /// Takes the node's Ready and acknowledges it, returning it.
    static func drain(_ node: inout RaftNode) -> Ready {
        let ready = node.ready()
        node.advance(ready)
        return ready
    }

    static func allMessages(_ ready: Ready) -> [Message] { ready.messages + ready.messagesAfterPersist }

    static func vote(last index: UInt64, _ term: UInt64) -> Message.Kind {
        .vote(lastIndex: LogIndex(index), lastTerm: Term(term), transfer: false)
    }

    /// Makes node 1 leader of `term` through a vote from node 2 and settles its first Ready.
    static func leader(term: UInt64, log terms: [UInt64] = []) -> RaftNode {
        var leader = node(1, term: term - 1, log: terms)
        leader.campaign()
        _ = drain(&leader)
        leader.step(message(2, 1, term: term, .voteResponse(granted: true)))
        #expect(leader.role == .leader)
        return leader
    }

    // MARK: §5.1 Terms

    @Test("§5.1: a server that sees a larger term updates its own and reverts to follower")
    func largerTermIsAdoptedAndLeaderStepsDown() {
        // "If one server's current term is smaller than the other's, then it updates its current term to
        // the larger value. If a candidate or leader discovers that its term is out of date, it
        // immediately reverts to follower state."
        var leader = Self.leader(term: 2)
        leader.step(Self.message(3, 1, term: 5, .heartbeat(commit: .zero, round: 1)))
        #expect(leader.term == Term(5))
        #expect(leader.role == .follower)
        #expect(leader.leader == NodeID(3))
    }

    @Test("§5.1: a request with a stale term is rejected")
    func staleTermRequestIsRejected() {
        // "If a server receives a request with a stale term number, it rejects the request."
        var follower = Self.node(2, term: 4, log: [1, 2])
        _ = Self.drain(&follower)
        let stale = Entry(term: Term(3), index: LogIndex(3), data: Array("x".utf8))
        follower.step(
            Self.message(
                1, 2, term: 3, .append(prevIndex: LogIndex(2), prevTerm: Term(2), entries: [stale], commit: .zero)))
        #expect(follower.lastIndex == LogIndex(2))
        #expect(follower.term == Term(4))
        let replies = Self.allMessages(Self.drain(&follower))
        #expect(replies.allSatisfy { $0.term == Term(4) }, "any answer carries the newer term so the sender steps down")
    }

    // MARK: §5.2 Leader election

    @Test("§5.2: each server votes for at most one candidate per term, first come first served")
    func oneVotePerTerm() {
        // "Each server will vote for at most one candidate in a given term, on a first-come-first-served basis."
        var voter = Self.node(3)
        voter.step(Self.message(1, 3, term: 1, Self.vote(last: 0, 0)))
        voter.step(Self.message(2, 3, term: 1, Self.vote(last: 0, 0)))
        let answers = Self.allMessages(Self.drain(&voter))
        #expect(answers.map(\.to) == [NodeID(1), NodeID(2)])
        #expect(answers.map(\.kind) == [.voteResponse(granted: true), .voteResponse(granted: false)])
        #expect(voter.vote == NodeID(1))
    }

    @Test("§5.2: a candidate that wins a majority of votes becomes leader")
    func majorityOfVotesWins() {
        // "A candidate wins an election if it receives votes from a majority of the servers in the full
        // cluster for the same term."
        var candidate = Self.node(1)
        candidate.campaign()
        #expect(candidate.role == .candidate)
        candidate.step(Self.message(2, 1, term: 1, .voteResponse(granted: false)))
        #expect(candidate.role == .candidate, "one vote of three is not a majority")
        candidate.step(Self.message(3, 1, term: 1, .voteResponse(granted: true)))
        #expect(candidate.role == .leader)
    }

    @Test("§5.2: a candidate that hears from a leader of its term returns to follower")
    func candidateRecognizesLeader() {
        // "If the leader's term is at least as large as the candidate's current term, then the candidate
        // recognizes the leader as legitimate and returns to follower state."
        var candidate = Self.node(1)
        candidate.campaign()
        candidate.step(Self.message(2, 1, term: 1, .heartbeat(commit: .zero, round: 1)))
        #expect(candidate.role == .follower)
        #expect(candidate.leader == NodeID(2))
        #expect(candidate.term == Term(1))
    }

    @Test("§5.2: election timeouts are chosen randomly from a fixed interval")
    func electionTimeoutsAreRandomizedWithinOneToTwoTimeouts() {
        // "Raft uses randomized election timeouts ... chosen randomly from a fixed interval (e.g., 150–300ms)."
        var observed = Set<Int>()
        for seed in 1...200 {
            var follower = Self.node(1, seed: UInt64(seed))
            var ticks = 0
            while follower.role == .follower && ticks < 100 {
                follower.tick()
                ticks += 1
            }
            #expect((10..<20).contains(ticks), "seed \(seed) campaigned after \(ticks) ticks")
            observed.insert(ticks)
        }
        #expect(observed.count >= 5, "timeouts should spread over the interval, saw \(observed.sorted())")
    }

    @Test("§5.2: leaders send heartbeats during idle periods to prevent elections")
    func leaderHeartbeatsWhenIdle() {
        // "Leaders send periodic heartbeats (AppendEntries RPCs that carry no log entries) to all followers
        // in order to maintain their authority."
        var leader = Self.leader(term: 1)
        _ = Self.drain(&leader)
        leader.tick()
        let sent = Self.drain(&leader).messages
        #expect(sent.map(\.to) == [NodeID(2), NodeID(3)])
        #expect(sent.allSatisfy { if case .heartbeat = $0.kind { true } else { false } })
        var follower = Self.node(2, term: 1)
        for _ in 0..<50 {
            follower.tick()
            follower.step(Self.message(1, 2, term: 1, .heartbeat(commit: .zero, round: 1)))
        }
        #expect(follower.role == .follower, "a follower that keeps hearing heartbeats never campaigns")
    }

    // MARK: §5.3 Log replication

    @Test("§5.3: a follower refuses entries that do not follow a matching entry")
    func followerRefusesEntriesWithoutMatchingPredecessor() {
        // "If the follower does not find an entry in its log with the same index and term, then it refuses
        // the new entries."
        var follower = Self.node(2, term: 3, log: [1, 1])
        let entry = Entry(term: Term(3), index: LogIndex(3), data: Array("x".utf8))
        follower.step(
            Self.message(
                1, 2, term: 3, .append(prevIndex: LogIndex(2), prevTerm: Term(2), entries: [entry], commit: .zero)))
        #expect(follower.lastIndex == LogIndex(2))
        let answer = Self.allMessages(Self.drain(&follower)).first
        guard case .appendResponse(let index, let rejected, _, _)? = answer?.kind else {
            Issue.record("expected an append response, got \(String(describing: answer))")
            return
        }
        #expect(rejected && index == LogIndex(2))
    }

    @Test("Figure 2: a conflicting entry and all that follow it are deleted")
    func conflictingSuffixIsReplaced() {
        // "If an existing entry conflicts with a new one (same index but different terms), delete the
        // existing entry and all that follow it."
        var follower = Self.node(2, term: 2, log: [1, 1, 1, 1])
        let entries = [Entry(term: Term(2), index: LogIndex(3), data: Array("new".utf8))]
        follower.step(
            Self.message(
                1, 2, term: 2, .append(prevIndex: LogIndex(2), prevTerm: Term(1), entries: entries, commit: .zero)))
        #expect(follower.lastIndex == LogIndex(3))
        #expect(follower.term(at: LogIndex(3)) == Term(2))
        #expect(Self.drain(&follower).entries == entries, "the replacement is handed out to persist")
    }

    @Test("Figure 2: a follower commits up to the leader's commit but not past its last new entry")
    func followerCommitIsBoundedByLastNewEntry() {
        // "If leaderCommit > commitIndex, set commitIndex = min(leaderCommit, index of last new entry)."
        var follower = Self.node(2, term: 1, log: [1, 1, 1, 1])
        let entry = Entry(term: Term(1), index: LogIndex(2), kind: .noop)
        follower.step(
            Self.message(
                1, 2, term: 1, .append(prevIndex: LogIndex(1), prevTerm: Term(1), entries: [entry], commit: LogIndex(4))
            ))
        #expect(follower.committedIndex == LogIndex(2))
    }

    @Test("§5.3: an entry is committed once its leader has stored it on a majority")
    func majorityReplicationCommits() {
        // "A log entry is committed once the leader that created the entry has replicated it on a majority
        // of the servers."
        var leader = Self.leader(term: 1)
        _ = Self.drain(&leader)
        guard case .accepted(let index, _) = leader.propose(Array("x".utf8)) else {
            Issue.record("the leader refused a proposal")
            return
        }
        _ = Self.drain(&leader)
        #expect(leader.committedIndex < index)
        leader.step(
            Self.message(
                2, 1, term: 1, .appendResponse(index: index, rejected: false, hintIndex: .zero, hintTerm: .zero)))
        #expect(leader.committedIndex == index)
        #expect(Self.drain(&leader).committedEntries.last?.data == Array("x".utf8))
    }

    // MARK: §5.4 Safety

    @Test("§5.4.1: a voter denies its vote to a candidate whose log is less up to date")
    func voteDeniedToStaleLog() {
        // "The voter denies its vote if its own log is more up-to-date than that of the candidate."
        var voter = Self.node(3, term: 2, log: [1, 2])
        voter.step(Self.message(1, 3, term: 3, Self.vote(last: 5, 1)))
        voter.step(Self.message(2, 3, term: 3, Self.vote(last: 1, 2)))
        voter.step(Self.message(2, 3, term: 4, Self.vote(last: 2, 2)))
        let answers = Self.allMessages(Self.drain(&voter)).map(\.kind)
        #expect(
            answers == [.voteResponse(granted: false), .voteResponse(granted: false), .voteResponse(granted: true)])
    }

    @Test("§5.4.2: a leader never commits an earlier term's entry by counting replicas")
    func earlierTermEntriesAreNotCommittedByCounting() {
        // "Raft never commits log entries from previous terms by counting replicas. Only log entries from
        // the leader's current term are committed by counting replicas."
        var leader = Self.leader(term: 3, log: [1, 2])
        _ = Self.drain(&leader)
        #expect(leader.lastIndex == LogIndex(3), "the new leader appended its no-op at index 3")
        leader.step(
            Self.message(
                2, 1, term: 3, .appendResponse(index: LogIndex(2), rejected: false, hintIndex: .zero, hintTerm: .zero)))
        #expect(leader.committedIndex == .zero, "index 2 (term 2) is on a majority but must not commit")
        leader.step(
            Self.message(
                2, 1, term: 3, .appendResponse(index: LogIndex(3), rejected: false, hintIndex: .zero, hintTerm: .zero)))
        #expect(leader.committedIndex == LogIndex(3), "committing the no-op commits everything before it")
    }

    // MARK: Figure 2 persistence

    @Test("Figure 2: state is on stable storage before the server responds")
    func votesLeaveOnlyAfterPersisting() {
        // "Updated on stable storage before responding to RPCs."
        var voter = Self.node(3)
        voter.step(Self.message(1, 3, term: 1, Self.vote(last: 0, 0)))
        let ready = voter.ready()
        #expect(ready.hardState == HardState(term: Term(1), vote: NodeID(1), commit: .zero))
        #expect(ready.messages.isEmpty)
        #expect(ready.messagesAfterPersist.map(\.kind) == [.voteResponse(granted: true)])
    }
}
