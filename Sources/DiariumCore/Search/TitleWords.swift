/// Words a case's title holds, in any order, any of them perhaps a prefix (`bygglov storgat*`): what `case list
/// --title` and `GET /api/v1/cases?title=` look for. Split into words as the search index splits text
/// (`SearchQueryParser.wordsOf`), so a case is found by the words its documents are found by, in any case and in NFC.
public struct TitleWords: Hashable, Sendable {
    public struct Word: Hashable, Sendable {
        public let text: String
        /// A prefix of at least `SearchQueryParser.minimumPrefixLength` letters.
        public let prefix: Bool
    }

    public let words: [Word]

    public init(parsing text: String, field: String = "title") throws(DiariumError) {
        let line = try TextRules.line(text, field: field)
        var words: [Word] = []
        for piece in line.split(whereSeparator: { $0.isWhitespace }) {
            // Every word must be in the title: what search's operators would mean here is said, not taken as words.
            if piece == "AND" { continue }
            // A dash before a word is search's "leave out" (a dash before nothing, or between words, is punctuation).
            let leavesOut = piece.first == "-" ? try !SearchQueryParser.wordsOf(String(piece.dropFirst().filter { $0 != "*" })).isEmpty : false
            if piece == "OR" || piece == "NOT" || leavesOut {
                throw .invalid(field, "\(field): '\(piece)': every word given must be in the title; to leave words out or give "
                                      + "alternatives, search the documents (diarium search, GET /api/v1/search)")
            }
            // A `*` ends a prefix, as in search; anywhere else it would silently split a word in two.
            let prefix = piece.hasSuffix("*")
            let body = prefix ? piece.dropLast() : piece[...]
            if body.contains("*") {
                throw .invalid(field, "\(field): '\(piece)': a * may only end a word, for a prefix (storgat*)")
            }
            let split = try SearchQueryParser.wordsOf(String(body))
            guard let last = split.last else {
                if prefix { throw .invalid(field, "\(field): '\(piece)': give at least \(SearchQueryParser.minimumPrefixLength) letters before *") }
                continue   // punctuation between words ("Bygglov – Storgatan")
            }
            // As in search: what the index compares is the scalars after the word's last mark.
            if prefix, last.unicodeScalars.reversed().prefix(while: { !SearchQueryParser.isMark($0) }).count < SearchQueryParser.minimumPrefixLength {
                throw .invalid(field, "\(field): the prefix '\(last)*' is too short: give at least \(SearchQueryParser.minimumPrefixLength) letters before *")
            }
            // A word given twice counts once, as in search.
            for word in split.dropLast().map({ Word(text: $0, prefix: false) }) + [Word(text: last, prefix: prefix)] where !words.contains(word) {
                words.append(word)
            }
        }
        guard !words.isEmpty else {
            throw .invalid(field, "\(field): give the words to look for (letters or digits; AND and punctuation are none), not '\(text)'")
        }
        guard words.count <= SearchQueryParser.maximumTerms else {
            throw .invalid(field, "\(field): at most \(SearchQueryParser.maximumTerms) words, not \(words.count)")
        }
        self.words = words
    }
}
