import Storage

extension FaultyLogStore {
    /// A bit flipped on the simulated disk.
    package struct FlippedBit: Hashable, Sendable, CustomStringConvertible {
        /// The file's name.
        package var file: String
        /// The byte offset in the file.
        package var offset: Int
        /// Which bit of the byte (0 is the lowest).
        package var bit: Int

        /// A sentence for test messages.
        package var description: String { "bit \(bit) of byte \(offset) in \(file)" }
    }

    /// Flips one random bit in the written part of a random log segment or snapshot file (never in the
    /// zero-filled, unwritten end of a segment). Returns nil when nothing has been written yet.
    @discardableResult
    package func flipRandomBit(segmentsOnly: Bool = false, in fileFilter: ((String) -> Bool)? = nil) -> FlippedBit? {
        let candidates = disk.names.keys.sorted().filter { name in
            let isSegment = WALFormat.segmentSequence(name) != nil
            let isSnapshot = SnapshotFormat.index(ofName: name) != nil
            return (isSegment || (isSnapshot && !segmentsOnly)) && (fileFilter?(name) ?? true)
        }
        guard let file = candidates.randomElement(using: &generator), let bytes = disk.durableContent(of: file) else {
            return nil
        }
        let written = writtenLength(bytes)
        guard written > 0 else { return nil }
        let flip = FlippedBit(
            file: file, offset: Int.random(in: 0..<written, using: &generator),
            bit: Int.random(in: 0..<8, using: &generator))
        disk.flipBit(in: file, at: flip.offset, bit: flip.bit)
        return flip
    }

    /// Flips bit `bit` of byte `offset` in `file`.
    package func flipBit(in file: String, at offset: Int, bit: Int) {
        disk.flipBit(in: file, at: offset, bit: bit)
    }

    /// The names of the files on the simulated disk.
    package var fileNames: [String] { disk.names.keys.sorted() }

    private func writtenLength(_ bytes: [UInt8]) -> Int {
        var last = bytes.count - 1
        while last >= 0 && bytes[last] == 0 { last -= 1 }
        return last + 1
    }
}
