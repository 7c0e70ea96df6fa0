// Wing & Gong's search for a linearization, with Lowe's memoization (a cache of configurations: the set of
// operations placed so far and the model state), over the operations of one conflict group.
//
// The history becomes a doubly linked list of call and return events in real-time order (at equal instants
// calls come first, so touching intervals count as concurrent). Placing an operation next "lifts" its call
// and return out of the list; only calls that come before the first remaining return are eligible, which is
// exactly "no unplaced operation completed before this one was invoked". When no eligible candidate can be
// placed, the last placement is undone and the next candidate of that configuration is tried. Lifts and their
// undos are strictly nested, so a removed node keeps its neighbours and goes back in O(1) (dancing links).
//
// Three refinements keep the search small without changing its answer (docs/history.md gives the arguments):
// - An eligible operation that never changes the state (a refusal, `notHeld`, a fence check) that the model
//   accepts is placed at once and its alternatives are never tried: some linearization, if any exists,
//   places it right there.
// - Operations of unknown outcome have no return event: they never force an undo and may stay unplaced. At a
//   configuration they are tried after every completed candidate, and only those that could matter to an
//   eligible operation (`relevantUnknown`): anywhere else, placing one can be put off or left out.
// - A configuration is covered by an explored one with the same completed operations and state and fewer
//   unknown operations placed, since leaving an unknown operation out keeps every option of placing it.

/// What a search found for one group.
enum SearchOutcome: Sendable {
    case linearizable(steps: Int)
    case violation(DeadEnd, steps: Int)
    case inconclusive(steps: Int)
}

/// The deepest point the search reached: the placed operations (group indices, in linearization order), the
/// model state after them, and the completed operations that were eligible next and all refused.
struct DeadEnd: Sendable {
    var prefix: [Int]
    var state: ModelState
    var candidates: [Int]
}

/// The search over one group. A value: `run()` works on a copy of its own.
struct LinearizationSearch {
    private struct Frame {
        var operation: Int32
        var previous: ModelState
        var previousFrontier: Int32
        var previousWindowEnd: Int32
        /// Where to go on in the configuration this placement was made in, after undoing it.
        var resume: Phase
        /// The operation never changes the state, so it was placed without trying alternatives: if a
        /// linearization exists from the configuration it was placed in, one exists that places it first
        /// (nothing depends on it, and real-time order let it go first).
        var isForced: Bool
    }

    /// Which candidates a configuration is trying: completed operations that change nothing (tried first,
    /// since placing one needs no alternatives), then the other completed ones, then unknown ones.
    private enum Phase {
        case reads
        case writes
        case unknown(UnknownChoice)

        var triesReads: Bool {
            if case .reads = self { return true }
            return false
        }
    }

    private enum Attempt {
        case placed
        case rejected
        /// Every candidate of the configuration failed.
        case deadEnd
        /// An operation that never changes the state led to a configuration already explored: this one fails
        /// too.
        case coveredWithoutChange
    }

    /// The operations of unknown outcome worth trying at one configuration, and the next one to try.
    private struct UnknownChoice {
        var candidates: [Int32]
        var next: Int
    }

    private let model: LockModel
    private let operations: [CompactOperation]
    private let maxSteps: Int
    private var events: EventList
    /// Per operation: its position among completed operations (by invoke), or among unknown ones.
    private let ordinal: [Int32]
    private let isUnknown: [Bool]
    /// Completed operations whose recorded outcome never changes the state (refusals, `notHeld`, fence checks).
    private let isReadOnly: [Bool]
    private var completedBits: [UInt64]
    private var unknownBits: [UInt64]
    /// The lowest completed ordinal not yet placed: every completed operation below it is placed.
    private var frontier: Int32 = 0
    /// One past the highest completed ordinal placed.
    private var windowEnd: Int32 = 0
    private var remainingCompleted: Int
    private var state = ModelState()
    private var stack: [Frame] = []
    /// Explored configurations: for each (placed completed operations, model state), the sets of placed
    /// operations of unknown outcome it was explored with.
    private var cache: [[UInt64]: [[UInt64]]] = [:]
    private var steps = 0
    private var deepest: DeadEnd?

