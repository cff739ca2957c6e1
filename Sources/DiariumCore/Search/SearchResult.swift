import Foundation

/// Whose view a search runs in. Whoever has no access to a document's restricted parts (the public, and users
/// without clearance for its department) never matches, sees or gets snippets from what a restriction hides.
public enum SearchView: Hashable, Sendable {
    /// Everything, restricted parts included (an archivist, or the operator at the CLI).
    case full
    /// What the public diarium shows: restricted parts are neither searched nor shown.
    case `public`
    /// Restricted parts are searched and shown in these series only (a clerk's departments'); in every other
    /// series, what the public sees. Empty, it is the public view (`cleared(in:)` makes it so).
    case cleared(Set<SeriesCode>)

    /// The view of a reader cleared for `series`: the public view when that is none.
    public static func cleared(in series: Set<SeriesCode>) -> SearchView {
        series.isEmpty ? .public : .cleared(series)
    }

    /// Whether this view matches and shows restricted parts of documents in `series`.
    public func clears(_ series: SeriesCode) -> Bool {
        switch self {
        case .full: true
        case .public: false
        case .cleared(let cleared): cleared.contains(series)
        }
    }

    /// Stable text naming the view, for cursors: a cursor from one view does not page another.
    public var fingerprint: String {
        switch self {
        case .full: "full"
        case .public: "public"
        case .cleared(let series) where series.isEmpty: "public"   // searched as the public view
        case .cleared(let series): "cleared:" + series.map(\.rawValue).sorted().joined(separator: ",")
        }
    }
}

public struct SearchOptions: Sendable {
    public var limit: Int
    public var cursor: String?
    public var facets: Bool
    public var snippets: Bool
    public var highlight: (open: String, close: String)

    public init(limit: Int = 20, cursor: String? = nil, facets: Bool = true, snippets: Bool = true,
                highlight: (open: String, close: String) = ("[", "]")) {
        self.limit = limit
        self.cursor = cursor
        self.facets = facets
        self.snippets = snippets
        self.highlight = highlight
    }
}

public struct SearchHit: Codable, Hashable, Sendable {
    public let number: DocumentNumber
    /// The title this view may see: the public title when the title is restricted for this view, nil when it has none
    /// (as the public diarium leaves the field out).
    public let title: String?
    public let recordType: RecordType
    public let direction: Direction
    public let status: DocumentStatus
    public let documentDate: CalendarDate?
    public let registeredAt: Date
    public let classification: String?
    /// The legal ground, when the document is restricted (shown to everyone: offentlighetsprincipen).
    public let restriction: AccessRestriction.Kind?
    public let legalReference: String?
    /// The best matching passage with the matched words marked; nil when searching by filters only.
    public let snippet: String?

    public init(number: DocumentNumber, title: String?, recordType: RecordType, direction: Direction, status: DocumentStatus,
                documentDate: CalendarDate?, registeredAt: Date, classification: String?, restriction: AccessRestriction.Kind?,
                legalReference: String?, snippet: String?) {
        self.number = number
        self.title = title
        self.recordType = recordType
        self.direction = direction
        self.status = status
        self.documentDate = documentDate
        self.registeredAt = registeredAt
        self.classification = classification
        self.restriction = restriction
        self.legalReference = legalReference
        self.snippet = snippet
    }
}

public struct FacetCount: Codable, Hashable, Sendable {
    public let value: String
    public let count: Int

    public init(value: String, count: Int) {
        self.value = value
        self.count = count
    }
}

public struct SearchFacets: Codable, Hashable, Sendable {
    public var type: [FacetCount]
    public var series: [FacetCount]
    public var status: [FacetCount]
    public var year: [FacetCount]
    /// False when counted over the newest matches only (a very broad query).
    public var exact: Bool

    public init(type: [FacetCount], series: [FacetCount], status: [FacetCount], year: [FacetCount], exact: Bool) {
        self.type = type
        self.series = series
        self.status = status
        self.year = year
        self.exact = exact
    }
}

public struct SearchResult: Codable, Sendable {
    public enum Order: String, Codable, Sendable {
        /// Best match first (bm25, title weighted above body).
        case relevance
        /// Newest first: filters only, or a query too broad to rank in bounded time.
        case newest
    }

    public let hits: [SearchHit]
    /// Matching documents; a lower bound when `totalIsExact` is false.
    public let total: Int
    public let totalIsExact: Bool
    public let order: Order
    /// Set when ranking was approximated to answer in bounded time, saying why.
    public let note: String?
    public let facets: SearchFacets?
    /// Pass as the cursor to get the next page; nil on the last page.
    public let nextCursor: String?

    public init(hits: [SearchHit], total: Int, totalIsExact: Bool, order: Order, note: String?, facets: SearchFacets?, nextCursor: String?) {
        self.hits = hits
        self.total = total
        self.totalIsExact = totalIsExact
        self.order = order
        self.note = note
        self.facets = facets
        self.nextCursor = nextCursor
    }
}

/// The stored text of one content version, as extracted at registration. (Its format is kept apart:
/// `IdentifiedFormat`.)
public struct TextRendition: Codable, Hashable, Sendable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        case extracted, empty, truncated, unsupported, failed
    }

    public let status: Status
    public let extractor: String
    public let message: String?
    /// Characters of text stored for searching.
    public let length: Int

    public init(status: Status, extractor: String, message: String?, length: Int) {
        self.status = status
        self.extractor = extractor
        self.message = message
        self.length = length
    }
}
