import ArgumentParser
import Foundation
import PadlockClient
import PadlockTypes

/// `padlock hold place|lift|list`: rule locks (`docs/holds.md`).
struct HoldCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold",
        abstract: "Place, lift or list holds: rule locks such as 'Deal closed' or a tenant freeze.",
        discussion: """
            A hold refuses edits (exclusive locks; with --restrict all, shared ones too) on a key and its subtree \
            to everyone whose roles it does not exempt, except on the fields it leaves editable, until it is \
            lifted. It has no lease. A hold on a namespace root (acme) freezes the whole tenant. Placing and \
            lifting are audited; they are allowed to admin clients and to app clients configured with \
            holds = ["namespace"].
            """,
        subcommands: [Place.self, Lift.self, ListHolds.self])

    struct Place: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "place", abstract: "Place a hold on a key (replacing the key's hold of the same rule).")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The key to hold: a record, a field, or a namespace root such as acme.") var key: String
        @Option(help: "The rule's name, shown on the record, such as \"Deal closed\".") var rule: String
        @Option(help: "Why, shown with the rule and audited, such as \"stage closed-won\".") var reason: String
        @Option(
            name: .customLong("exempt-role"),
            help: ArgumentHelp(
                "A role the hold does not apply to, such as finance-admin; repeat for several.",
                valueName: "role"))
        var exemptRoles: [String] = []
        @Option(
            name: .customLong("editable"),
            help: ArgumentHelp(
                "A field under the key that stays lockable, such as notes; repeat for several.",
                valueName: "field"))
        var editableFields: [String] = []
        @Option(help: "What it refuses: edit (exclusive locks, the default) or all (shared locks too).")
        var restrict: String = "edit"
        @Option(help: "Who placed it: manual (an administrator, the default) or rule (a rule engine).")
        var source: String = "manual"
        @Flag(help: "End the current holders the hold refuses (each is told, as by a force-unlock).")
        var endHolders = false
        @Option(help: "The owner label audited as the placer, such as ops@admin.") var owner: String = defaultOwner

        func validate() throws {
            guard HoldRestriction.allCases.contains(where: { "\($0)" == restrict }) else {
                throw ValidationError("--restrict is edit or all, got \(restrict)")
            }
            guard HoldSource.allCases.contains(where: { "\($0)" == source }) else {
                throw ValidationError("--source is manual or rule, got \(source)")
            }
        }

        func run() async throws {
            let restricts = HoldRestriction.allCases.first { "\($0)" == restrict } ?? .edit
            let source = HoldSource.allCases.first { "\($0)" == self.source } ?? .manual
            try await withClient(connection, owner: owner) { (client) async throws(PadlockError) in
                let placed = try await client.placeHold(
                    key, rule: rule, reason: reason, source: source, restricts: restricts, exemptRoles: exemptRoles,
                    editableFields: editableFields, endHolders: endHolders)
                print("placed hold \(Formatting.hold(placed.hold))")
                if placed.endedHolders.isEmpty && !endHolders {
                    print("current holders keep their locks; their fences are stale for stores from now on")
                }
                for ended in placed.endedHolders {
                    print("  ended \(Formatting.holder(ended.holder)) on \(ended.key)")
                }
            }
        }
    }

    struct Lift: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lift", abstract: "Lift a key's hold of one rule, or every hold on the key.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The held key.") var key: String
        @Option(help: "Why, for the audit trail.") var reason: String
        @Option(help: "Lift only the hold of this rule (default: every hold on the key).") var rule: String?
        @Option(help: "The owner label audited as the lifter, such as ops@admin.") var owner: String = defaultOwner

        func run() async throws {
            try await withClient(connection, owner: owner) { (client) async throws(PadlockError) in
                for hold in try await client.liftHold(key, rule: rule, reason: reason) {
                    print("lifted hold \(Formatting.hold(hold))")
                }
            }
        }
    }

    struct ListHolds: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List the holds in place, in key order.")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Only holds on keys in this subtree, such as acme.") var prefix: String?
        @Flag(help: "Print a JSON array instead of lines.") var json = false

        func run() async throws {
            try await withClient(connection) { (client) async throws(PadlockError) in
                let holds = try await client.holds(prefix: prefix)
                if json {
                    print(Formatting.holdsJSON(holds))
                } else {
                    if holds.isEmpty { print(prefix.map { "no holds on or under \($0)" } ?? "no holds") }
                    for hold in holds { print(Formatting.hold(hold)) }
                }
            }
        }
    }
}

