import Foundation

/// Parses the query language:
///
///     words (all must match)   "a phrase"   prefix*   a OR b   -word   NOT word
///     type:decision  series:KS  status:final  direction:incoming  year:2026
///     from:2026-01-01  to:2026-06-30  class:2.4  case:"KS 2026/14"  number:"KS 2026/14-3"
///     sender:andersson  sender:anders*  recipient:"Anna Andersson" (its words in any order)
///
/// Errors name the column (1-based) where the problem is, so a user can find it.
public enum SearchQueryParser {
    public static let filterNames = ["type", "series", "status", "direction", "year", "from", "to", "class", "case",
                                     "number", "sender", "recipient"]
    public static let minimumPrefixLength = 3
    /// The longest query, in Unicode scalars.
    public static let maximumQueryLength = 1000
    /// Words, phrases and prefixes in one query, each costing a position list in ranking and snippets.
    public static let maximumTerms = 32

    /// The items in their first order, each once.
    static func unique<Item: Hashable>(_ items: [Item]) -> [Item] {
        var seen = Set<Item>()
        return items.filter { seen.insert($0).inserted }
    }

    public static func parse(_ text: String) throws(DiariumError) -> SearchQuery {
        // Unicode scalars, as JSON Schema's maxLength (the OpenAPI document's) counts them.
        guard text.unicodeScalars.count <= maximumQueryLength else {
            throw error(0, "the query is longer than \(maximumQueryLength) characters")
        }
        // Tabs and line breaks (a query pasted from a letter) are spaces; other control characters are refused.
        if let scalar = text.unicodeScalars.first(where: { ($0.properties.generalCategory == .control && !["\t", "\n", "\r"].contains($0))
                                                           || $0.value == 0xFFFE || $0.value == 0xFFFF }) {
            throw .invalid("query", "the query contains U+\(String(scalar.value, radix: 16, uppercase: true)), a control character or no character at all")
        }
        let tokens = try tokenize(text.precomposedStringWithCanonicalMapping)   // as the index holds it (NFC)
        var filters: [SearchFilter] = []
        var positives: [TextExpression] = []
        var negatives: [TextExpression] = []
        var i = 0
        while i < tokens.count {
            let token = tokens[i]
            switch token.kind {
            case .filter(let name, let value, let prefix):
                filters.append(try filter(name, value, prefix: prefix, column: token.column))
                i += 1
            case .or:
                if i > 0, case .filter = tokens[i - 1].kind {
                    throw error(token.column, "OR joins words, not filters: a filter takes one value (search once per value, "
                                + "e.g. type:report, then type:letter)")
                }
                throw error(token.column, "OR needs a word on each side")
            case .and:
                // Every word is required already: AND between two terms, as other search tools write it, says just
                // that and is passed over. Elsewhere (alone, at an end, beside OR) it would be read as something else.
                func term(_ index: Int, after: Bool) -> Bool {
                    guard tokens.indices.contains(index) else { return false }
                    switch tokens[index].kind {
                    case .word, .quoted, .filter: return true
                    case .not: return after
                    case .or, .and: return false
                    }
                }
                guard term(i - 1, after: false), term(i + 1, after: true) else {
                    throw error(token.column, "AND needs a word or filter on each side (all words are required anyway, so it may be left out)")
                }
                i += 1
            case .not:
                if i + 1 < tokens.count, case .filter(let name, _, _) = tokens[i + 1].kind {
                    throw error(tokens[i + 1].column, "a filter cannot be negated: NOT \(name): is not supported; filter on the values you want")
                }
                guard i + 1 < tokens.count, let next = textItem(tokens[i + 1]) else {
                    throw error(token.column, "NOT needs a word or phrase after it")
                }
                negatives.append(try next())
                i += 2
            case .word(_, _, negated: true), .quoted(_, _, negated: true):
                negatives.append(try textItem(token, allowNegated: true)!())
                i += 1
            case .word, .quoted:
                var alternatives = [try textItem(token)!()]
                i += 1
                while i < tokens.count, case .or = tokens[i].kind {
                    guard i + 1 < tokens.count, let next = textItem(tokens[i + 1]) else {
                        if i + 1 < tokens.count, case .filter = tokens[i + 1].kind {
                            throw error(tokens[i].column, "OR joins words, not filters: a filter applies to the whole query")
                        }
                        throw error(tokens[i].column, "OR needs a word on each side")
                    }
                    alternatives.append(try next())
                    i += 2
                }
                alternatives = unique(alternatives)
                positives.append(alternatives.count == 1 ? alternatives[0] : .any(alternatives))
            }
        }
        // An empty range is a mistake, refused as the public diarium refuses it, not an empty result.
        for case .from(let from) in filters {
            for case .to(let to) in filters where to < from {
                throw .invalid("query", "to:\(to) is before from:\(from)")
            }
        }
        // A repeated word adds nothing to the match but costs its whole position list again in ranking and snippets.
        positives = unique(positives)
        negatives = unique(negatives)
        // A party filter's words are terms too, each its own FTS5 lookup.
        filters = unique(filters)
        let partyWords = filters.reduce(0) { count, filter in
            switch filter {
            case .sender(let words, _), .recipient(let words, _): count + words.count
            default: count
            }
        }
        let terms = positives.reduce(negatives.count + partyWords) { count, item in
            if case .any(let alternatives) = item { return count + alternatives.count }
            return count + 1
        }
        guard terms <= maximumTerms else {
            throw .invalid("query", "the query has \(terms) words and phrases, more than \(maximumTerms): use fewer, or filters")
        }
        if positives.isEmpty && !negatives.isEmpty {
            throw .invalid("query", "an exclusion (-word or NOT word) needs at least one word to search for")
        }
        if positives.isEmpty && filters.isEmpty {
            let given = text.trimmingSpaces()
            guard given.isEmpty else {
                // Emoji or punctuation alone: not "empty" to whoever typed it, but nothing the index holds.
                let shown = given.count > 20 ? given.prefix(20) + "…" : given
                throw .invalid("query", "the query has no word to search for: words are letters and digits, and '\(shown)' has none")
            }
            throw .invalid("query", "the query is empty: give words to search for or filters such as type:decision")
        }
        let expression: TextExpression? = positives.isEmpty ? nil
            : (positives.count == 1 && negatives.isEmpty ? positives[0] : .all(positives, excluded: negatives))
        return SearchQuery(text: expression, filters: filters)
    }

