// Times for people on the server side, where Foundation is not used.

/// UTC times for people, without Foundation.
package enum WallTime {
    /// `2026-01-01T00:00:00.000Z` for milliseconds since the Unix epoch.
    package static func format(_ milliseconds: UInt64) -> String {
        let seconds = milliseconds / 1_000
        let days = Int64(seconds / 86_400)
        let secondOfDay = seconds % 86_400
        let (year, month, day) = civil(daysSinceEpoch: days)
        return "\(year)-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3_600, 2)):\(pad(secondOfDay / 60 % 60, 2))"
            + ":\(pad(secondOfDay % 60, 2)).\(pad(milliseconds % 1_000, 3))Z"
    }

    /// `2026-01-01 10:02:07 UTC`, to the second, for sentences shown to end users.
    package static func formatSeconds(_ milliseconds: UInt64) -> String {
        let seconds = milliseconds / 1_000
        let secondOfDay = seconds % 86_400
        let (year, month, day) = civil(daysSinceEpoch: Int64(seconds / 86_400))
        return "\(year)-\(pad(month, 2))-\(pad(day, 2)) \(pad(secondOfDay / 3_600, 2)):\(pad(secondOfDay / 60 % 60, 2))"
            + ":\(pad(secondOfDay % 60, 2)) UTC"
    }

    /// The proleptic Gregorian date of a day count (Howard Hinnant's days-to-civil, in our own words).
    private static func civil(daysSinceEpoch days: Int64) -> (Int64, UInt64, UInt64) {
        let shifted = days + 719_468
        let era = shifted / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, UInt64(month), UInt64(day))
    }

    private static func pad(_ value: UInt64, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