extension Formatting {
    /// `acme/deals/42 rule 'Deal closed' since 2026-12-07 10:02:07 by ops@admin (manual, restricts edit,
    /// fence 57): stage closed-won; exempt finance-admin; editable notes`.
    static func hold(_ hold: Hold) -> String {
        var text =
            "\(hold.key) rule '\(hold.rule)' since \(time(hold.since)) by \(hold.placedBy) (\(hold.source), "
            + "restricts \(hold.restricts), fence \(hold.fence.rawValue)): \(hold.reason)"
        if !hold.exemptRoles.isEmpty { text += "; exempt \(hold.exemptRoles.joined(separator: ", "))" }
        if !hold.editableFields.isEmpty { text += "; editable \(hold.editableFields.joined(separator: ", "))" }
        return text
    }

    /// The holds as a JSON array of objects, times as ISO 8601 on the leader's clock.
    static func holdsJSON(_ holds: [Hold]) -> String {
        let iso = ISO8601DateFormatter()
        let objects: [[String: Any]] = holds.map { hold in
            [
                "key": hold.key.string, "rule": hold.rule, "reason": hold.reason, "source": "\(hold.source)",
                "placedBy": hold.placedBy, "since": iso.string(from: hold.since.date),
                "fence": hold.fence.rawValue, "restricts": "\(hold.restricts)", "exemptRoles": hold.exemptRoles,
                "editableFields": hold.editableFields,
            ]
        }
        guard let data = try? JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])
        else { return "[]" }
        return String(decoding: data, as: UTF8.self)
    }

    /// What an audit record of a hold says: placed, lifted (with the lifter's reason) or bypassed (the grant
    /// an exempt role got through it); nil for the other records. A cluster whose protocol version does not
    /// carry the hold in audit records still gets the key, who and why.
    static func holdAudit(_ record: AuditRecord) -> String? {
        let head = "#\(record.sequence) \(time(record.time))"
        let hold = record.hold
        let subject =
            hold.map { "rule '\($0.rule)' on \($0.key)" } ?? record.key.map { "the hold on \($0)" } ?? "a hold"
        switch record.action {
        case .holdPlaced:
            guard let hold else {
                return "\(head) hold placed by \(record.identity): \(subject), reason: \(record.reason)"
            }
            return
                "\(head) hold placed by \(record.identity): \(subject) (\(hold.source), restricts \(hold.restricts), "
                + "fence \(hold.fence.rawValue)), reason: \(hold.reason)"
                + (hold.exemptRoles.isEmpty ? "" : "; exempt \(hold.exemptRoles.joined(separator: ", "))")
                + (hold.editableFields.isEmpty ? "" : "; editable \(hold.editableFields.joined(separator: ", "))")
        case .holdLifted:
            let placed = hold.map { " (placed by \($0.placedBy) at \(time($0.since)), reason: \($0.reason))" } ?? ""
            return "\(head) hold lifted by \(record.identity): \(subject)\(placed), lifted because: \(record.reason)"
        case .holdBypassed:
            let grant = record.previousHolder.map { ", granted \(holder($0))" } ?? ""
            let key = record.key.map { " on \($0)" } ?? ""
            let why = hold.map { " (reason: \($0.reason))" } ?? (record.reason.isEmpty ? "" : " (\(record.reason))")
            return "\(head) hold bypassed by an exempt role: \(subject)\(why)\(grant)\(key)"
        default:
            return nil
        }
    }
}