    // MARK: Tokens

    struct Token {
        enum Kind {
            case word(String, prefix: Bool, negated: Bool)
            case quoted([String], prefix: Bool, negated: Bool)
            /// `prefix`: a `*` ended the value, outside quotes (`sender:anders*`, `sender:"anna anders"*`).
            case filter(String, String, prefix: Bool)
            case or
            case not
            case and
        }
        let kind: Kind
        let column: Int
    }

    static func tokenize(_ text: String) throws(DiariumError) -> [Token] {
        let chars = Array(text)
        var tokens: [Token] = []
        var i = 0
        while i < chars.count {
            if chars[i].isWhitespace { i += 1; continue }
            let column = i + 1
            var negated = false
            if chars[i] == "-", i + 1 < chars.count, !chars[i + 1].isWhitespace {
                negated = true
                i += 1
            }
            if chars[i] == "\"" {
                let (content, end) = try quoted(chars, from: i)
                i = end
                var prefix = false
                if i < chars.count, chars[i] == "*" { prefix = true; i += 1 }
                let words = try wordsOf(content, column: column)
                if prefix { try checkPrefix(words.last ?? "", column: column) }
                tokens.append(Token(kind: .quoted(words, prefix: prefix, negated: negated), column: column))
                continue
            }
            var word = ""
            while i < chars.count, !chars[i].isWhitespace, chars[i] != "\"" {
                word.append(chars[i])
                i += 1
            }
            if let colon = word.firstIndex(of: ":"), negated, filterNames.contains(word[..<colon].lowercased()) {
                // Not a word to exclude: silently searching for "type letter" would answer another question.
                throw error(column, "a filter cannot be negated: -\(word[..<colon].lowercased()): is not supported; filter on the values you want")
            }
            // A colon after a name of letters makes a filter; after digits or one letter it is part of what is
            // searched: "SFS 2009:400", "10:30", "S:t Eriks" (the index splits words there too).
            if let colon = word.firstIndex(of: ":"), !negated, Self.looksLikeFilter(word[..<colon]) {
                let name = String(word[..<colon]).lowercased()
                var value = String(word[word.index(after: colon)...])
                var prefix = false
                if value.isEmpty, i < chars.count, chars[i] == "\"" {
                    let (content, end) = try quoted(chars, from: i)
                    value = content
                    i = end
                    // sender:"Anna Anders"* : a prefix, like a quoted phrase's; a * inside the quotes is punctuation.
                    if i < chars.count, chars[i] == "*" { prefix = true; i += 1 }
                } else if value.hasSuffix("*") {
                    prefix = true
                    value.removeLast()
                }
                guard filterNames.contains(name) else {
                    throw error(column, "unknown filter '\(name):' (filters are \(filterNames.map { $0 + ":" }.joined(separator: " "))); "
                                + "to search for the words, quote them: \"\(word)\"")
                }
                guard !value.trimmingSpaces().isEmpty else {
                    throw error(column, "the filter \(name): needs a value")
                }
                if prefix, !["sender", "recipient"].contains(name) {
                    throw error(column, "the filter \(name): takes no prefix (*); only sender: and recipient: do")
                }
                tokens.append(Token(kind: .filter(name, value, prefix: prefix), column: column))
                continue
            }
            if !negated && word == "OR" { tokens.append(Token(kind: .or, column: column)); continue }
            if !negated && word == "NOT" { tokens.append(Token(kind: .not, column: column)); continue }
            if !negated && word == "AND" { tokens.append(Token(kind: .and, column: column)); continue }
            // What other query languages mean by these, this one does not do: said, rather than searched for as
            // something else (brackets split words, so "(a b) OR c" would quietly become "a (b OR c)").
            if word.contains("(") || word.contains(")") {
                throw error(column, "brackets do not group words here: all words are required, and OR joins the two words beside it "
                            + "(a OR b c means a or b, and c); to search for the text, quote it")
            }
            if word.hasPrefix("*") && word.count > 1 {
                throw error(column, "a * goes after the beginning of a word (hamn*): words are not searched for by how they end")
            }
            var prefix = false
            if word.hasSuffix("*") {
                prefix = true
                word.removeLast()
                if word.hasSuffix("*") { throw error(column, "one * ends a prefix (hamn*), not several") }
            }
            let words = try wordsOf(word, column: column)
            if words.isEmpty {
                if prefix { throw error(column, "a prefix needs at least \(minimumPrefixLength) letters before *") }
                continue   // punctuation only: nothing to search for
            }
            if prefix { try checkPrefix(words.last!, column: column) }
            tokens.append(Token(kind: words.count == 1 ? .word(words[0], prefix: prefix, negated: negated)
                                                       : .quoted(words, prefix: prefix, negated: negated), column: column))
        }
        return tokens
    }

