/// A binary min-heap of values by deadline; equal deadlines come out in insertion order, so the order never
/// depends on anything but the calls made.
struct DeadlineHeap<Value> {
    private struct Item {
        var deadline: UInt64
        var sequence: UInt64
        var value: Value

        func precedes(_ other: Item) -> Bool {
            deadline != other.deadline ? deadline < other.deadline : sequence < other.sequence
        }
    }

    private var items: [Item] = []
    private var nextSequence: UInt64 = 0

    var count: Int { items.count }
    var isEmpty: Bool { items.isEmpty }
    /// The earliest deadline, if any.
    var earliest: UInt64? { items.first?.deadline }

    mutating func insert(_ value: Value, deadline: UInt64) {
        items.append(Item(deadline: deadline, sequence: nextSequence, value: value))
        nextSequence += 1
        siftUp(items.count - 1)
    }

    /// Removes and returns the earliest value if its deadline is at or before `time`.
    mutating func popDue(by time: UInt64) -> (deadline: UInt64, value: Value)? {
        guard let first = items.first, first.deadline <= time else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            siftDown(0)
        }
        return (first.deadline, first.value)
    }

    mutating func removeAll() { items.removeAll() }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].precedes(items[parent]) else { return }
            items.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < items.count else { return }
            let right = left + 1
            var smallest = left
            if right < items.count && items[right].precedes(items[left]) { smallest = right }
            guard items[smallest].precedes(items[parent]) else { return }
            items.swapAt(smallest, parent)
            parent = smallest
        }
    }
}
