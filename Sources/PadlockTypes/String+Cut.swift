extension String {
    /// The string cut to at most `maxByteCount` UTF-8 bytes at a character boundary; when cut, `marker` (such
    /// as `…`) ends it within the same bound. The one way every layer shortens text for a bounded field.
    package func cut(toUTF8Count maxByteCount: Int, marker: String = "") -> String {
        guard utf8.count > maxByteCount else { return self }
        var kept = ""
        for character in self {
            guard kept.utf8.count + character.utf8.count + marker.utf8.count <= maxByteCount else { break }
            kept.append(character)
        }
        return kept + marker
    }
}
