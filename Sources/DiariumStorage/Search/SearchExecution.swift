import DiariumCore
import Foundation
import GRDB

/// Bounds that keep every query's cost bounded, however broad.
public struct SearchLimits: Sendable {
    /// Above this many full-text matches a query is not ranked (bm25 over all of them would take seconds);
    /// it is answered newest first instead, and the result says so.
    public var rankedMatches: Int
    /// Facets are counted over at most this many matches (the newest); beyond, they are marked approximate.
    public var facetMatches: Int
    /// Up to this many matches a query is ranked in one pass, fetching every match with its score; above, the
    /// matches are counted first (up to `rankedMatches`) and then ranked by SQLite.
    public var onePassMatches: Int
    /// The ranking bound for queries with phrases: a phrase is checked word position by word position in every
    /// candidate (a document with all its words), and with common words that costs ten times a plain word's match.
    /// Above this many candidates such a query is answered newest first.
    public var rankedPhraseCandidates: Int
    public static let maximumPageSize = 100

    public init(rankedMatches: Int = 50_000, facetMatches: Int = 20_000, onePassMatches: Int = 1_000,
                rankedPhraseCandidates: Int = 10_000) {
        self.rankedMatches = rankedMatches
        self.facetMatches = facetMatches
        self.onePassMatches = min(onePassMatches, rankedMatches)
        self.rankedPhraseCandidates = min(rankedPhraseCandidates, rankedMatches)
    }
}