    /// A filter name is two or more letters: an unknown one is then a typo worth an error ("typ:beslut"), where
    /// digits or a single letter before the colon are text to search.
    static func looksLikeFilter(_ name: Substring) -> Bool {
        name.count >= 2 && name.allSatisfy(\.isLetter)
    }

    static func quoted(_ chars: [Character], from start: Int) throws(DiariumError) -> (String, Int) {
        var i = start + 1
        var content = ""
        while i < chars.count, chars[i] != "\"" {
            content.append(chars[i])
            i += 1
        }
        guard i < chars.count else { throw error(start + 1, "the quote that starts here is never closed") }
        return (content, i + 1)
    }

    /// Splits text into words the way the index does: runs of letters and digits (U+E000, which the index keeps in a
    /// word, separates them here: it begins the index's scope tokens).
    public static func wordsOf(_ text: String, column: Int = 0) throws(DiariumError) -> [String] {
        var words: [String] = []
        var current = ""
        for scalar in text.unicodeScalars {
            if isInvisibleInWord(scalar) { continue }
            // U+E000 begins the index's scope tokens (a document's series, SearchIndex.scopeToken): a query word
            // must never be one, so it separates words here.
            if isWordScalar(scalar), scalar != "\u{E000}" {
                current.unicodeScalars.append(scalar)
            } else if !current.isEmpty {
                words.append(folded(current))
                current = ""
            }
        }
        if !current.isEmpty { words.append(folded(current)) }
        return words
    }

    /// A word in lower case as the index's tokenizer makes it (the terms its vocabulary counts are these): each scalar
    /// by its own lower case when that is one scalar of Unicode 6.1, else unchanged. unicode61 folds by the tables of
    /// Unicode 6.1, so a pair made since (Cherokee's small letters, Adlam, Osage) stays as written in the index. The
    /// Turkish İ and ı are i (Diarium's tokenizer, CDiariumSearch tokenizer.c): "İsmail" and "ismail" are one word, as are
    /// "Yılmaz" and "YILMAZ", and "i̇smail" (an i and a combining dot, which `lowercased()` makes of "İsmail").
    public static func folded(_ word: String) -> String {
        var result = String.UnicodeScalarView()
        var previous: Unicode.Scalar?
        for scalar in word.unicodeScalars {
            defer { previous = scalar }
            if scalar == "\u{130}" || scalar == "\u{131}" {
                result.append("i")
                continue
            }
            // The dot a lower-casing of İ that knows no Turkish leaves after its i (as tokenizer.c: after a written i).
            if scalar == "\u{307}", previous == "i" { continue }
            let lower = scalar.properties.lowercaseMapping.unicodeScalars
            if lower.count == 1, let only = lower.first, let age = only.properties.age, age.major < 6 || age.major == 6 && age.minor <= 1 {
                result.append(only)
            } else {
                result.append(scalar)
            }
        }
        return String(result)
    }

