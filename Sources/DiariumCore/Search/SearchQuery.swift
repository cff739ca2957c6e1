/// A parsed search: free-text expression and metadata filters. Built by `SearchQueryParser` from the query
/// language documented in `diarium search --help`.
public struct SearchQuery: Hashable, Sendable {
    public var text: TextExpression?
    public var filters: [SearchFilter]

    public init(text: TextExpression?, filters: [SearchFilter]) {
        self.text = text
        self.filters = filters
    }
}

/// Free text. Words are matched whole and case-insensitively; å, ä and ö are letters of their own.
public indirect enum TextExpression: Hashable, Sendable {
    /// One or more consecutive words (a single word is a one-word phrase).
    case phrase([String])
    /// Words whose last one is a prefix: `klimat*`, `"handlings pla"*`.
    case prefix([String])
    /// All of these; `excluded` must not match.
    case all([TextExpression], excluded: [TextExpression])
    /// Any of these.
    case any([TextExpression])
}

public enum SearchFilter: Hashable, Sendable {
    case type(RecordType)
    case series(SeriesCode)
    case status(DocumentStatus)
    case direction(Direction)
    /// Year of registration (Swedish time).
    case year(Int)
    /// Document date (or registration date when the document has none) on or after.
    case from(CalendarDate)
    /// … on or before.
    case to(CalendarDate)
    /// Classification code, including its sub-classes: `class:2.4` matches 2.4 and 2.4.1.
    case classification(String)
    case caseNumber(CaseNumber)
    case number(DocumentNumber)
    /// Words in the sender, in any order (`sender:"Anna Andersson"` finds "Andersson, Anna"); with `prefix` the
    /// last one is a prefix (`sender:anders*`).
    case sender([String], prefix: Bool = false)
    /// Words in the recipient, as for the sender.
    case recipient([String], prefix: Bool = false)
}
