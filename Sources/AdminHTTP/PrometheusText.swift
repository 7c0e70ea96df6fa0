/// Builds the Prometheus text exposition format, version 0.0.4: for each metric family a `# HELP` line,
/// a `# TYPE` line, then its samples.
///
/// ```swift
/// var text = PrometheusText()
/// text.family("padlock_sessions", type: .gauge, help: "Open sessions.")
/// text.sample(labels: ["namespace": "acme"], value: 12)
/// text.counter("padlock_requests_total", help: "Client requests answered.", value: 1234)
/// let body = text.output
/// ```
///
/// Samples belong to the family declared last, so each family's samples stay together, as the format
/// requires. Label values and help texts are escaped. Invalid metric or label names, a family declared
/// twice, a sample outside its family or a `le` label on a histogram are programmer errors: they stop the
/// program with the offending name, because they come from code, never from a peer.
package struct PrometheusText: Sendable {
    /// The kind of a metric family, written on its `# TYPE` line.
    package enum MetricType: String, Sendable {
        /// A value that only goes up (resets on restart); its name should end in `_total`.
        case counter
        /// A value that goes up and down.
        case gauge
        /// Observations counted into cumulative buckets, with their sum and count.
        case histogram
    }

    /// The `Content-Type` of this format.
    package static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The text so far.
    package private(set) var output = ""
    private var current: (name: String, type: MetricType)?
    private var declared: Set<String> = []

    /// Starts an empty exposition.
    package init() {}

    /// The text so far, as UTF-8 bytes (an HTTP response body).
    package var bytes: [UInt8] { Array(output.utf8) }

    /// Declares a metric family: writes its `# HELP` and `# TYPE` lines. Samples written after this belong
    /// to it.
    package mutating func family(_ name: String, type: MetricType, help: String) {
        precondition(PrometheusText.isMetricName(name), "invalid Prometheus metric name \(name.debugDescription)")
        precondition(!declared.contains(name), "metric family \(name) declared twice")
        declared.insert(name)
        current = (name, type)
        output += "# HELP \(name) \(PrometheusText.escapedHelp(help))\n# TYPE \(name) \(type.rawValue)\n"
    }

    /// Writes one sample of the current counter or gauge family.
    package mutating func sample(labels: KeyValuePairs<String, String> = [:], value: Double) {
        guard let current, current.type != .histogram else {
            preconditionFailure("sample written outside a counter or gauge family (current: \(describe(self.current)))")
        }
        writeLine(current.name, labels: labels, extra: nil, value: PrometheusText.formatted(value))
    }

    /// Declares a gauge family with one sample.
    package mutating func gauge(_ name: String, help: String, labels: KeyValuePairs<String, String> = [:],
                               value: Double) {
        family(name, type: .gauge, help: help)
        sample(labels: labels, value: value)
    }

    /// Declares a counter family with one sample.
    package mutating func counter(_ name: String, help: String, labels: KeyValuePairs<String, String> = [:],
                                 value: Double) {
        family(name, type: .counter, help: help)
        sample(labels: labels, value: value)
    }

    /// Writes one histogram of the current histogram family: a cumulative `_bucket` line per upper bound,
    /// the `+Inf` bucket (equal to the count), then `_sum` and `_count`.
    ///
    /// `bucketCounts` holds the observations of each bucket alone (not cumulative): one per bound, plus a
    /// last one for observations above the highest bound. Bounds must be finite and increasing.
    package mutating func histogram(labels: KeyValuePairs<String, String> = [:], upperBounds: [Double],
                                   bucketCounts: [UInt64], sum: Double) {
        guard let current, current.type == .histogram else {
            preconditionFailure("histogram written outside a histogram family (current: \(describe(self.current)))")
        }
        precondition(bucketCounts.count == upperBounds.count + 1,
                     "\(current.name): \(bucketCounts.count) counts for \(upperBounds.count) bounds, want one more")
        let increasing = zip(upperBounds, upperBounds.dropFirst()).allSatisfy { $0 < $1 }
        precondition(upperBounds.allSatisfy(\.isFinite) && increasing,
                     "\(current.name): bucket bounds \(upperBounds) are not finite and increasing")
        precondition(!labels.contains { $0.key == "le" }, "\(current.name): 'le' is reserved for histogram buckets")
        var cumulative: UInt64 = 0
        for (bound, count) in zip(upperBounds + [.infinity], bucketCounts) {
            cumulative &+= count
            writeLine(current.name + "_bucket", labels: labels, extra: ("le", PrometheusText.formatted(bound)),
                      value: String(cumulative))
        }
        writeLine(current.name + "_sum", labels: labels, extra: nil, value: PrometheusText.formatted(sum))
        writeLine(current.name + "_count", labels: labels, extra: nil, value: String(cumulative))
    }

    private mutating func writeLine(_ name: String, labels: KeyValuePairs<String, String>, extra: (String, String)?,
                                    value: String) {
        output += name
        var names: Set<String> = []
        var pairs: [(String, String)] = labels.map { ($0.key, $0.value) }
        if let extra { pairs.append(extra) }
        if !pairs.isEmpty {
            output += "{"
            for (index, (label, labelValue)) in pairs.enumerated() {
                precondition(PrometheusText.isLabelName(label), "\(name): invalid label name \(label.debugDescription)")
                precondition(names.insert(label).inserted, "\(name): label \(label) given twice")
                output += (index == 0 ? "" : ",") + label + "=\"" + PrometheusText.escapedLabelValue(labelValue) + "\""
            }
            output += "}"
        }
        output += " " + value + "\n"
    }
}

extension PrometheusText {
    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    static func isMetricName(_ name: String) -> Bool {
        isName(name, allowingColon: true)
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`, and not starting with `__` (reserved for Prometheus itself).
    static func isLabelName(_ name: String) -> Bool {
        isName(name, allowingColon: false) && !name.hasPrefix("__")
    }

    private static func isName(_ name: String, allowingColon: Bool) -> Bool {
        guard let first = name.utf8.first else { return false }
        let isLetter: (UInt8) -> Bool = {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0)
                || $0 == UInt8(ascii: "_") || (allowingColon && $0 == UInt8(ascii: ":"))
        }
        return isLetter(first)
            && name.utf8.allSatisfy { isLetter($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// A label value with backslash, double quote and line feed escaped.
    static func escapedLabelValue(_ value: String) -> String {
        escaped(value, quotes: true)
    }

    /// A help text with backslash and line feed escaped.
    static func escapedHelp(_ help: String) -> String {
        escaped(help, quotes: false)
    }

    private static func escaped(_ text: String, quotes: Bool) -> String {
        // By scalar, not by Character: "\r\n" is one Character and would hide its line feed.
        guard text.unicodeScalars.contains(where: { $0 == "\\" || $0 == "\n" || (quotes && $0 == "\"") }) else {
            return text
        }
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\"" where quotes: result += "\\\""
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// A sample value or bucket bound as Prometheus parses it: integers without a fraction, `+Inf`,
    /// `-Inf`, `NaN`, and otherwise the shortest decimal that reads back as the same double.
    static func formatted(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == .infinity { return "+Inf" }
        if value == -.infinity { return "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return value.description
    }
}

/// The current family for a precondition message.
private func describe(_ family: (name: String, type: PrometheusText.MetricType)?) -> String {
    family.map { "\($0.name), a \($0.type.rawValue)" } ?? "none"
}