extension CatalogAccess {
    /// Runs a parsed query in one read transaction (one consistent snapshot for hits, counts and facets).
    public func search(_ query: SearchQuery, view: SearchView, options: SearchOptions, limits: SearchLimits = SearchLimits()) throws -> SearchResult {
        guard try searchIndexVersion() == SearchIndex.version else {
            throw DiariumError(.invalidState, "the search index is out of date: run `diarium index rebuild`")
        }
        let plan = SearchPlan(query: query, view: view)
        let limit = min(max(1, options.limit), SearchLimits.maximumPageSize)
        let fingerprint = SearchCursor.fingerprint("\(view.rawValue)|\(query)")
        let cursor = try options.cursor.map { try SearchCursor(token: $0, expectedFingerprint: fingerprint) }

        guard let match = plan.match else {
            return try filterOnlySearch(plan, limit: limit, cursor: cursor, fingerprint: fingerprint, options: options, limits: limits)
        }
        let join = plan.filterSQL.isEmpty ? "" : "CROSS JOIN search_meta m ON m.document_id = f.rowid"
        let filter = plan.filterSQL.isEmpty ? "" : "AND " + plan.filterSQL
        let phrases = query.text.map(SearchPlan.checksPositions) ?? false
        if query.text != nil {
            // Most queries match few documents: fetch all of them with their score in one pass and rank them here.
            // Only when there are more is it worth counting first (below), which a one-pass ranking cannot stop.
            // The score function, not the `rank` column: read outside ORDER BY, FTS5 fails that column with
            // "SQL logic error" on a connection that saw the rank setting rewritten (`index rebuild`).
            let rows = try Row.fetchAll(try db.cachedStatement(sql: """
                SELECT f.rowid, \(plan.score) FROM search_fts f \(join)
                WHERE search_fts MATCH ? \(filter) LIMIT ?
                """), arguments: [match] + plan.filterArguments + [limits.onePassMatches + 1])
            if rows.count <= limits.onePassMatches {
                let ranked = try rows.map { (id: try $0.value(at: 0) as Int64, score: try $0.value(at: 1) as Double) }
                    .sorted { ($0.score, $1.id) < ($1.score, $0.id) }   // best first (bm25 is negative), newest first on ties
                let offset = try Self.rankedOffset(cursor)
                let page = ranked.dropFirst(offset).prefix(limit).map(\.id)
                let next = offset + limit < ranked.count ? SearchCursor(position: .offset(offset + limit), fingerprint: fingerprint).token : nil
                // A second scan of the matches is cheap unless matching checks positions (phrases of common words).
                let hits = try loadHits(Array(page), view: view, snippetMatch: match, options: options,
                                        fewMatches: !phrases)
                let facets = options.facets ? try computeFacets(ids: ranked.map(\.id), plan: plan) : nil
                return SearchResult(hits: hits, total: ranked.count, totalIsExact: true, order: .relevance, note: nil, facets: facets,
                                    nextCursor: next)
            }
        }
        // Decide whether ranking is affordable by counting, up to the cap, the matches of a relaxed query
        // (phrases as plain ANDs, exclusions dropped): an upper bound that FTS5 finds without checking word
        // positions. Ranking a query with phrases checks positions in every candidate, so its cap is lower; when
        // the candidates pass it, the exact matches are not counted either (that too checks every candidate): the
        // total is then what the one-pass attempt saw, a lower bound.
        let cap = phrases ? limits.rankedPhraseCandidates : limits.rankedMatches
        var matchCount = try countMatches(plan.relaxedMatch ?? match, cap: cap)
        if matchCount > cap, plan.relaxedMatch != nil, !phrases {
            matchCount = try countMatches(match, cap: cap)   // only exclusions were relaxed: count the query itself
        }
        let broad = matchCount > cap

        var ids: [Int64]
        var total: Int
        let totalIsExact: Bool
        var nextCursor: String?
        if !broad && query.text != nil {
            // Ranked: over at most `rankedMatches` rows. When the probe counted the query itself (nothing relaxed,
            // no metadata filter), that count is the total; otherwise the matches are counted in the ranking pass.
            let offset = try Self.rankedOffset(cursor)
            let counted = plan.relaxedMatch == nil && plan.filterSQL.isEmpty
            let rows = try Row.fetchAll(db, sql: counted ? """
                SELECT f.rowid, \(matchCount) FROM search_fts f WHERE search_fts MATCH ?
                ORDER BY \(plan.score), f.rowid DESC LIMIT ? OFFSET ?
                """ : """
                WITH scored AS MATERIALIZED (
                    SELECT f.rowid AS id, \(plan.score) AS score FROM search_fts f \(join) WHERE search_fts MATCH ? \(filter))
                SELECT id, count(*) OVER () FROM scored ORDER BY score, id DESC LIMIT ? OFFSET ?
                """, arguments: [match] + plan.filterArguments + [limit + 1, offset])
            ids = try rows.map { try $0.value(at: 0) }
            if counted {
                total = matchCount
            } else if let first = rows.first {
                total = try first.value(at: 1)
            } else {
                total = try Int.fetchOne(db, sql: "SELECT count(*) FROM search_fts f \(join) WHERE search_fts MATCH ? \(filter)",
                                         arguments: [match] + plan.filterArguments) ?? 0
            }
            totalIsExact = true
            if ids.count > limit {
                ids.removeLast()
                nextCursor = SearchCursor(position: .offset(offset + limit), fingerprint: fingerprint).token
            }
        } else {
            // Newest first: streams the index in rowid order and stops after one page.
            let before = try Self.newestBefore(cursor)
            ids = try Int64.fetchAll(db, sql: """
                SELECT f.rowid FROM search_fts f \(join) WHERE search_fts MATCH ? AND f.rowid < ? \(filter)
                ORDER BY f.rowid DESC LIMIT ?
                """, arguments: [match, before] + plan.filterArguments + [limit + 1])
            if ids.count > limit {
                ids.removeLast()
                nextCursor = SearchCursor(position: .before(ids.last!), fingerprint: fingerprint).token
            }
            if broad && phrases {
                total = limits.onePassMatches + 1   // the one-pass attempt found more than that: a lower bound
                totalIsExact = false
            } else if broad && plan.filterSQL.isEmpty {
                total = limits.rankedMatches   // the probe stopped there: a lower bound
                totalIsExact = false
            } else if broad {
                // Count among the newest matches only: a lower bound, in bounded time.
                total = try Int.fetchOne(db, sql: """
                    SELECT count(*) FROM (SELECT rowid FROM search_fts WHERE search_fts MATCH ? ORDER BY rowid DESC LIMIT ?) f \(join)
                    WHERE 1 \(filter)
                    """, arguments: [match, limits.rankedMatches] + plan.filterArguments) ?? 0
                totalIsExact = false
            } else {
                total = try Int.fetchOne(db, sql: "SELECT count(*) FROM search_fts f \(join) WHERE search_fts MATCH ? \(filter)",
                                         arguments: [match] + plan.filterArguments) ?? 0
                totalIsExact = true
            }
        }
        if !totalIsExact {
            total = max(total, ids.count + (nextCursor == nil ? 0 : 1))   // a lower bound holds at least what is shown
        }
        let hits = try loadHits(ids, view: view, snippetMatch: query.text == nil ? nil : match, options: options)
        var facets: SearchFacets?
        if options.facets {
            facets = try computeFacets(
                source: "(SELECT rowid AS id FROM search_fts WHERE search_fts MATCH ? ORDER BY rowid DESC LIMIT ?)",
                // A broad count stopped at its cap, which for phrases is below the facet cap: then it tells nothing.
                arguments: [match, limits.facetMatches], plan: plan, exact: !broad && matchCount <= limits.facetMatches)
        }
        let note = !broad ? nil : phrases
            ? "ranking approximated: the phrase's words occur together in more than \(cap) documents, too many to rank by checking each, so the newest matches are shown first; add words or filters to rank by relevance"
            : "ranking approximated: the query matches more than \(cap) documents, so the newest are shown first; add words or filters to rank by relevance"
        return SearchResult(hits: hits, total: total, totalIsExact: totalIsExact, order: broad || query.text == nil ? .newest : .relevance,
                            note: note, facets: facets, nextCursor: nextCursor)
    }

