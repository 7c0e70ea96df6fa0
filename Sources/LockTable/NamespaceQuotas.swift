import PadlockTypes

extension LockTable {
    /// Locks held plus waiters queued under `namespace`, and waiters alone.
    func namespaceUsage(_ namespace: Substring) -> (heldAndWaiting: Int, waiting: Int) {
        let name = String(namespace)
        let below = prefixes[name]
        let held =
            Int(below?.exclusiveBelow ?? 0) + Int(below?.sharedBelow ?? 0) + (exclusiveGrants[name] == nil ? 0 : 1)
            + (sharedGrants[name]?.count ?? 0)
        let waiting = Int(below?.waitersBelow ?? 0) + (queues[name]?.count ?? 0)
        return (held + waiting, waiting)
    }

    /// The quota refusal for one more lock per key (and, when `queueing`, one more waiter per key) under the
    /// keys' namespaces; keys of one namespace count together.
    func quotaRefusal(for keys: [LockKey], queueing: Bool) -> CommandResult? {
        var checked: Set<Substring> = []
        for key in keys where checked.insert(key.namespace).inserted {
            let quota = quotas.quota(of: String(key.namespace))
            guard quota.heldLocksMax > 0 || quota.waitersMax > 0 else { continue }
            let adding = keys.filter { $0.namespace == key.namespace }.count
            let usage = namespaceUsage(key.namespace)
            if quota.heldLocksMax > 0 && usage.heldAndWaiting + adding > quota.heldLocksMax {
                return .overloaded(.namespaceHeldLocks)
            }
            if queueing && quota.waitersMax > 0 && usage.waiting + adding > quota.waitersMax {
                return .overloaded(.namespaceWaiters)
            }
        }
        return nil
    }
}
