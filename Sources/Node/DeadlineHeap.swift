import HeapModule

/// Values by deadline, earliest first; equal deadlines come out in insertion order, so the order never depends
/// on anything but the calls made. The node's lease deadlines use it, and the simulator's event queue (whose
/// seeds must replay exactly) is one.
package struct DeadlineHeap<Value> {
    // The heap orders small plain items; the values wait in slots beside it, so sifting never copies (or
    // retains) a value, and the heap's code is specialised for one concrete item type.
    private var items = Heap<DeadlineItem>()
    private var slots: [Value?] = []
    private var freeSlots: [Int] = []
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
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot] = value
        } else {
            slot = slots.count
            slots.append(value)
        }
        items.insert(DeadlineItem(deadline: deadline, sequence: nextSequence, slot: slot))
        nextSequence += 1
    }

    /// Takes the value out of `item`'s slot and frees the slot.
    private mutating func take(_ item: DeadlineItem) -> (deadline: UInt64, value: Value) {
        guard let value = slots[item.slot].take() else {
            preconditionFailure("deadline heap slot \(item.slot) is empty: an item was taken twice")
        }
        freeSlots.append(item.slot)
        return (item.deadline, value)
    }

    /// Removes and returns the earliest value if its deadline is at or before `time`.
    package mutating func popDue(by time: UInt64) -> (deadline: UInt64, value: Value)? {
        guard let first = items.min, first.deadline <= time else { return nil }
        _ = items.popMin()
        return take(first)
    }

    /// Removes and returns the earliest value, whatever its deadline.
    package mutating func popFirst() -> (deadline: UInt64, value: Value)? {
        guard let first = items.popMin() else { return nil }
        return take(first)
    }

    /// Drops every value.
    package mutating func removeAll() {
        items = Heap()
        slots = []
        freeSlots = []
    }
}

/// One entry of a `DeadlineHeap`: when it is due, its insertion order, and the slot holding its value.
private struct DeadlineItem: Comparable {
    var deadline: UInt64
    var sequence: UInt64
    var slot: Int

    // Deadline, then insertion sequence: no two items are equal, so the heap's order is total.
    static func < (lhs: DeadlineItem, rhs: DeadlineItem) -> Bool {
        (lhs.deadline, lhs.sequence) < (rhs.deadline, rhs.sequence)
    }
    static func == (lhs: DeadlineItem, rhs: DeadlineItem) -> Bool {
        lhs.deadline == rhs.deadline && lhs.sequence == rhs.sequence
    }
}