    private func filterOnlySearch(_ plan: SearchPlan, limit: Int, cursor: SearchCursor?, fingerprint: String,
                                  options: SearchOptions, limits: SearchLimits) throws -> SearchResult {
        let before = try Self.newestBefore(cursor)
        var ids = try Int64.fetchAll(db, sql: """
            SELECT m.document_id FROM search_meta m WHERE m.document_id < ? AND \(plan.filterSQL)
            ORDER BY m.document_id DESC LIMIT ?
            """, arguments: [before] + plan.filterArguments + [limit + 1])
        var nextCursor: String?
        if ids.count > limit {
            ids.removeLast()
            nextCursor = SearchCursor(position: .before(ids.last!), fingerprint: fingerprint).token
        }
        let counted = try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT 1 FROM search_meta m WHERE \(plan.filterSQL) LIMIT ?)",
                                       arguments: plan.filterArguments + [limits.rankedMatches + 1]) ?? 0
        let hits = try loadHits(ids, view: plan.view, snippetMatch: nil, options: options)
        var facets: SearchFacets?
        if options.facets {
            facets = try computeFacets(
                source: "(SELECT m.document_id AS id FROM search_meta m WHERE \(plan.filterSQL) ORDER BY m.document_id DESC LIMIT ?)",
                arguments: plan.filterArguments + [limits.facetMatches], plan: nil, exact: counted <= limits.facetMatches)
        }
        return SearchResult(hits: hits, total: min(counted, limits.rankedMatches), totalIsExact: counted <= limits.rankedMatches,
                            order: .newest, note: nil, facets: facets, nextCursor: nextCursor)
    }

    /// Where a ranked page starts; a newest-first cursor does not fit a ranked search.
    private static func rankedOffset(_ cursor: SearchCursor?) throws -> Int {
        switch cursor?.position {
        case .offset(let n): n
        case .before, .after: throw DiariumError(.invalidField, "invalid cursor for this search", field: "after")
        case nil: 0
        }
    }

    /// Where a newest-first page starts; a ranked cursor does not fit a newest-first search.
    private static func newestBefore(_ cursor: SearchCursor?) throws -> Int64 {
        switch cursor?.position {
        case .before(let id): id
        case .offset, .after: throw DiariumError(.invalidField, "invalid cursor for this search", field: "after")
        case nil: Int64.max
        }
    }

    /// Facets of a known set of matches (already filtered), all of them: exact.
    private func computeFacets(ids: [Int64], plan: SearchPlan) throws -> SearchFacets {
        guard !ids.isEmpty else { return SearchFacets(type: [], series: [], status: [], year: [], exact: true) }
        return try computeFacets(source: "(SELECT value AS id FROM json_each(?))", arguments: ["[" + ids.map(String.init).joined(separator: ",") + "]"],
                                 plan: nil, exact: true)
    }

    /// Counts per type, series, status and year over `source` (a subquery yielding `id`), filtered by `plan`.
    private func computeFacets(source: String, arguments: StatementArguments, plan: SearchPlan?, exact: Bool) throws -> SearchFacets {
        let filter = plan.map { $0.filterSQL.isEmpty ? "" : "WHERE " + $0.filterSQL } ?? ""
        let rows = try Row.fetchAll(db, sql: """
            SELECT m.record_type, m.series, m.status, m.year, count(*) FROM \(source) s
            JOIN search_meta m ON m.document_id = s.id \(filter)
            GROUP BY 1, 2, 3, 4
            """, arguments: arguments + (plan?.filterArguments ?? []))
        var type: [String: Int] = [:], series: [String: Int] = [:], status: [String: Int] = [:], year: [String: Int] = [:]
        for row in rows {
            let n: Int = try row.value(at: 4)
            type[try row.value(at: 0), default: 0] += n
            series[try row.value(at: 1), default: 0] += n
            status[try row.value(at: 2), default: 0] += n
            year[String(try row.value(at: 3) as Int), default: 0] += n
        }
        func sorted(_ counts: [String: Int]) -> [FacetCount] {
            counts.map { FacetCount(value: $0.key, count: $0.value) }.sorted { ($0.count, $1.value) > ($1.count, $0.value) }
        }
        return SearchFacets(type: sorted(type), series: sorted(series), status: sorted(status), year: sorted(year), exact: exact)
    }

    /// Matches of an FTS5 expression, counted up to `cap + 1`.
    private func countMatches(_ match: String, cap: Int) throws -> Int {
        try Int.fetchOne(try db.cachedStatement(sql: "SELECT count(*) FROM (SELECT rowid FROM search_fts WHERE search_fts MATCH ? LIMIT ?)"),
                         arguments: [match, cap + 1]) ?? 0
    }

    /// `fewMatches`: the query matches so few documents (the one-pass case), without position checks, that the
    /// snippets are cheaper in one scan of the matches between the page's lowest and highest id than in a seek of
    /// every index segment per hit.
    private func loadHits(_ ids: [Int64], view: SearchView, snippetMatch: String?, options: SearchOptions,
                          fewMatches: Bool = false) throws -> [SearchHit] {
        guard !ids.isEmpty else { return [] }
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ",")
        let rows = try Row.fetchAll(db, sql: """
            SELECT d.id, c.series, c.year, c.serial, d.ordinal, v.title, v.public_title, v.restriction_hides, v.record_type,
                   v.direction, v.status, v.document_date, d.registered_at, coalesce(v.class_code, c.class_code),
                   v.restriction_kind, v.restriction_legal
            FROM documents d JOIN cases c ON c.id = d.case_id JOIN versions v ON v.document_id = d.id AND v.n = d.current_version
            WHERE d.id IN (\(placeholders))
            """, arguments: StatementArguments(ids))
        var byID: [Int64: Row] = [:]
        for row in rows { byID[try row.value(at: 0)] = row }
        // Snippets are computed per hit, not in the ranking query, so a page costs 20 snippets, not one per match.
        // diarium_snippet, not FTS5's snippet(): that one is quadratic in a document's hits (seconds for a common
        // word in a long text).
        let snippetColumn = view == .public ? 1 : -1
        let snippetSQL = "diarium_snippet(search_fts, \(snippetColumn), ?, ?, '…', 12)"
        var scanned: [Int64: String]?
        if fewMatches, options.snippets, let snippetMatch, let low = ids.min(), let high = ids.max() {
            // `+rowid`: the page's ids filter the scan's rows; as an index constraint they would be a seek each.
            let rows = try Row.fetchAll(try db.cachedStatement(sql: """
                SELECT rowid, \(snippetSQL) FROM search_fts WHERE search_fts MATCH ? AND rowid BETWEEN ? AND ?
                AND +rowid IN (SELECT value FROM json_each(?))
                """), arguments: [options.highlight.open, options.highlight.close, snippetMatch, low, high,
                                  "[" + ids.map(String.init).joined(separator: ",") + "]"])
            scanned = Dictionary(try rows.map { (try $0.value(at: 0) as Int64, (try $0.optionalValue(at: 1) as String?) ?? "") }, uniquingKeysWith: { a, _ in a })
        }
        let snippetStatement = try snippetMatch.flatMap { _ in options.snippets && scanned == nil ? () : nil }.map { _ in
            try db.cachedStatement(sql: "SELECT \(snippetSQL) FROM search_fts WHERE search_fts MATCH ? AND rowid = ?")
        }
        return try ids.compactMap { id in
            guard let row = byID[id] else { return nil }
            let caseNumber = CaseNumber(series: try SeriesCode(parsing: try row.value(at: 1)), year: try row.value(at: 2), serial: try row.value(at: 3))
            let hidesTitle = (try row.optionalValue(at: 7) as String?)?.contains("title") ?? false
            let title: String = view == .public && hidesTitle ? ((try row.optionalValue(at: 6) as String?) ?? "") : try row.value(at: 5)
            var snippet: String? = scanned?[id]
            if let snippetStatement, let snippetMatch {
                snippet = try String.fetchOne(snippetStatement, arguments: [options.highlight.open, options.highlight.close, snippetMatch, id])
            }
            if snippet?.isEmpty == true { snippet = nil }
            return SearchHit(
                number: DocumentNumber(caseNumber: caseNumber, ordinal: try row.value(at: 4)), title: title,
                recordType: try Self.enumValue(row, "record_type"), direction: try Self.enumValue(row, "direction"),
                status: try Self.enumValue(row, "status"),
                documentDate: try (try row.optionalValue(at: 11) as String?).map { text throws -> CalendarDate in try CalendarDate(parsing: text, field: "date") },
                registeredAt: try Self.date(row, "registered_at"), classification: try row.optionalValue(at: 13),
                restriction: (try row.optionalValue(at: 14) as String?).flatMap(AccessRestriction.Kind.init(rawValue:)), legalReference: try row.optionalValue(at: 15),
                snippet: snippet)
        }
    }
}