    init(context: GroupContext, maxSteps: Int) {
        model = context.model
        operations = context.operations
        self.maxSteps = maxSteps
        isUnknown = operations.map { $0.outcome == nil }
        isReadOnly = operations.map {
            switch $0.outcome {
            case .refusedBy?, .refusedUnnamed?, .notHeld?, .fenceCurrent?: true
            default: false
            }
        }
        var counts = (completed: Int32(0), unknown: Int32(0))
        ordinal = isUnknown.map { unknown in
            defer { if unknown { counts.unknown += 1 } else { counts.completed += 1 } }
            return unknown ? counts.unknown : counts.completed
        }
        completedBits = [UInt64](repeating: 0, count: (Int(counts.completed) + 63) / 64)
        unknownBits = [UInt64](repeating: 0, count: (Int(counts.unknown) + 63) / 64)
        remainingCompleted = Int(counts.completed)
        events = EventList(context: context)
    }

    /// Searches for a linearization within `maxSteps` steps (a step is one model step tried or one undo).
    func run() -> SearchOutcome {
        var search = self
        return search.search()
    }

    private mutating func search() -> SearchOutcome {
        if remainingCompleted == 0 { return .linearizable(steps: 0) }
        var phase = Phase.reads
        var cursor = events.first(in: events.mainHead)
        while true {
            let attempt: Attempt
            switch phase {
            case .reads, .writes:
                if cursor == events.mainTail || events.isReturn(cursor) {
                    if case .reads = phase {
                        (phase, cursor) = (.writes, events.first(in: events.mainHead))
                    } else {
                        phase = .unknown(UnknownChoice(candidates: relevantUnknown(before: cursor), next: 0))
                    }
                    continue
                }
                let operation = events.operation(at: cursor)
                cursor = events.next(after: cursor)
                guard isReadOnly[operation] == phase.triesReads else { continue }
                attempt = place(operation, resume: phase)
            case let .unknown(choice):
                guard choice.next < choice.candidates.count else {
                    attempt = .deadEnd
                    break
                }
                phase = .unknown(UnknownChoice(candidates: choice.candidates, next: choice.next + 1))
                attempt = place(Int(choice.candidates[choice.next]), resume: phase)
            }
            steps += 1
            if steps > maxSteps { return .inconclusive(steps: maxSteps) }
            switch attempt {
            case .placed:
                if remainingCompleted == 0 { return .linearizable(steps: steps) }
                (phase, cursor) = (.reads, events.first(in: events.mainHead))
            case .rejected:
                continue
            case .deadEnd, .coveredWithoutChange:
                if case .deadEnd = attempt { recordIfDeepest() }
                guard let frame = backtrack() else {
                    guard let deepest else { preconditionFailure("the search failed without reaching a dead end") }
                    return .violation(deepest, steps: steps)
                }
                phase = frame.resume
                cursor = events.next(after: events.callNode(of: Int(frame.operation)))
            }
        }
    }

    /// Places `operation` next if the model allows it and the resulting configuration is new.
    private mutating func place(_ operation: Int, resume: Phase) -> Attempt {
        guard case let .next(nextState) = model.step(state, operations[operation]) else { return .rejected }
        // An operation whose outcome never changes the state is a no-op wherever it goes; one that merely
        // happens to change nothing here (an end of session with no locks) could matter elsewhere.
        let unchanged = isReadOnly[operation]
        stack.append(
            Frame(
                operation: Int32(operation), previous: state, previousFrontier: frontier,
                previousWindowEnd: windowEnd, resume: resume, isForced: unchanged))
        state = nextState
        let position = Int(ordinal[operation])
        if isUnknown[operation] {
            unknownBits[position / 64] |= 1 << UInt64(position % 64)
        } else {
            completedBits[position / 64] |= 1 << UInt64(position % 64)
            windowEnd = max(windowEnd, Int32(position + 1))
            while frontier < windowEnd && bit(completedBits, Int(frontier)) { frontier += 1 }
        }
        guard isNewConfiguration() else {
            _ = restore()
            return unchanged ? .coveredWithoutChange : .rejected
        }
        events.lift(operation)
        if !isUnknown[operation] { remainingCompleted -= 1 }
        return .placed
    }

    /// Undoes placements up to and including the last one that was a real choice, and returns it. A
    /// placement that changed nothing was forced (see `Frame.isForced`): when everything after it fails, the
    /// configuration it was made in fails too, so the undoing goes on past it.
    private mutating func backtrack() -> Frame? {
        while let frame = undoLast() {
            if !frame.isForced { return frame }
        }
        return nil
    }

    /// Takes back the last placement, putting its events back in the list.
    private mutating func undoLast() -> Frame? {
        guard let frame = restore() else { return nil }
        let operation = Int(frame.operation)
        events.unlift(operation)
        if !isUnknown[operation] { remainingCompleted += 1 }
        return frame
    }

