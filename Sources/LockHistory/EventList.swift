/// The call and return events of one group's operations as doubly linked lists, in real-time order.
///
/// Nodes are numbered by their rank in that order, so comparing two node numbers compares instants. Completed
/// operations (a call and a return) are linked into the main list; operations of unknown outcome (a call
/// only) into a second list. Sentinels: `mainHead` comes before every event and `mainTail` after every event,
/// so "eligible" is simply "a smaller node number than the first remaining return".
struct EventList: Sendable {
    /// The main list's head sentinel.
    let mainHead: Int32 = 0
    /// The main list's tail sentinel, ranked after every event.
    let mainTail: Int32
    let unknownHead: Int32
    let unknownTail: Int32
    private var nextNode: [Int32]
    private var previousNode: [Int32]
    private let operationOfNode: [Int32]
    private let returnFlags: [Bool]
    private let callNodes: [Int32]
    /// -1 for an operation of unknown outcome.
    private let returnNodes: [Int32]

    init(context: GroupContext) {
        var events: [(time: UInt64, isReturn: Bool, operation: Int)] = []
        let history = context.sourceOperations
        for (operation, source) in history.enumerated() {
            events.append((source.invoke, false, operation))
            if let complete = source.complete { events.append((complete, true, operation)) }
        }
        events.sort { ($0.time, $0.isReturn ? 1 : 0, $0.operation) < ($1.time, $1.isReturn ? 1 : 0, $1.operation) }
        let count = Int32(events.count)
        (mainTail, unknownHead, unknownTail) = (count + 1, count + 2, count + 3)
        var nextNode = [Int32](repeating: -1, count: Int(count) + 4)
        var previousNode = nextNode
        func link(_ from: Int32, _ to: Int32) {
            nextNode[Int(from)] = to
            previousNode[Int(to)] = from
        }
        var operationOfNode = [Int32](repeating: -1, count: Int(count) + 4)
        var returnFlags = [Bool](repeating: false, count: Int(count) + 4)
        var callNodes = [Int32](repeating: -1, count: history.count)
        var returnNodes = callNodes
        var (lastMain, lastUnknown) = (Int32(0), count + 2)
        for (rank, event) in events.enumerated() {
            let node = Int32(rank + 1)
            operationOfNode[Int(node)] = Int32(event.operation)
            returnFlags[Int(node)] = event.isReturn
            if event.isReturn { returnNodes[event.operation] = node } else { callNodes[event.operation] = node }
            if history[event.operation].complete == nil {
                link(lastUnknown, node)
                lastUnknown = node
            } else {
                link(lastMain, node)
                lastMain = node
            }
        }
        link(lastMain, mainTail)
        link(lastUnknown, unknownTail)
        self.nextNode = nextNode
        self.previousNode = previousNode
        self.operationOfNode = operationOfNode
        self.returnFlags = returnFlags
        self.callNodes = callNodes
        self.returnNodes = returnNodes
    }

    /// The first node after a head sentinel.
    func first(in head: Int32) -> Int32 { nextNode[Int(head)] }
    func next(after node: Int32) -> Int32 { nextNode[Int(node)] }
    func isReturn(_ node: Int32) -> Bool { returnFlags[Int(node)] }
    func operation(at node: Int32) -> Int { Int(operationOfNode[Int(node)]) }
    func callNode(of operation: Int) -> Int32 { callNodes[operation] }

    /// Removes an operation's call and return from their list.
    mutating func lift(_ operation: Int) {
        remove(callNodes[operation])
        if returnNodes[operation] >= 0 { remove(returnNodes[operation]) }
    }

    /// Puts back the events of the most recently lifted operation still out of the list.
    mutating func unlift(_ operation: Int) {
        if returnNodes[operation] >= 0 { reinsert(returnNodes[operation]) }
        reinsert(callNodes[operation])
    }

    /// The completed operations whose calls come before the first remaining return: those that may go next.
    func eligibleCompleted() -> [Int] {
        var found: [Int] = []
        var node = first(in: mainHead)
        while node != mainTail && !isReturn(node) {
            found.append(operation(at: node))
            node = next(after: node)
        }
        return found
    }

    private mutating func remove(_ node: Int32) {
        let (before, after) = (previousNode[Int(node)], nextNode[Int(node)])
        nextNode[Int(before)] = after
        previousNode[Int(after)] = before
    }

    private mutating func reinsert(_ node: Int32) {
        nextNode[Int(previousNode[Int(node)])] = node
        previousNode[Int(nextNode[Int(node)])] = node
    }
}