/// A query compiled for SQLite: the FTS5 MATCH expression (restricted to the columns the view may search) and the
/// SQL conditions on `search_meta m`. User words only ever reach FTS5 as quoted strings, so no input can be an
/// FTS5 syntax error or reach SQL.
struct SearchPlan {
    let view: SearchView
    let match: String?
    /// `match` with phrases loosened to plain ANDs and exclusions dropped: matches a superset, faster to count.
    /// Nil when it would be the same as `match`.
    let relaxedMatch: String?
    let filterSQL: String
    let filterArguments: StatementArguments
    /// The ranking expression: `diarium_rank` (bm25 without IDF, the same order) when the match is one phrase,
    /// word or prefix, so that no phrase's document frequency is counted; otherwise bm25, or in the public view
    /// `diarium_bm25` (the same, with the document length over the public columns only).
    let score: String

    init(query: SearchQuery, view: SearchView) {
        self.view = view
        // The full view searches every column, so it needs no column filter, which would make FTS5 read every
        // match's positions to check the columns (three times the cost of a common word's match).
        let scope = view == .public ? "{\(SearchIndex.publicColumns.joined(separator: " "))} : " : ""
        var parts: [String] = []
        var relaxed: [String] = []
        if let text = query.text {
            parts.append("\(scope)(\(Self.compile(text)))")
            relaxed.append("\(scope)(\(Self.compile(text, relaxed: true)))")
        }
        var conditions: [String] = []
        var arguments: StatementArguments = []
        for filter in query.filters {
            switch filter {
            case .type(let value): conditions.append("m.record_type = ?"); arguments += [value.rawValue]
            case .series(let value): conditions.append("m.series = ?"); arguments += [value.rawValue]
            case .status(let value): conditions.append("m.status = ?"); arguments += [value.rawValue]
            case .direction(let value): conditions.append("m.direction = ?"); arguments += [value.rawValue]
            case .year(let value): conditions.append("m.year = ?"); arguments += [value]
            case .from(let value): conditions.append("m.date >= ?"); arguments += [value.description]
            case .to(let value): conditions.append("m.date <= ?"); arguments += [value.description]
            case .classification(let code):
                // Codes are letters, digits and dots only (validated), so LIKE needs no escaping.
                conditions.append("(m.class_code = ? OR m.class_code LIKE ?)"); arguments += [code, code + ".%"]
            case .caseNumber(let n):
                conditions.append("(m.series = ? AND m.case_year = ? AND m.case_serial = ?)")
                arguments += [n.series.rawValue, n.year, n.serial]
            case .number(let n):
                conditions.append("(m.series = ? AND m.case_year = ? AND m.case_serial = ? AND m.ordinal = ?)")
                arguments += [n.caseNumber.series.rawValue, n.caseNumber.year, n.caseNumber.serial, n.ordinal]
            case .sender(let words, let prefix):
                let columns = view == .public ? "sender" : "sender restricted_sender"
                parts.append("{\(columns)} : \(Self.compile(Self.party(words, prefix: prefix)))")
                relaxed.append(parts.last!)
            case .recipient(let words, let prefix):
                let columns = view == .public ? "recipient" : "recipient restricted_recipient"
                parts.append("{\(columns)} : \(Self.compile(Self.party(words, prefix: prefix)))")
                relaxed.append(parts.last!)
            }
        }
        let onePhrase: Bool = switch query.text {
        case .phrase?, .prefix?: parts.count == 1
        default: false
        }
        // FTS5's bm25() counts every column in a document's length; the public view needs its own (rank.c).
        let function = onePhrase ? "diarium_rank" : view == .public ? "diarium_bm25" : "bm25"
        score = "\(function)(search_fts, \(view == .public ? SearchIndex.publicBM25Weights : SearchIndex.bm25Weights))"
        match = parts.isEmpty ? nil : parts.map { "(\($0))" }.joined(separator: " AND ")
        let loosened = relaxed.isEmpty ? nil : relaxed.map { "(\($0))" }.joined(separator: " AND ")
        relaxedMatch = loosened == match ? nil : loosened
        filterSQL = conditions.joined(separator: " AND ")
        filterArguments = arguments
    }

