import HeapModule

/// Values by deadline, earliest first; equal deadlines come out in insertion order, so the order never depends
/// on anything but the calls made. The node's lease deadlines use it, and the simulator's event queue (whose
/// seeds must replay exactly) is one.
package struct DeadlineHeap<Value> {
    private struct Item: Comparable {
        var deadline: UInt64
        var sequence: UInt64
        var value: Value

        // Deadline, then insertion sequence: no two items are equal, so the heap's order is total.
        static func < (lhs: Item, rhs: Item) -> Bool { (lhs.deadline, lhs.sequence) < (rhs.deadline, rhs.sequence) }
        static func == (lhs: Item, rhs: Item) -> Bool { lhs.deadline == rhs.deadline && lhs.sequence == rhs.sequence }
    }

    private var items = Heap<Item>()
    private var nextSequence: UInt64 = 0

    /// An empty heap.
    package init() {}

    /// How many values are waiting.
    package var count: Int { items.count }
    /// Whether no value is waiting.
    package var isEmpty: Bool { items.isEmpty }
    /// The earliest deadline, if any.
    package var earliest: UInt64? { items.min?.deadline }

    /// Adds `value` due at `deadline`, after any value already due then.
    package mutating func insert(_ value: Value, deadline: UInt64) {
        items.insert(Item(deadline: deadline, sequence: nextSequence, value: value))
        nextSequence += 1
    }

    /// Removes and returns the earliest value if its deadline is at or before `time`.
    package mutating func popDue(by time: UInt64) -> (deadline: UInt64, value: Value)? {
        guard let first = items.min, first.deadline <= time else { return nil }
        _ = items.popMin()
        return (first.deadline, first.value)
    }

    /// Removes and returns the earliest value, whatever its deadline.
    package mutating func popFirst() -> (deadline: UInt64, value: Value)? {
        items.popMin().map { ($0.deadline, $0.value) }
    }

    /// Drops every value.
    package mutating func removeAll() { items = Heap() }
}
