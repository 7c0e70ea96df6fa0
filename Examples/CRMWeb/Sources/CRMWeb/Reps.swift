import Foundation
import PadlockClient
import Synchronization

/// A signed-in rep: who they say they are (this is a demo: nobody checks) and the owner label their locks carry.
struct Rep: Sendable {
    let token: String
    let name: String
    let roles: [String]
    /// `Alice@frontend-1`: what others see as the holder of the rep's locks.
    let owner: String

    var isAdmin: Bool { roles.contains("admin") }
    var isManager: Bool { roles.contains("manager") }
    var rolesText: String { roles.isEmpty ? "no roles" : roles.joined(separator: ", ") }
}

/// The app server's per-rep sessions: a cookie names one; every request and every open page's event stream
/// keeps it alive, and a session not seen for the lapse time (a closed browser) is ended with its locks.
actor Reps {
    private var reps: [String: Rep] = [:]
    private var lastSeen: [String: ContinuousClock.Instant] = [:]

    func signIn(name: String, roles: [String], server: String) -> Rep {
        let token = UUID().uuidString
        let rep = Rep(token: token, name: name, roles: roles, owner: "\(name)@\(server)")
        reps[token] = rep
        lastSeen[token] = .now
        return rep
    }

    /// The rep of `token`, marked as seen now.
    func rep(_ token: String?) -> Rep? {
        guard let token, let rep = reps[token] else { return nil }
        lastSeen[token] = .now
        return rep
    }

    func signOut(_ token: String) -> Rep? {
        lastSeen[token] = nil
        return reps.removeValue(forKey: token)
    }

    /// Whether another signed-in session (another browser) uses the same owner label.
    func ownerInUse(_ owner: String) -> Bool { reps.values.contains { $0.owner == owner } }

    /// Ends and returns the sessions not seen for `lapse`.
    func lapsed(after lapse: Duration) -> [Rep] {
        let now = ContinuousClock.now
        let gone = lastSeen.filter { now - $0.value > lapse }.compactMap { reps[$0.key] }
        for rep in gone {
            reps[rep.token] = nil
            lastSeen[rep.token] = nil
        }
        return gone
    }
}

/// An open edit: a rep holds the lock on a record (or one field) while its edit page is open.
struct Edit: Sendable {
    let id: String
    let rep: Rep
    let kind: RecordKind
    let recordID: String
    /// The locked field, nil for the whole record.
    let field: String?
    let lock: Lock
}

/// A rep waiting in line for a record: the acquire runs in `task`; positions and the outcome go to `events`.
final class WaitTicket: Sendable {
    enum Event: Sendable {
        case position(Int)
        case granted(editID: String)
        case failed(String)
    }

    let id: String
    let rep: Rep
    let events: AsyncStream<Event>
    let continuation: AsyncStream<Event>.Continuation
    let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    init(rep: Rep) {
        id = UUID().uuidString
        self.rep = rep
        (events, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(32))
    }

    func cancel() { task.withLock { $0?.cancel() } }
}

/// The open edits and waits of every rep.
actor Desk {
    private var edits: [String: Edit] = [:]
    private var waits: [String: WaitTicket] = [:]

    func add(_ edit: Edit) { edits[edit.id] = edit }
    func edit(_ id: String) -> Edit? { edits[id] }
    func removeEdit(_ id: String) -> Edit? { edits.removeValue(forKey: id) }

    func add(_ ticket: WaitTicket) { waits[ticket.id] = ticket }
    func wait(_ id: String) -> WaitTicket? { waits[id] }
    func removeWait(_ id: String) -> WaitTicket? { waits.removeValue(forKey: id) }

    /// Forgets every edit and wait of the rep (signed out, or session lapsed) and cancels the waits.
    func forget(owner: String) -> Int {
        let mine = edits.values.filter { $0.rep.owner == owner }
        for edit in mine { edits[edit.id] = nil }
        for ticket in waits.values where ticket.rep.owner == owner {
            ticket.cancel()
            waits[ticket.id] = nil
        }
        return mine.count
    }
}