    /// Whether matching the expression checks word positions (a phrase or prefix of several words).
    static func checksPositions(_ expression: TextExpression) -> Bool {
        switch expression {
        case .phrase(let words), .prefix(let words): words.count > 1
        case .any(let items): items.contains(where: checksPositions)
        case .all(let items, let excluded): items.contains(where: checksPositions) || excluded.contains(where: checksPositions)
        }
    }

    /// A party filter's words in any order: names are written "Anna Andersson" as often as "Andersson, Anna".
    static func party(_ words: [String], prefix: Bool) -> TextExpression {
        let last: TextExpression = prefix ? .prefix([words.last!]) : .phrase([words.last!])
        return .all(words.dropLast().map { .phrase([$0]) } + [last], excluded: [])
    }

    static func quote(_ words: [String]) -> String {
        "\"" + words.joined(separator: " ").replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// FTS5 syntax for an expression; `relaxed` gives a superset that skips position checks and exclusions.
    static func compile(_ expression: TextExpression, relaxed: Bool = false) -> String {
        switch expression {
        case .phrase(let words):
            return relaxed && words.count > 1 ? "(" + words.map { quote([$0]) }.joined(separator: " AND ") + ")" : quote(words)
        case .prefix(let words):
            return relaxed && words.count > 1
                ? "(" + words.dropLast().map { quote([$0]) }.joined(separator: " AND ") + " AND " + quote([words.last!]) + "*)"
                : quote(words) + "*"
        case .any(let items):
            return "(" + items.map { compile($0, relaxed: relaxed) }.joined(separator: " OR ") + ")"
        case .all(let items, let excluded):
            // Explicit AND: FTS5 accepts implicit AND only between plain phrases, not next to a parenthesised group.
            let required = "(" + items.map { compile($0, relaxed: relaxed) }.joined(separator: " AND ") + ")"
            return relaxed ? required : required + excluded.map { " NOT " + compile($0) }.joined()
        }
    }
}
