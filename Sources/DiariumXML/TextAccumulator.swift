/// Builds text for the search index: runs of spaces and tabs become one space, runs of line breaks one newline,
/// no leading or trailing whitespace, control characters count as spaces. Stops at `maxBytes` UTF-8 bytes, always at
/// a character boundary, and then ignores further input (`isTruncated`).
public struct TextAccumulator: Sendable {
    public let maxBytes: Int
    public private(set) var text = ""
    /// UTF-8 length of `text`.
    public private(set) var byteCount = 0
    /// Some input was dropped because it did not fit in `maxBytes`.
    public private(set) var isTruncated = false

    private enum Separator: Int { case none, space, newline }
    private var pending = Separator.none

    public init(maxBytes: Int = .max) {
        self.maxBytes = max(0, maxBytes)
    }

    public mutating func append(_ string: some StringProtocol) {
        guard !isTruncated else { return }
        for character in string {
            if character.isNewline {
                pending = .newline
            } else if character.isWhitespace || character.unicodeScalars.first!.properties.generalCategory == .control {
                if pending == .none { pending = .space }
            } else {
                emit(character)
                if isTruncated { return }
            }
        }
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

    private mutating func emit(_ character: Character) {
        // Separators are only written in front of text, which trims both ends for free.
        let separator: String
        switch pending {
        case .none: separator = ""
        case .space: separator = byteCount == 0 ? "" : " "
        case .newline: separator = byteCount == 0 ? "" : "\n"
        }
        let needed = separator.utf8.count + character.utf8.count
        guard byteCount + needed <= maxBytes else {
            isTruncated = true
            return
        }
        text += separator
        text.append(character)
        byteCount += needed
        pending = .none
    }
}
