import Foundation
import PadlockClient

/// A record's padlock as the pages show it, sent as JSON in Server-Sent Events.
struct PadlockView: Codable, Sendable {
    /// The record key the view is about (`acme/contacts/1`), or the tenant (`acme`) for a tenant-wide hold.
    var key: String
    /// `free`, `held`, `delayed` or `frozen` (a hold refuses edits; it wins over the others for the icon).
    var state: String
    /// Each holder in words: "Locked by Alice (frontend-1) since 17:40:02 — editing phone".
    var holders: [String]
    /// "2 waiting", or empty.
    var waiting: String
    /// Each hold in words.
    var holds: [String]
    /// "Just unlocked; free again at 17:41:05", or empty.
    var delayed: String
    /// Everything above in one line, for a list row.
    var text: String

    init(key: String, holders: [LockInfo], waiters: Int, holds: [Hold], delayedUntil: Date?) {
        // The cluster reads lock-delay against the time of the last entry it applied, so an idle cluster may
        // report a delay that is already over (an acquire, a new entry, is granted): trust the clock here.
        let delayedUntil = delayedUntil.flatMap { $0 > Date() ? $0 : nil }
        self.key = key
        self.holders = holders.map { Wording.locked($0.holder, key: $0.key, record: key) }
        self.holds = holds.map(Wording.hold)
        waiting = waiters == 0 ? "" : "\(waiters) waiting"
        delayed = delayedUntil.map { "Just unlocked; free again at \(Wording.clock($0))" } ?? ""
        state = !holds.isEmpty ? "frozen" : !holders.isEmpty ? "held" : delayedUntil != nil ? "delayed" : "free"
        let parts = self.holds + self.holders + [waiting, delayed].filter { !$0.isEmpty }
        text = parts.isEmpty ? "Free" : parts.joined(separator: " · ")
    }

    init(_ state: KeyState, record: String) {
        var until: Date?
        if case .lockDelayed(let date) = state.status { until = date }
        self.init(
            key: record, holders: state.holders, waiters: state.waiterCount, holds: state.holds, delayedUntil: until)
    }

    init(_ inspection: Inspection, record: String) {
        self.init(
            key: record, holders: inspection.holders, waiters: inspection.waiters.count, holds: inspection.holds,
            delayedUntil: inspection.lockDelayedUntilDate)
    }

    /// Adds holds read separately (see `CRM.holds(overlapping:)`).
    mutating func add(holds extra: [Hold]) {
        guard !extra.isEmpty else { return }
        holds += extra.map(Wording.hold)
        state = "frozen"
        text = (holds + [text].filter { $0 != "Free" }).joined(separator: " · ")
    }

    var json: String { Self.encode(self) }

    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A state of the rep's own lock, for the edit page.
struct LeaseView: Codable, Sendable {
    /// `safe`, `atRisk`, `lost` or `released`.
    var state: String
    /// The banner's text for a lost lock, else empty.
    var message: String
}
