/// The client's sessions (opening or open) in the order they were opened, indexed by owner: one app server
/// may pool a session for each of thousands of signed-in reps, and picking a free session for a call, or
/// counting an owner's sessions before opening another, must not walk every rep's sessions (issue 19: with
/// 10,000 owners a linear scan per call made taking the locks take 30 s and let leases lapse).
struct SessionPool: RandomAccessCollection {
    private var all: [PoolSession] = []
    private var byOwner: [String: [PoolSession]] = [:]

    var startIndex: Int { all.startIndex }
    var endIndex: Int { all.endIndex }
    subscript(position: Int) -> PoolSession { all[position] }

    /// The sessions of `owner`, in the order they were opened.
    func of(_ owner: String) -> [PoolSession] { byOwner[owner] ?? [] }

    /// How many sessions `owner` has, and how many of them are still opening.
    func counts(of owner: String) -> (total: Int, opening: Int) {
        let mine = of(owner)
        return (mine.count, mine.reduce(0) { $0 + ($1.state == .opening ? 1 : 0) })
    }

    mutating func append(_ session: PoolSession) {
        all.append(session)
        byOwner[session.owner, default: []].append(session)
    }

    /// Takes `session` out of the pool, if it is in it.
    mutating func remove(_ session: PoolSession) {
        guard var mine = byOwner[session.owner], let index = mine.firstIndex(where: { $0 === session }) else { return }
        mine.remove(at: index)
        byOwner[session.owner] = mine.isEmpty ? nil : mine
        all.removeAll { $0 === session }
    }

    /// Takes every session of `owner` that `shouldBeRemoved` selects out of the pool and returns them.
    mutating func remove(of owner: String, where shouldBeRemoved: (PoolSession) -> Bool) -> [PoolSession] {
        let removed = of(owner).filter(shouldBeRemoved)
        guard !removed.isEmpty else { return [] }
        let gone = Set(removed.map(ObjectIdentifier.init))
        let kept = of(owner).filter { !gone.contains(ObjectIdentifier($0)) }
        byOwner[owner] = kept.isEmpty ? nil : kept
        all.removeAll { gone.contains(ObjectIdentifier($0)) }
        return removed
    }
}
