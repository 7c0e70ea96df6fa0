import AdminHTTP
import Testing

private func lines(_ text: PrometheusText) -> [String] {
    text.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
}

@Suite("Prometheus text format")
struct PrometheusTextTests {
    @Test("gauges and counters get HELP and TYPE lines, then their samples with labels")
    func gaugesAndCounters() {
        var text = PrometheusText()
        text.gauge("padlock_up", help: "Whether the node runs.", value: 1)
        text.family("padlock_sessions", type: .gauge, help: "Open sessions per namespace.")
        text.sample(labels: ["namespace": "acme", "node": "1"], value: 12)
        text.sample(labels: ["namespace": "beta", "node": "1"], value: 0.5)
        text.counter("padlock_requests_total", help: "Client requests answered.", labels: ["kind": "acquire"],
                     value: 1234)
        #expect(lines(text) == [
            "# HELP padlock_up Whether the node runs.",
            "# TYPE padlock_up gauge",
            "padlock_up 1",
            "# HELP padlock_sessions Open sessions per namespace.",
            "# TYPE padlock_sessions gauge",
            "padlock_sessions{namespace=\"acme\",node=\"1\"} 12",
            "padlock_sessions{namespace=\"beta\",node=\"1\"} 0.5",
            "# HELP padlock_requests_total Client requests answered.",
            "# TYPE padlock_requests_total counter",
            "padlock_requests_total{kind=\"acquire\"} 1234",
            "",
        ])
        #expect(text.bytes == Array(text.output.utf8))
        #expect(PrometheusText.contentType == "text/plain; version=0.0.4; charset=utf-8")
    }

    @Test("label values escape backslash, double quote and line feed; help escapes backslash and line feed only")
    func escaping() {
        var text = PrometheusText()
        text.gauge("padlock_escape", help: "Say \"hi\"\\ now\nor\r\nlater.",
                   labels: ["owner": "al\\ice \"the\" admin\nsecond\r\nthird"], value: 1)
        #expect(lines(text) == [
            "# HELP padlock_escape Say \"hi\"\\\\ now\\nor\r\\nlater.",
            "# TYPE padlock_escape gauge",
            "padlock_escape{owner=\"al\\\\ice \\\"the\\\" admin\\nsecond\r\\nthird\"} 1",
            "",
        ])
    }

    @Test("values print the way Prometheus parses them")
    func valueFormatting() {
        var text = PrometheusText()
        text.family("padlock_values", type: .gauge, help: "Values.")
        for (index, value) in [0, -3, 2.5, 1e-05, 1e20, .nan, .infinity, -.infinity, 123_456_789].enumerated() {
            text.sample(labels: ["i": "\(index)"], value: value)
        }
        #expect(lines(text).dropFirst(2).map { $0.split(separator: " ").last.map(String.init) ?? "" }
                == ["0", "-3", "2.5", "1e-05", "1e+20", "NaN", "+Inf", "-Inf", "123456789", ""])
    }

    @Test("a histogram writes cumulative buckets, +Inf equal to the count, then sum and count")
    func histogramLines() {
        var text = PrometheusText()
        text.family("padlock_acquire_seconds", type: .histogram, help: "Acquire latency.")
        let bounds = [0.001, 0.01, 0.1]
        text.histogram(labels: ["mode": "exclusive"], upperBounds: bounds, bucketCounts: [2, 0, 3, 1], sum: 0.35)
        text.histogram(labels: ["mode": "shared"], upperBounds: bounds, bucketCounts: [0, 0, 0, 0], sum: 0)
        #expect(lines(text) == [
            "# HELP padlock_acquire_seconds Acquire latency.",
            "# TYPE padlock_acquire_seconds histogram",
            "padlock_acquire_seconds_bucket{mode=\"exclusive\",le=\"0.001\"} 2",
            "padlock_acquire_seconds_bucket{mode=\"exclusive\",le=\"0.01\"} 2",
            "padlock_acquire_seconds_bucket{mode=\"exclusive\",le=\"0.1\"} 5",
            "padlock_acquire_seconds_bucket{mode=\"exclusive\",le=\"+Inf\"} 6",
            "padlock_acquire_seconds_sum{mode=\"exclusive\"} 0.35",
            "padlock_acquire_seconds_count{mode=\"exclusive\"} 6",
            "padlock_acquire_seconds_bucket{mode=\"shared\",le=\"0.001\"} 0",
            "padlock_acquire_seconds_bucket{mode=\"shared\",le=\"0.01\"} 0",
            "padlock_acquire_seconds_bucket{mode=\"shared\",le=\"0.1\"} 0",
            "padlock_acquire_seconds_bucket{mode=\"shared\",le=\"+Inf\"} 0",
            "padlock_acquire_seconds_sum{mode=\"shared\"} 0",
            "padlock_acquire_seconds_count{mode=\"shared\"} 0",
            "",
        ])
    }

    @Test("a latency histogram counts bounds inclusively, overflow in +Inf, and ignores non-finite values")
    func latencyHistogram() {
        var histogram = LatencyHistogram(upperBoundsSeconds: [0.001, 0.01, 1])
        for seconds in [0.0005, 0.001, 0.0011, 0.01, 0.5, 1, 2.5, -1, .nan, .infinity] {
            histogram.record(seconds: seconds)
        }
        histogram.record(.milliseconds(5))
        #expect(histogram.bucketCounts == [3, 3, 2, 1])
        #expect(histogram.count == 9)
        #expect(abs(histogram.sumSeconds - 4.0176) < 1e-9)
        var text = PrometheusText()
        histogram.render(into: &text, name: "padlock_request_seconds", help: "Request latency.", labels: ["node": "2"])
        #expect(lines(text) == [
            "# HELP padlock_request_seconds Request latency.",
            "# TYPE padlock_request_seconds histogram",
            "padlock_request_seconds_bucket{node=\"2\",le=\"0.001\"} 3",
            "padlock_request_seconds_bucket{node=\"2\",le=\"0.01\"} 6",
            "padlock_request_seconds_bucket{node=\"2\",le=\"1\"} 8",
            "padlock_request_seconds_bucket{node=\"2\",le=\"+Inf\"} 9",
            "padlock_request_seconds_sum{node=\"2\"} \(histogram.sumSeconds)",
            "padlock_request_seconds_count{node=\"2\"} 9",
            "",
        ])
    }

    @Test("the default latency buckets span 100 µs to 10 s and every bucket is rendered")
    func defaultBuckets() {
        var histogram = LatencyHistogram()
        histogram.record(seconds: 0.0003)
        var text = PrometheusText()
        histogram.render(into: &text, name: "padlock_x_seconds", help: "X.")
        let buckets = lines(text).filter { $0.hasPrefix("padlock_x_seconds_bucket") }
        #expect(buckets.count == LatencyHistogram.defaultUpperBoundsSeconds.count + 1)
        #expect(buckets.first == "padlock_x_seconds_bucket{le=\"0.0001\"} 0")
        #expect(buckets.dropFirst(2).first == "padlock_x_seconds_bucket{le=\"0.0005\"} 1")
        #expect(buckets.last == "padlock_x_seconds_bucket{le=\"+Inf\"} 1")
    }
}

@Suite("Prometheus programmer errors")
struct PrometheusProgrammerErrorTests {
    @Test("an invalid metric name stops the program")
    func invalidMetricName() async {
        await #expect(processExitsWith: .failure) {
            var text = PrometheusText()
            text.gauge("padlock-up", help: "Dash.", value: 1)
        }
    }

    @Test("an invalid or reserved label name stops the program")
    func invalidLabelName() async {
        await #expect(processExitsWith: .failure) {
            var text = PrometheusText()
            text.gauge("padlock_up", help: "Bad label.", labels: ["0node": "1"], value: 1)
        }
        await #expect(processExitsWith: .failure) {
            var text = PrometheusText()
            text.gauge("padlock_up", help: "Reserved label.", labels: ["__name__": "x"], value: 1)
        }
    }

    @Test("a family declared twice stops the program")
    func familyDeclaredTwice() async {
        await #expect(processExitsWith: .failure) {
            var text = PrometheusText()
            text.gauge("padlock_up", help: "Once.", value: 1)
            text.gauge("padlock_up", help: "Twice.", value: 1)
        }
    }
}
