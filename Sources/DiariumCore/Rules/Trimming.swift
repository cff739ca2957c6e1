extension String {
    /// Without leading and trailing spaces and tabs (what `trimmingCharacters(in: .whitespaces)` removes: tab, the
    /// Unicode space separators and, as Foundation still counts it, U+200B), several times faster on Linux, where
    /// that goes through `CharacterSet`.
    /// Text that has none to trim is returned as it is.
    public func trimmingSpaces() -> String {
        let whole = self[...]
        let bounds = whole.spaceTrimmedBounds()
        if bounds == startIndex..<endIndex { return self }
        return String(Substring(whole.unicodeScalars[bounds]))
    }
}

extension Substring {
    /// As `String.trimmingSpaces()`.
    public func trimmingSpaces() -> String {
        String(Substring(unicodeScalars[spaceTrimmedBounds()]))
    }

    // Concrete, not on StringProtocol: a generic version called from other modules ran unspecialised, appending the
    // result scalar by scalar (a few per cent of an upload's CPU, in the multipart headers and the metadata rules).
    fileprivate func spaceTrimmedBounds() -> Range<String.Index> {
        let isSpace = TextRules.isSpace
        let scalars = unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, isSpace(scalars[start]) { start = scalars.index(after: start) }
        while end > start, isSpace(scalars[scalars.index(before: end)]) { end = scalars.index(before: end) }
        return start..<end
    }
}
