import Foundation

/// Builds text for the search index: runs of spaces and tabs become one space, runs of line breaks one newline,
/// no leading or trailing whitespace, control characters count as spaces. Stops at `maxBytes` UTF-8 bytes, always at
/// a character boundary, and then ignores further input (`isTruncated`).
public struct TextAccumulator: Sendable {
    public let maxBytes: Int
    /// UTF-8 of the text so far. Kept as bytes and classified per Unicode scalar: walking `Character`s costs a
    /// grapheme-breaking pass per character, which dominated ingest time (measured: a quarter of `register`).
    private var bytes: [UInt8] = []
    /// Some input was dropped because it did not fit in `maxBytes`.
    public private(set) var isTruncated = false

    private enum Separator: Int { case none, space, newline }
    private var pending = Separator.none

    public init(maxBytes: Int = .max) {
        self.maxBytes = max(0, maxBytes)
    }

    /// A combining mark was appended: `text` is brought to NFC (the index compares bytes, so a decomposed "å" would
    /// never match the "å" in a query). Most text has none, and skips the normalisation.
    private var hasCombiningMarks = false

    /// The text, in NFC. Mutating because NFC can lengthen it past `maxBytes`, which cuts it and sets `isTruncated`:
    /// read `isTruncated` after `text`.
    public var text: String {
        mutating get {
            normalize()
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// Brings `bytes` to NFC. Some characters grow under NFC (U+FB2C, 3 bytes, becomes 6), so the result is cut to
    /// `maxBytes` again, at a character boundary.
    private mutating func normalize() {
        guard hasCombiningMarks else { return }
        hasCombiningMarks = false
        let normalized = String(decoding: bytes, as: UTF8.self).precomposedStringWithCanonicalMapping
        guard normalized.utf8.count > maxBytes else {
            bytes = Array(normalized.utf8)
            return
        }
        isTruncated = true
        // Cut at the byte limit, then drop the last character, which the cut may have split (a split scalar decodes
        // as U+FFFD): one pass, whatever the text's length.
        var cut = String(decoding: normalized.utf8.prefix(maxBytes), as: UTF8.self)
        if !cut.isEmpty { cut.removeLast() }
        bytes = Array(cut.utf8)
        while let byte = bytes.last, byte == 0x20 || byte == 0x0A { bytes.removeLast() }
    }

    /// UTF-8 length of the text so far (before NFC, which can change it).
    public var byteCount: Int { bytes.count }

    public mutating func append(_ string: some StringProtocol) {
        guard !isTruncated else { return }
        // Strings and substrings of native strings are contiguous UTF-8 already; anything else is copied once.
        if string.utf8.withContiguousStorageIfAvailable({ append(utf8: $0) }) != nil { return }
        var copy = String(string)
        copy.withUTF8 { append(utf8: $0) }
    }

    /// Runs of printable ASCII (most of any Swedish text) are copied as blocks; everything else is classified per
    /// scalar. The input is a Swift string's UTF-8, so it is valid.
    private mutating func append(utf8: UnsafeBufferPointer<UInt8>) {
        var i = 0
        while i < utf8.count {
            let byte = utf8[i]
            if byte > 0x20 && byte < 0x7F {
                var end = i + 1
                while end < utf8.count, utf8[end] > 0x20, utf8[end] < 0x7F { end += 1 }
                emit(ascii: UnsafeBufferPointer(rebasing: utf8[i..<end]))
                if isTruncated { return }
                i = end
                continue
            }
            let length = byte < 0x80 ? 1 : byte < 0xE0 ? 2 : byte < 0xF0 ? 3 : 4
            var value = length == 1 ? UInt32(byte) : UInt32(byte) & (0x7F >> length)
            for k in 1..<length { value = value << 6 | UInt32(utf8[i + k] & 0x3F) }
            append(scalar: Unicode.Scalar(value)!)
            if isTruncated { return }
            i += length
        }
    }

    /// One scalar by the rules; internal so tests can hold the fast path to it.
    mutating func append(scalar: Unicode.Scalar) {
        let value = scalar.value
        if value < 0x80 {
            switch value {
            case 0x0A...0x0D:
                pending = .newline
                return
            case 0x00...0x20, 0x7F:
                if pending == .none { pending = .space }
                return
            default:
                break
            }
        } else if value == 0x85 || value == 0x2028 || value == 0x2029 {
            pending = .newline
            return
        } else if value == 0xAD || value == 0x200C || value == 0x200D || value == 0x2060 || value == 0xFEFF {
            // Invisible inside a word (soft hyphen, joiners, word joiner, BOM): dropped, or the index would split the word.
            return
        } else if value == 0x200B {
            if pending == .none { pending = .space }   // a zero-width space separates words
            return
        } else if scalar.properties.isWhitespace || scalar.properties.generalCategory == .control {
            if pending == .none { pending = .space }
            return
        }
        if value >= 0x300, scalar.properties.canonicalCombiningClass != .notReordered { hasCombiningMarks = true }
        emit(scalar)
    }

    /// Printable ASCII: no character of it joins its neighbour, so a run that does not fit is cut anywhere.
    private mutating func emit(ascii run: UnsafeBufferPointer<UInt8>) {
        let separator = separator
        guard bytes.count + (separator == nil ? 0 : 1) + run.count <= maxBytes else {
            // The cut, including what it may take from a character before the run: one scalar at a time.
            for byte in run {
                emit(Unicode.Scalar(byte))
                if isTruncated { return }
            }
            return
        }
        if let separator { bytes.append(separator) }
        bytes.append(contentsOf: run)
        pending = .none
    }

    /// A word boundary (a table cell, a tab element): a space unless a line break is already pending.
    public mutating func appendSpace() {
        if pending == .none { pending = .space }
    }

    /// A block boundary (a paragraph, a slide).
    public mutating func appendLineBreak() {
        pending = .newline
    }

    /// Records that input was dropped elsewhere (a part cut short before it was appended here).
    public mutating func markTruncated() {
        isTruncated = true
    }

    /// The separator due in front of the next text. Separators are only written in front of text, which trims both
    /// ends for free.
    private var separator: UInt8? {
        switch pending {
        case .none: nil
        case .space: bytes.isEmpty ? nil : 0x20
        case .newline: bytes.isEmpty ? nil : 0x0A
        }
    }

    private mutating func emit(_ scalar: Unicode.Scalar) {
        let separator = separator
        let width = UTF8.width(scalar)
        guard bytes.count + (separator == nil ? 0 : 1) + width <= maxBytes else {
            isTruncated = true
            dropSplitCharacter(before: scalar)
            return
        }
        if let separator { bytes.append(separator) }
        UTF8.encode(scalar) { bytes.append($0) }
        pending = .none
    }

    /// Cutting between two scalars of one user-perceived character (a flag, an accent, an emoji sequence) would
    /// leave half of it: remove the half that fitted.
    private mutating func dropSplitCharacter(before next: Unicode.Scalar) {
        guard pending == .none, !bytes.isEmpty else { return }
        let current = String(decoding: bytes, as: UTF8.self)   // as stored: the bytes to remove are these
        guard let last = current.last else { return }
        var joined = String(last)
        joined.unicodeScalars.append(next)
        if joined.count == 1 {
            bytes.removeLast(String(last).utf8.count)
            // What remains may end in separators the next text would have trimmed.
            while let byte = bytes.last, byte == 0x20 || byte == 0x0A { bytes.removeLast() }
        }
    }
}
