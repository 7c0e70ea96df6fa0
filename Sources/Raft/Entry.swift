import PadlockTypes

/// One record of the replicated log.
package struct Entry: Hashable, Sendable {
    /// What an entry carries.
    package enum Kind: UInt8, Hashable, Sendable {
        /// A command for the state machine; `data` is opaque to Raft.
        case normal = 0
        /// The empty entry a new leader appends so that it can commit entries of earlier terms.
        case noop = 1
        /// A membership change; `data` is a `ConfigChange` in its own encoding.
        case configChange = 2
    }

    /// The term of the leader that created the entry.
    package var term: Term
    /// The entry's position in the log.
    package var index: LogIndex
    /// What the entry carries.
    package var kind: Kind
    /// The command or change bytes.
    package var data: [UInt8]

    /// Creates an entry.
    package init(term: Term, index: LogIndex, kind: Kind = .normal, data: [UInt8] = []) {
        self.term = term
        self.index = index
        self.kind = kind
        self.data = data
    }
}

/// The part of a node's state that must be durable before it answers votes or appends.
package struct HardState: Hashable, Sendable {
    /// The latest term this node has seen.
    package var term: Term
    /// The node this node voted for in `term`, if any.
    package var vote: NodeID?
    /// The highest log index known to be committed.
    package var commit: LogIndex

    /// Creates a hard state.
    package init(term: Term = .zero, vote: NodeID? = nil, commit: LogIndex = .zero) {
        self.term = term
        self.vote = vote
        self.commit = commit
    }
}

/// Describes a snapshot: the last log entry it covers and the configuration at that entry.
package struct SnapshotMetadata: Hashable, Sendable {
    /// The index of the last entry the snapshot covers.
    package var index: LogIndex
    /// The term of that entry.
    package var term: Term
    /// The cluster configuration as of `index`.
    package var configuration: Configuration

    /// Creates snapshot metadata.
    package init(index: LogIndex, term: Term, configuration: Configuration) {
        self.index = index
        self.term = term
        self.configuration = configuration
    }
}

/// A state-machine snapshot: metadata plus the bytes the state machine produced.
package struct Snapshot: Hashable, Sendable {
    /// What the snapshot covers.
    package var metadata: SnapshotMetadata
    /// The state machine's bytes; opaque to Raft.
    package var data: [UInt8]

    /// Creates a snapshot.
    package init(metadata: SnapshotMetadata, data: [UInt8]) {
        self.metadata = metadata
        self.data = data
    }
}

/// The durable state a node starts from: what it persisted through earlier `Ready`s.
package struct RestoreState: Sendable {
    /// The persisted hard state.
    package var hardState: HardState
    /// The latest snapshot. A new cluster starts from a snapshot at index 0 holding the initial voters.
    package var snapshot: Snapshot
    /// The persisted entries after the snapshot, contiguous and in order.
    package var entries: [Entry]

    /// Creates a restore state.
    package init(hardState: HardState, snapshot: Snapshot, entries: [Entry]) {
        self.hardState = hardState
        self.snapshot = snapshot
        self.entries = entries
    }

    /// The state of a brand-new node in a cluster whose initial voters are `voters`.
    ///
    /// A node that will join later as a learner starts with no voters and learns the
    /// configuration from the leader.
    package static func bootstrap(voters: [NodeID]) -> RestoreState {
        let configuration = Configuration(voters: voters, learners: [])
        let metadata = SnapshotMetadata(index: .zero, term: .zero, configuration: configuration)
        return RestoreState(hardState: HardState(), snapshot: Snapshot(metadata: metadata, data: []), entries: [])
    }
}
