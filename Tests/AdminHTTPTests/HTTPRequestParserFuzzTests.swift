import AdminHTTP
import Testing

/// Well-formed requests to mutate, covering every part of the grammar.
private let seeds: [String] = [
    "GET /metrics HTTP/1.1\r\nHost: padlock\r\n\r\n",
    "HEAD /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "POST /x?y=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello",
    "GET http://padlock:9090/metrics HTTP/1.1\nHost: padlock\n\n",
    "\r\nGET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\nX-Many: a, b,\t c\r\n\r\n",
    "PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
]

/// Small pieces that tend to hit the parser's edges when spliced in.
private let fragments: [[UInt8]] = [
    "\r\n", "\n", "\r", " ", ":", "\t", "HTTP/1.1", "HTTP/2.0", "Content-Length: ", "99999999999999999999",
    "Host: b\r\n", "Transfer-Encoding: gzip\r\n", "\r\n\r\n", "\u{0}", "\u{7F}", "é",
].map { Array($0.utf8) }

/// One random input: pure noise, or pipelined seeds mangled by a few mutations.
private func makeInput(using generator: inout SeededGenerator) -> [UInt8] {
    if Int.random(in: 0..<10, using: &generator) == 0 {
        let count = Int.random(in: 0...512, using: &generator)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }
    var bytes: [UInt8] = []
    for _ in 0..<Int.random(in: 1...3, using: &generator) {
        bytes += Array(seeds.randomElement(using: &generator)!.utf8)
    }
    for _ in 0..<Int.random(in: 0...4, using: &generator) {
        mutate(&bytes, using: &generator)
    }
    return bytes
}

private func mutate(_ bytes: inout [UInt8], using generator: inout SeededGenerator) {
    let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &generator)
    switch Int.random(in: 0..<6, using: &generator) {
    case 0 where !bytes.isEmpty:
        bytes[position] = UInt8.random(in: 0...255, using: &generator)
    case 1 where !bytes.isEmpty:
        bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...16, using: &generator)))
    case 2:
        bytes.insert(contentsOf: fragments.randomElement(using: &generator)!, at: position)
    case 3:
        // Grow a part far past a limit.
        let byte = [UInt8(ascii: "a"), UInt8(ascii: " "), 0x0A].randomElement(using: &generator)!
        let count = Int.random(in: 1...20_000, using: &generator)
        bytes.insert(contentsOf: [UInt8](repeating: byte, count: count), at: position)
    case 4:
        bytes = Array(bytes.prefix(position))
    default:
        if !bytes.isEmpty { bytes[position] ^= 1 << UInt8.random(in: 0...7, using: &generator) }
    }
}

@Suite("HTTP request parser fuzzing", .timeLimit(.minutes(10)))
struct HTTPRequestParserFuzzTests {
    /// PADLOCK_LONG=1 is not consulted: 20,000 inputs run in seconds, and each failure names its seed.
    @Test("20,000 random and mutated requests never trap, stay bounded, and parse the same in any chunking")
    func fuzzParser() {
        let limits = HTTPRequestParser.Limits()
        let headBytesMax = limits.requestLineBytesMax + limits.headerBytesMax + 64
        var refusals: [HTTPParseError.Code: Int] = [:]
        var requestCount = 0
        for seed in 1...20_000 {
            var generator = SeededGenerator(seed: UInt64(seed))
            let input = makeInput(using: &generator)
            let whole = parse(input, limits: limits)
            let chunkBytes = Int.random(in: 1...64, using: &generator)
            let chunked = parse(input, limits: limits, chunkBytes: chunkBytes)
            guard whole == chunked else {
                let (wholeError, chunkedError) = (String(describing: whole.error), String(describing: chunked.error))
                Issue.record(
                    """
                    seed \(seed): whole input gave \(whole.requests.count) requests, \(wholeError); \
                    chunks of \(chunkBytes) gave \(chunked.requests.count), \(chunkedError)
                    """)
                continue
            }
            // A parser that is not refusing holds at most one request's head and body, plus nothing else:
            // everything before was taken as requests.
            if whole.error == nil && whole.bufferedBytes > headBytesMax + limits.bodyBytesMax {
                Issue.record("seed \(seed): \(whole.bufferedBytes) bytes buffered without a refusal")
            }
            for request in whole.requests where request.body.count > limits.bodyBytesMax {
                Issue.record("seed \(seed): a body of \(request.body.count) bytes")
            }
            if let error = whole.error { refusals[error, default: 0] += 1 }
            requestCount += whole.requests.count
        }
        // The inputs reach deep into the grammar: many requests parse, and most kinds of refusal occur.
        #expect(requestCount > 5_000)
        #expect(refusals.count >= 9, "refusals seen: \(refusals)")
    }
}
