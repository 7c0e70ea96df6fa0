import Storage

extension SimulatedFileSystem {
    /// Loses power: every file keeps its durable bytes plus a random prefix of its pending writes, the last
    /// of which may be torn at a sector boundary; the directory keeps a random prefix of its pending
    /// changes. Open files are forgotten. Returns a sentence describing what survived, for test messages.
    @discardableResult
    func crash(using generator: inout some RandomNumberGenerator) -> String {
        var notes: [String] = []
        // Sorted, so the generator is consulted in the same order on every run (dictionary order is not).
        let files = names.merging(durableNames, uniquingKeysWith: { first, _ in first }).sorted { $0.key < $1.key }
        for (name, inode) in files {
            guard !inode.pending.isEmpty else { continue }
            let kept = Int.random(in: 0...inode.pending.count, using: &generator)
            var bytes = inode.durable
            for (position, change) in inode.pending.prefix(kept).enumerated() {
                if position == kept - 1, case .write(let offset, let data) = change, Bool.random(using: &generator) {
                    let torn = Self.tear(offset: offset, data, using: &generator)
                    Self.apply(.write(offset: offset, bytes: torn), to: &bytes)
                    notes.append(
                        "\(name): kept \(kept - 1) of \(inode.pending.count) writes, tore one to \(torn.count) bytes")
                } else {
                    Self.apply(change, to: &bytes)
                }
            }
            inode.durable = bytes
            inode.current = bytes
            inode.pending.removeAll()
        }
        recoverDirectory(using: &generator)
        failNextWrite = nil
        failNextSync = nil
        crashAfterOperations = nil
        return notes.joined(separator: "; ")
    }

    /// The part of a write at `offset` that ends at a sector boundary inside it (possibly nothing).
    private static func tear(
        offset: Int, _ data: [UInt8], using generator: inout some RandomNumberGenerator
    )
        -> [UInt8]
    {
        let end = offset + data.count
        let firstBoundary = roundUp(offset + 1, to: WALFormat.sectorSize)
        guard firstBoundary < end else { return [] }
        let boundaries = Array(stride(from: firstBoundary, to: end, by: WALFormat.sectorSize))
        let cut = boundaries.randomElement(using: &generator)! - offset
        return Array(data[..<cut])
    }

    /// Flips one bit of the durable (and current) content of `name`.
    func flipBit(in name: String, at offset: Int, bit: Int) {
        guard let inode = names[name], offset < inode.durable.count else { return }
        inode.durable[offset] ^= UInt8(1) << UInt8(bit & 7)
        inode.current = inode.durable
    }

    /// The durable content of `name`, or nil when there is no such file.
    func durableContent(of name: String) -> [UInt8]? { names[name]?.durable }
}

extension SimulatedFileSystem {
    /// Replays a random prefix of the unsynced directory changes over the durable names.
    fileprivate func recoverDirectory(using generator: inout some RandomNumberGenerator) {
        let kept = Int.random(in: 0...pendingDirectoryCount, using: &generator)
        var result = durableNames
        for change in pendingDirectoryChanges.prefix(kept) {
            switch change {
            case .link(let name, let inode): result[name] = inode
            case .rename(let from, let to):
                if let inode = result.removeValue(forKey: from) { result[to] = inode }
            case .unlink(let name): result[name] = nil
            }
        }
        resetNames(to: result)
    }
}
