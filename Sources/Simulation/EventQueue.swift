/// Something that happens at one instant of simulated time.
enum SimEvent {
    /// A node's tick timer fired (ignored if the node restarted since: `incarnation` differs).
    case tick(node: Int, incarnation: Int)
    /// A node asked for a flush.
    case flush(node: Int, incarnation: Int)
    /// The oldest write in a node's disk queue completes.
    case diskDone(node: Int, incarnation: Int)
    /// Work a node gave its environment to encode is done (`NodeEnvironment.encode`); `deliver` hands the
    /// bytes back.
    case encoded(node: Int, incarnation: Int, deliver: () -> Void)
    /// A peer frame arrives.
    case peerFrame(from: Int, to: Int, payload: [UInt8], senderWall: UInt64)
    /// A frame no member sent (the forged-frame fault).
    case forgedFrame(from: Int, to: Int, payload: [UInt8])
    /// A whole snapshot transfer arrives (its chunk payloads, in order); the sender learns the outcome.
    case snapshotTransfer(from: Int, to: Int, chunks: [[UInt8]], senderIncarnation: Int)
    /// The sender of a snapshot learns how the transfer ended.
    case snapshotReport(from: Int, to: Int, delivered: Bool, senderIncarnation: Int)
    /// A client request frame arrives at a node on a connection.
    case clientRequest(node: Int, connection: UInt64, payload: [UInt8])
    /// A response frame arrives at a client.
    case clientResponse(client: Int, connection: UInt64, payload: [UInt8])
    /// A client's connection to a node was reset (the node's process died).
    case connectionReset(client: Int, connection: UInt64)
    /// A client's timer fired.
    case clientTimer(client: Int, token: UInt64)
    /// The fault schedule acts.
    case fault(FaultAction)
    /// The fault phase ends: everything heals for the liveness phase.
    case endOfFaults
}

/// The pending events of a run, by time and then by the order they were scheduled.
struct EventQueue {
    private struct Item {
        var time: UInt64
        var sequence: UInt64
        var event: SimEvent

        func precedes(_ other: Item) -> Bool {
            time != other.time ? time < other.time : sequence < other.sequence
        }
    }

    private var items: [Item] = []
    private var nextSequence: UInt64 = 0

    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }

    mutating func schedule(_ event: SimEvent, at time: UInt64) {
        items.append(Item(time: time, sequence: nextSequence, event: event))
        nextSequence += 1
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].precedes(items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (time: UInt64, event: SimEvent)? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < items.count else { break }
                var smallest = left
                if left + 1 < items.count && items[left + 1].precedes(items[left]) { smallest = left + 1 }
                guard items[smallest].precedes(items[parent]) else { break }
                items.swapAt(smallest, parent)
                parent = smallest
            }
        }
        return (first.time, first.event)
    }
}