    /// What the index's tokenizer (FTS5 unicode61) keeps in a word: letters, numbers, private use, and marks (the
    /// index keeps diacritics). Everything else, symbols such as Ⓐ too, separates words.
    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber, .privateUse:
            true
        default:
            isMark(scalar)
        }
    }

    static func isMark(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: true
        default: false
        }
    }

    /// Soft hyphen, joiners, word joiner, BOM: dropped from indexed text (`TextAccumulator`), so dropped here, or
    /// "klimat\u{AD}anpassning" would search two words. A zero-width space separates words there, and here.
    static func isInvisibleInWord(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0xAD, 0x200C, 0x200D, 0x2060, 0xFEFF: true
        default: false
        }
    }

    /// Counts what the index searches for: scalars after the word's last mark, since unicode61 splits at most marks
    /// (it keeps only the diacritics it knows), so "\u{305}x\u{305}y*" is the prefix "y*" there.
    static func checkPrefix(_ word: String, column: Int) throws(DiariumError) {
        let searched = word.unicodeScalars.reversed().prefix { !isMark($0) }.count
        guard searched >= minimumPrefixLength else {
            throw error(column, "the prefix '\(word)*' is too short: give at least \(minimumPrefixLength) letters before *")
        }
    }

    /// The expression of a word or phrase token; nil for other tokens (and for negated ones unless allowed).
    static func textItem(_ token: Token, allowNegated: Bool = false) -> (() throws(DiariumError) -> TextExpression)? {
        switch token.kind {
        case .word(let word, let prefix, let negated) where !negated || allowNegated:
            return { prefix ? .prefix([word]) : .phrase([word]) }
        case .quoted(let words, let prefix, let negated) where !negated || allowNegated:
            return { () throws(DiariumError) in
                guard !words.isEmpty else { throw error(token.column, "the phrase is empty") }
                return prefix ? .prefix(words) : .phrase(words)
            }
        default:
            return nil
        }
    }

    // MARK: Filters

    static func filter(_ name: String, _ value: String, prefix: Bool = false, column: Int) throws(DiariumError) -> SearchFilter {
        func choice<E: CaseIterable & RawRepresentable>(_: E.Type) throws(DiariumError) -> E where E.RawValue == String {
            // The Swedish word too (type:beslut), as the public pages label them.
            guard let value = E.typed(value) else {
                throw error(column, "unknown \(name) '\(value)' (use one of \(E.choices))")
            }
            return value
        }
        do throws(DiariumError) {
            switch name {
            case "type": return .type(try choice(RecordType.self))
            case "status": return .status(try choice(DocumentStatus.self))
            case "direction": return .direction(try choice(Direction.self))
            case "series": return .series(try SeriesCode(parsing: value.uppercased(), field: "series"))
            case "year":
                guard let year = Int(value), (1000...9999).contains(year) else { throw error(column, "year:\(value) is not a year such as 2026") }
                return .year(year)
            case "from": return .from(try CalendarDate(parsing: value, field: "from"))
            case "to": return .to(try CalendarDate(parsing: value, field: "to"))
            case "class":
                guard let code = try RecordRules.classification(value) else { throw error(column, "class: needs a code such as 2.4") }
                return .classification(code)
            // Series codes are upper case, as `series:` takes them whichever way they are typed.
            case "case": return .caseNumber(try CaseNumber(parsing: value.uppercased(), field: "case"))
            case "number": return .number(try DocumentNumber(parsing: value.uppercased(), field: "number"))
            case "sender", "recipient":
                let words = try wordsOf(value)
                guard !words.isEmpty else { throw error(column, "\(name): needs a name to search for") }
                if prefix { try checkPrefix(words.last!, column: column) }
                return name == "sender" ? .sender(words, prefix: prefix) : .recipient(words, prefix: prefix)
            default:
                throw error(column, "unknown filter '\(name):'")
            }
        } catch {
            // Point at the filter in the query, keeping the specific reason.
            if error.message.hasPrefix("column ") { throw error }
            throw DiariumError(.invalidField, "column \(column): \(error.message)", field: "query")
        }
    }

    static func error(_ column: Int, _ message: String) -> DiariumError {
        DiariumError(.invalidField, column > 0 ? "column \(column): \(message)" : message, field: "query")
    }
}
