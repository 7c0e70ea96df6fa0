// Times and waits in words for people ("free again in 4.2 s, at 10:02:07"), never a raw tick count.
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

enum Wording {
    /// A wait such as `350 ms`, `4.2 s` or `2 min 5 s`; negative waits read as `0 ms`.
    static func duration(_ duration: Duration) -> String {
        let milliseconds = duration.wholeMilliseconds
        if milliseconds < 1_000 { return "\(milliseconds) ms" }
        if milliseconds < 60_000 {
            let tenths = (milliseconds + 50) / 100
            return tenths % 10 == 0 ? "\(tenths / 10) s" : "\(tenths / 10).\(tenths % 10) s"
        }
        let seconds = (milliseconds + 500) / 1_000
        if seconds < 3_600 {
            return seconds % 60 == 0 ? "\(seconds / 60) min" : "\(seconds / 60) min \(seconds % 60) s"
        }
        return "\(seconds / 3_600) h \(seconds % 3_600 / 60) min"
    }

    /// `date` as this machine's local time of day, `10:02:07`; a date that cannot be shown reads as UTC. A time
    /// something is free again rounds up (never earlier than true); a time something started (`since`) rounds
    /// down, as listings show it.
    static func timeOfDay(_ date: Date, roundingUp: Bool = true) -> String {
        let seconds = date.timeIntervalSince1970.rounded(roundingUp ? .up : .down)
        guard seconds.isFinite, abs(seconds) < 1e15 else { return "\(date)" }
        var time = time_t(seconds)
        var parts = tm()
        guard localtime_r(&time, &parts) != nil else { return "\(date)" }
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
    }

    /// How long until `date` from `now`, never negative.
    static func wait(until date: Date, now: Date = Date()) -> Duration {
        let seconds = date.timeIntervalSince(now)
        guard seconds > 0 else { return .zero }
        return .milliseconds(Int64(min(seconds, 1e9) * 1_000))
    }

    /// `free again in 4.2 s, at 10:02:07` for a key under lock-delay until `date`.
    static func freeAgain(at date: Date, now: Date = Date()) -> String {
        "free again in \(duration(wait(until: date, now: now))), at \(timeOfDay(date))"
    }

    /// What a hold tells a user it refuses, fit to show verbatim: `Locked by rule 'Deal closed' since 10:02:07
    /// (placed by ops@admin) — stage closed-won; only finance-admin may edit; notes stay editable`. `key` is the
    /// key asked for; the held key is named when it differs (or when no single key was asked for).
    static func restriction(_ hold: Hold, on key: LockKey?) -> String {
        var text = "Locked by rule '\(hold.rule)'"
        if key != hold.key { text += " on \(hold.key)" }
        text += " since \(timeOfDay(hold.since.date, roundingUp: false)) (placed by \(hold.placedBy)) — \(hold.reason)"
        let verb = hold.restricts == .all ? "edit or view" : "edit"
        if hold.exemptRoles.isEmpty {
            text += "; nobody may \(verb) until it is lifted"
        } else {
            text += "; only \(hold.exemptRoles.joined(separator: ", ")) may \(verb)"
        }
        if !hold.editableFields.isEmpty {
            text += "; \(hold.editableFields.joined(separator: ", ")) stay editable"
        }
        return text
    }
}
