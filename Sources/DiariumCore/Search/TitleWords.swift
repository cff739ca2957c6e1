/// Words a case's title holds, in any order, the last perhaps a prefix (`storgat*`): what `case list --title` and
/// `GET /api/v1/cases?title=` look for. Split into words as the search index splits text (`SearchQueryParser.wordsOf`),
/// so a case is found by the words its documents are found by, in any case and in NFC.
public struct TitleWords: Hashable, Sendable {
    public let words: [String]
    /// The last word is a prefix (at least `SearchQueryParser.minimumPrefixLength` letters).
    public let prefix: Bool

    public init(parsing text: String, field: String = "title") throws(DiariumError) {
        var line = try TextRules.line(text, field: field)
        let prefix = line.hasSuffix("*")
        if prefix { line.removeLast() }
        let words = try SearchQueryParser.wordsOf(line)
        guard !words.isEmpty else {
            throw .invalid(field, "\(field): give words of the case's title (letters or digits), not '\(text)'")
        }
        guard words.count <= SearchQueryParser.maximumTerms else {
            throw .invalid(field, "\(field): at most \(SearchQueryParser.maximumTerms) words, not \(words.count)")
        }
        // As in search: what the index compares is the scalars after the word's last mark.
        if prefix, words.last!.unicodeScalars.reversed().prefix(while: { !SearchQueryParser.isMark($0) }).count < SearchQueryParser.minimumPrefixLength {
            throw .invalid(field, "\(field): the prefix '\(words.last!)*' is too short: give at least \(SearchQueryParser.minimumPrefixLength) letters before *")
        }
        self.words = words
        self.prefix = prefix
    }
}