    /// Pops the last frame and restores the placed sets, frontier and state from it.
    private mutating func restore() -> Frame? {
        guard let frame = stack.popLast() else { return nil }
        let operation = Int(frame.operation)
        let position = Int(ordinal[operation])
        if isUnknown[operation] {
            unknownBits[position / 64] &= ~(1 << UInt64(position % 64))
        } else {
            completedBits[position / 64] &= ~(1 << UInt64(position % 64))
        }
        state = frame.previous
        frontier = frame.previousFrontier
        windowEnd = frame.previousWindowEnd
        return frame
    }

    private func bit(_ bits: [UInt64], _ index: Int) -> Bool { bits[index / 64] & (1 << UInt64(index % 64)) != 0 }

    /// Records the current configuration, or returns false when it is already covered. Leaving an operation
    /// of unknown outcome unplaced keeps every option of placing it, so a configuration explored with fewer
    /// of them placed (a subset) and the same completed set and state covers this one: whatever this one can
    /// reach, that one could too, and it failed.
    private mutating func isNewConfiguration() -> Bool {
        let unknownWords = (unknownBits.lastIndex { $0 != 0 } ?? -1) + 1
        let placedUnknown = Array(unknownBits[0..<unknownWords])
        let key = configurationKey()
        let explored = cache[key, default: []]
        if explored.contains(where: { Self.isSubset($0, of: placedUnknown) }) { return false }
        cache[key, default: []].removeAll { Self.isSubset(placedUnknown, of: $0) }
        cache[key, default: []].append(placedUnknown)
        return true
    }

    private static func isSubset(_ small: [UInt64], of large: [UInt64]) -> Bool {
        guard small.count <= large.count else { return false }
        return small.indices.allSatisfy { small[$0] & ~large[$0] == 0 }
    }

    /// The placed completed operations and the model state as one array, exact and canonical. Completed
    /// operations below the frontier are all placed, so only the bits from the frontier to the highest placed
    /// one are stored.
    private func configurationKey() -> [UInt64] {
        let windowWords = (Int(max(windowEnd, frontier) - frontier) + 63) / 64
        var key: [UInt64] = []
        key.reserveCapacity(3 + windowWords + state.holds.count + state.highestFenceGrants.count)
        key.append(UInt64(frontier) << 32 | UInt64(windowWords))
        key.append(UInt64(state.highestFenceRank))
        key.append(UInt64(state.holds.count) << 32 | UInt64(state.highestFenceGrants.count))
        for word in 0..<windowWords {
            let start = Int(frontier) + 64 * word
            let (index, shift) = (start / 64, UInt64(start % 64))
            var value = completedBits[index] >> shift
            if shift > 0 && index + 1 < completedBits.count { value |= completedBits[index + 1] << (64 - shift) }
            key.append(value)
        }
        for hold in state.holds { key.append(hold.raw) }
        for grant in state.highestFenceGrants { key.append(grant.raw) }
        return key
    }

    /// The eligible operations of unknown outcome worth placing at this configuration, in invoke order.
    ///
    /// One is worth placing if its effect is something an eligible completed operation needs (a lock it
    /// names, a lock out of its way) or must come before it (a removal that would otherwise also remove the
    /// lock it grants), or if it is worth it, in that sense, to another operation of unknown outcome that is.
    private func relevantUnknown(before firstReturn: Int32) -> [Int32] {
        var pool: [Int] = []
        var node = events.first(in: events.unknownHead)
        while node != events.unknownTail && node < firstReturn {
            pool.append(events.operation(at: node))
            node = events.next(after: node)
        }
        if pool.isEmpty { return [] }
        let removed = pool.map { model.removedHolds(by: operations[$0].action, in: state) }
        var chosen = [Bool](repeating: false, count: pool.count)
        var targets = events.eligibleCompleted().map { operations[$0] }
        while !targets.isEmpty {
            var newlyChosen: [CompactOperation] = []
            for (index, candidate) in pool.enumerated() where !chosen[index] {
                let action = operations[candidate].action
                if targets.contains(where: { model.mayEnable(action, removing: removed[index], $0) }) {
                    chosen[index] = true
                    newlyChosen.append(operations[candidate])
                }
            }
            targets = newlyChosen
        }
        return pool.indices.filter { chosen[$0] }.map { Int32(pool[$0]) }
    }

    /// Remembers the current dead end if no deeper one has been seen.
    private mutating func recordIfDeepest() {
        if let deepest, deepest.prefix.count >= stack.count { return }
        deepest = DeadEnd(
            prefix: stack.map { Int($0.operation) }, state: state, candidates: events.eligibleCompleted())
    }
}
