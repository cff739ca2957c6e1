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
    /// Up to this many documents passing a query's filters, when its words match over a hundred times as many,
    /// each document is looked up in the index (a seek, 30–60 µs) instead of stepping through the words' matches
    /// (0.3 µs each, but a common word matches every document): all matches are then ranked exactly, in bounded
    /// time. Only when an index lists those documents and the match needs no column filter (the full view:
    /// `SearchPlan.lookupsAffordable`); several words' document frequencies are then counted once. At most
    /// `onePassMatches`, so that it changes what a query costs, never its answer. 0: never.
    public var candidateLookups: Int
    public static let maximumPageSize = 100

    public init(rankedMatches: Int = 50_000, facetMatches: Int = 20_000, onePassMatches: Int = 1_000,
                rankedPhraseCandidates: Int = 10_000, candidateLookups: Int = 1_000) {
        self.rankedMatches = rankedMatches
        self.facetMatches = facetMatches
        self.onePassMatches = min(onePassMatches, rankedMatches)
        self.rankedPhraseCandidates = min(rankedPhraseCandidates, rankedMatches)
        self.candidateLookups = min(candidateLookups, self.onePassMatches)
    }
}

extension CatalogAccess {
    /// Runs a parsed query in one read transaction (one consistent snapshot for hits, counts and facets).
    public func search(_ query: SearchQuery, view: SearchView, options: SearchOptions, limits given: SearchLimits = SearchLimits()) throws -> SearchResult {
        guard try searchIndexVersion() == SearchIndex.version else {
            throw DiariumError(.invalidState, "the search index is out of date: run `diarium index rebuild`")
        }
        // A series that does not exist is a mistake in the query (series are never removed), not "no hits": said, as
        // an unknown type is.
        for case .series(let code) in query.filters {
            try requireSeriesFilter(code, field: "query", prefix: "series:\(code): ")
        }
        // Likewise a class that is not in the classification structure, when there is one, and that no document holds
        // (one filed before the structure, or imported, is still found): said, not an empty result. The range is the
        // filter's own (the class and those below it).
        for case .classification(let code) in query.filters {
            let known = try Row.fetchOne(db, sql: """
                SELECT EXISTS (SELECT 1 FROM classes), EXISTS (SELECT 1 FROM classes WHERE code >= ?1 AND code < ?2),
                       EXISTS (SELECT 1 FROM search_meta WHERE class_code >= ?1 AND class_code < ?2)
                """, arguments: [code, code + "/"])
            guard let known, try known.value(at: 0) as Bool, try !(known.value(at: 1) as Bool), try !(known.value(at: 2) as Bool) else { continue }
            let top = try String.fetchAll(db, sql: "SELECT code FROM classes WHERE instr(code, '.') = 0 ORDER BY code LIMIT 21")
            throw DiariumError(.invalidField, "class:\(code): there is no class \(code) in the classification structure"
                               + (top.isEmpty ? "" : " (its top classes: \(top.prefix(20).joined(separator: ", "))\(top.count > 20 ? ", …" : ""))"),
                               field: "query")
        }
        let allSeries = try SearchPlan.needsSeries(view)
            ? String.fetchAll(db, sql: "SELECT code FROM series").compactMap(SeriesCode.init(rawValue:)) : []
        var plan = SearchPlan(query: query, view: view, allSeries: allSeries)
        plan.bounds = try rowidBounds(plan)
        // Two arms rank a match at about twice a single view's cost (each is an AND with its scope's doclist, and
        // then a union; Benchmarks/RESULTS.md): they rank half as many, for the same bound in time.
        let limits = plan.arms.count < 2 ? given
            : SearchLimits(rankedMatches: given.rankedMatches / 2, facetMatches: given.facetMatches,
                           onePassMatches: given.onePassMatches, rankedPhraseCandidates: given.rankedPhraseCandidates / 2,
                           candidateLookups: given.candidateLookups)
        let limit = min(max(1, options.limit), SearchLimits.maximumPageSize)
        let fingerprint = SearchCursor.fingerprint("\(view.fingerprint)|\(query)")
        let cursor = try options.cursor.map { try SearchCursor(token: $0, expectedFingerprint: fingerprint) }

        guard plan.hasMatch else {
            return try filterOnlySearch(plan, limit: limit, cursor: cursor, fingerprint: fingerprint, options: options, limits: limits)
        }
        let snippets = query.text != nil
        let phrases = query.text.map(SearchPlan.checksPositions) ?? false
        /// Every match with its score, ranked here: all of them, exact.
        func rankedAtOnce(_ rows: [Row], fewMatches: Bool) throws -> SearchResult {
            let ranked = try rows.map { (id: try $0.value(at: 0) as Int64, score: try $0.value(at: 1) as Double) }
                .sorted { ($0.score, $1.id) < ($1.score, $0.id) }   // best first (bm25 is negative), newest first on ties
            let offset = try Self.rankedOffset(cursor)
            let page = ranked.dropFirst(offset).prefix(limit).map(\.id)
            let next = offset + limit < ranked.count ? SearchCursor(position: .offset(offset + limit), fingerprint: fingerprint).token : nil
            let hits = try loadHits(Array(page), plan: plan, snippets: snippets, options: options, fewMatches: fewMatches)
            let facets = options.facets ? try computeFacets(ids: ranked.map(\.id)) : nil
            return SearchResult(hits: hits, total: ranked.count, totalIsExact: true, order: .relevance, note: nil, facets: facets,
                                nextCursor: next)
        }
        if query.text != nil, let bounds = plan.bounds, bounds.low > bounds.high {
            // No document passes the filters: nothing to match. Asked anyway, FTS5 would step through every entry of
            // a common word whose positions lie outside a column filter (the public view's, a party's), past the
            // empty range: 70 ms for `och year:2025` in the public view at 1,000,000 documents. (Words only: party
            // filters alone are answered newest first, with their own cursors, below.)
            return try rankedAtOnce([], fewMatches: true)
        }
        if let only = plan.only, plan.lookupsAffordable, limits.candidateLookups > 0 {
            // Words under filters that few documents pass: when the words match far more documents (a seek per
            // document costs about what stepping through a hundred matches does), the few are looked up one by one.
            // Every match is then at hand, ranked exactly, however common the words.
            let few = limits.candidateLookups
            if let (filter, candidates) = try narrowestFilter(plan, cap: few), candidates <= few,
               try candidates == 0 || countMatches(plan, relaxed: true, cap: 100 * candidates) > 100 * candidates {
                // Several words are ranked with their document frequencies, counted here once for every lookup.
                var documents: String?
                if candidates > 0, only.scoreWithDocumentCounts != nil {
                    documents = try SearchPlan.phraseDocuments(only, in: db)
                    if documents == nil { return try rankedAtOnce([], fewMatches: false) }   // nothing matches at all
                }
                let found = plan.candidateMatches(only, by: filter.index, documents: documents)
                return try rankedAtOnce(try Row.fetchAll(try db.cachedStatement(sql: found.sql), arguments: found.arguments), fewMatches: false)
            }
        }
        if query.text != nil {
            // Most queries match few documents: fetch all of them with their score in one pass and rank them here.
            // Only when there are more is it worth counting first (below), which a one-pass ranking cannot stop.
            // The score function, not the `rank` column: read outside ORDER BY, FTS5 fails that column with
            // "SQL logic error" on a connection that saw the rank setting rewritten (`index rebuild`).
            let scored = plan.allMatches(scored: true)
            let rows = try Row.fetchAll(try db.cachedStatement(sql: scored.sql + " LIMIT ?"),
                                        arguments: scored.arguments + [limits.onePassMatches + 1])
            if rows.count <= limits.onePassMatches {
                // A second scan of the matches is cheap unless matching checks positions (phrases of common words).
                return try rankedAtOnce(rows, fewMatches: !phrases)
            }
        }
        // Decide whether ranking is affordable by counting, up to the cap, the matches of a relaxed query
        // (phrases as plain ANDs, exclusions dropped): an upper bound that FTS5 finds without checking word
        // positions. Ranking a query with phrases checks positions in every candidate, so its cap is lower; when
        // the candidates pass it, the exact matches are not counted either (that too checks every candidate): the
        // total is then what the one-pass attempt saw, a lower bound.
        let cap = phrases ? limits.rankedPhraseCandidates : limits.rankedMatches
        var matchCount = try countMatches(plan, relaxed: true, cap: cap)
        if matchCount > cap, plan.relaxes, !phrases {
            matchCount = try countMatches(plan, relaxed: false, cap: cap)   // only exclusions were relaxed: count the query itself
        }
        let broad = matchCount > cap

        var ids: [Int64]
        var total: Int
        let totalIsExact: Bool
        var nextCursor: String?
        if !broad && query.text != nil {
            // Ranked: over at most `rankedMatches` rows. When the probe counted the query itself (one arm, nothing
            // relaxed, no metadata filter), that count is the total; otherwise the matches are counted in the
            // ranking pass.
            let offset = try Self.rankedOffset(cursor)
            let rows: [Row]
            let counted = plan.only != nil && !plan.relaxes && plan.filterSQL.isEmpty
            // Only the page's rows and those before it are wanted: a match that cannot be among them is not scored
            // in full (`Arm.topScore`). A ranked query has at most `rankedMatches` matches, so a page past them keeps
            // them all.
            let keep = min(offset, limits.rankedMatches) + limit + 1
            if let only = plan.only, counted {
                let order: (sql: String, arguments: StatementArguments) = only.topScore.map { ($0, [keep]) } ?? (only.score, [])
                rows = try Row.fetchAll(db, sql: """
                    SELECT f.rowid, \(matchCount) FROM search_fts f WHERE search_fts MATCH ?
                    ORDER BY \(order.sql), f.rowid DESC LIMIT ? OFFSET ?
                    """, arguments: [only.match] + order.arguments + [limit + 1, offset])
            } else {
                let scored = plan.allMatches(scored: true, keep: keep)
                rows = try Row.fetchAll(db, sql: """
                    WITH scored AS MATERIALIZED (\(scored.sql))
                    SELECT id, count(*) OVER () FROM scored ORDER BY score, id DESC LIMIT ? OFFSET ?
                    """, arguments: scored.arguments + [limit + 1, offset])
            }
            ids = try rows.map { try $0.value(at: 0) }
            if counted {
                total = matchCount
            } else if let first = rows.first {
                total = try first.value(at: 1)
            } else {
                total = try countAll(plan)
            }
            totalIsExact = true
            if ids.count > limit {
                ids.removeLast()
                nextCursor = SearchCursor(position: .offset(offset + limit), fingerprint: fingerprint).token
            }
        } else {
            // Newest first: streams the index in rowid order and stops after one page.
            let newest = plan.newestMatches(before: try Self.newestBefore(cursor), limit: limit + 1)
            ids = try Int64.fetchAll(db, sql: newest.sql, arguments: newest.arguments)
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
                let source = plan.newestSource(limit: limits.rankedMatches)
                total = try Int.fetchOne(db, sql: """
                    SELECT count(*) FROM \(source.sql) s CROSS JOIN search_meta m ON m.document_id = s.id
                    WHERE 1 \(plan.filterSQL.isEmpty ? "" : "AND " + plan.filterSQL)
                    """, arguments: source.arguments + plan.filterArguments) ?? 0
                totalIsExact = false
            } else {
                total = try countAll(plan)
                totalIsExact = true
            }
        }
        if !totalIsExact {
            total = max(total, ids.count + (nextCursor == nil ? 0 : 1))   // a lower bound holds at least what is shown
        }
        let hits = try loadHits(ids, plan: plan, snippets: snippets, options: options)
        var facets: SearchFacets?
        if options.facets {
            // A broad count stopped at its cap, which for phrases is below the facet cap: then it tells nothing.
            facets = try computeFacets(source: plan.newestSource(limit: limits.facetMatches), plan: plan,
                                       exact: !broad && matchCount <= limits.facetMatches)
        }
        let note = !broad ? nil : phrases
            ? "ranking approximated: the phrase's words occur together in more than \(cap) documents, too many to rank by checking each, so the newest matches are shown first; add words or filters to rank by relevance"
            : "ranking approximated: the query matches more than \(cap) documents, so the newest are shown first; add words or filters to rank by relevance"
        return SearchResult(hits: hits, total: total, totalIsExact: totalIsExact, order: broad || query.text == nil ? .newest : .relevance,
                            note: note, facets: facets, nextCursor: nextCursor)
    }

    /// Every match of the plan with its filters, counted.
    private func countAll(_ plan: SearchPlan) throws -> Int {
        let all = plan.allMatches(scored: false)
        return try Int.fetchOne(db, sql: "SELECT count(*) FROM (\(all.sql))", arguments: all.arguments) ?? 0
    }

    private func filterOnlySearch(_ plan: SearchPlan, limit: Int, cursor: SearchCursor?, fingerprint: String,
                                  options: SearchOptions, limits: SearchLimits) throws -> SearchResult {
        let before = try Self.newestBefore(cursor)
        // Read from the index of the filter that lists the fewest documents. SQLite, without statistics, picks an
        // index as it likes: with `type:other status:draft` it read every draft to find a few documents of a rare
        // type, and for a date range or a class it sorted all of theirs, a million for `from:2000-01-01`. Newest
        // first, that index must list its documents in id order, or hold few enough to sort; when it holds many,
        // they are read through the index of a filter in id order, or else newest first by id (soon a page: many
        // documents pass).
        let single = plan.indexedFilters.count == 1 && plan.indexedFilters[0].inIDOrder ? plan.indexedFilters.first : nil
        let narrowest = try single.map { (filter: $0, count: 0) } ?? narrowestFilter(plan, cap: limits.rankedMatches)
        let counting = narrowest.map { "search_meta AS m INDEXED BY \($0.filter.index)" } ?? "search_meta AS m"
        let listing = switch narrowest {
        case let (filter, count)? where filter.inIDOrder || count <= limits.rankedMatches: counting
        case _?: plan.indexedFilters.first(where: \.inIDOrder).map { "search_meta AS m INDEXED BY \($0.index)" } ?? "search_meta AS m NOT INDEXED"
        case nil: "search_meta AS m"
        }
        // Within the ids the filters in id order allow (as for words), newest first from the cursor.
        let page = plan.rowidBound("m.document_id", below: before), bound = plan.rowidBound("m.document_id")
        var ids = try Int64.fetchAll(db, sql: """
            SELECT m.document_id FROM \(listing) WHERE \(plan.filterSQL)\(page.sql)
            ORDER BY m.document_id DESC LIMIT ?
            """, arguments: plan.filterArguments + page.arguments + [limit + 1])
        var nextCursor: String?
        if ids.count > limit {
            ids.removeLast()
            nextCursor = SearchCursor(position: .before(ids.last!), fingerprint: fingerprint).token
        }
        let counted = try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT 1 FROM \(counting) WHERE \(plan.filterSQL)\(bound.sql) LIMIT ?)",
                                       arguments: plan.filterArguments + bound.arguments + [limits.rankedMatches + 1]) ?? 0
        let hits = try loadHits(ids, plan: plan, snippets: false, options: options)
        var facets: SearchFacets?
        if options.facets {
            facets = try computeFacets(
                source: ("(SELECT m.document_id AS id FROM \(listing) WHERE \(plan.filterSQL)\(bound.sql) ORDER BY m.document_id DESC LIMIT ?)",
                         plan.filterArguments + bound.arguments + [limits.facetMatches]), plan: nil, exact: counted <= limits.facetMatches)
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
    private func computeFacets(ids: [Int64]) throws -> SearchFacets {
        guard !ids.isEmpty else { return SearchFacets(type: [], series: [], status: [], year: [], exact: true) }
        return try computeFacets(source: ("(SELECT value AS id FROM json_each(?))", ["[" + ids.map(String.init).joined(separator: ",") + "]"]),
                                 plan: nil, exact: true)
    }

    /// Counts per type, series, status and year over `source` (a subquery yielding `id`), filtered by `plan`.
    private func computeFacets(source: (sql: String, arguments: StatementArguments), plan: SearchPlan?, exact: Bool) throws -> SearchFacets {
        let filter = plan.map { $0.filterSQL.isEmpty ? "" : "WHERE " + $0.filterSQL } ?? ""
        let rows = try Row.fetchAll(db, sql: """
            SELECT m.record_type, m.series, m.status, m.year, count(*) FROM \(source.sql) s
            JOIN search_meta m ON m.document_id = s.id \(filter)
            GROUP BY 1, 2, 3, 4
            """, arguments: source.arguments + (plan?.filterArguments ?? []))
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

    /// Matches of every arm's expression (`relaxed`: each arm's relaxed one), counted up to `cap + 1`.
    private func countMatches(_ plan: SearchPlan, relaxed: Bool, cap: Int) throws -> Int {
        let bound = plan.rowidBound("rowid")
        let parts = Array(repeating: "SELECT rowid FROM search_fts WHERE search_fts MATCH ?\(bound.sql)", count: plan.arms.count)
        return try Int.fetchOne(try db.cachedStatement(sql: "SELECT count(*) FROM (\(parts.joined(separator: " UNION ALL ")) LIMIT ?)"),
                                arguments: plan.arms.reduce(into: StatementArguments()) { $0 += [relaxed ? $1.relaxedMatch ?? $1.match : $1.match] + bound.arguments }
                                    + [cap + 1]) ?? 0
    }

    /// The lowest and highest id a document passing `plan`'s filters can have, from those its index lists in id
    /// order; nil when none is.
    private func rowidBounds(_ plan: SearchPlan) throws -> (low: Int64, high: Int64)? {
        let bounding = plan.indexedFilters.filter(\.inIDOrder)
        guard !bounding.isEmpty else { return nil }
        // INDEXED BY: an equality on the whole index reads its ids in order, the first and last of them a seek each.
        let ends = bounding.flatMap { filter in
            ["ASC", "DESC"].map { order in
                ("(SELECT document_id FROM search_meta INDEXED BY \(filter.index) WHERE \(filter.condition) ORDER BY document_id \(order) LIMIT 1)",
                 filter.arguments)
            }
        }
        let row = try Row.fetchOne(try db.cachedStatement(sql: "SELECT " + ends.map(\.0).joined(separator: ", ")),
                                   arguments: ends.reduce(into: StatementArguments()) { $0 += $1.1 })
        var low = Int64.min, high = Int64.max
        for i in bounding.indices {
            guard let first = try row?.optionalValue(at: 2 * i) as Int64?, let last = try row?.optionalValue(at: 2 * i + 1) as Int64? else {
                return (1, 0)   // no document passes this filter
            }
            low = max(low, first)
            high = min(high, last)
        }
        return (low, high)
    }

    /// The filter whose index lists the fewest documents (each counted up to `cap + 1`, from its index alone), with
    /// that count: an upper bound on the documents passing all filters, and the index to find them by. SQLite,
    /// without statistics, would pick any of the indexes and read all of its documents.
    private func narrowestFilter(_ plan: SearchPlan, cap: Int) throws -> (filter: SearchPlan.IndexedFilter, count: Int)? {
        var narrowest: (filter: SearchPlan.IndexedFilter, count: Int)?
        for filter in plan.indexedFilters {
            // Each counted no further than the narrowest so far; a tie (at the cap) goes to an index in id order.
            let count = try Int.fetchOne(try db.cachedStatement(sql: """
                SELECT count(*) FROM (SELECT 1 FROM search_meta INDEXED BY \(filter.index) WHERE \(filter.condition) LIMIT ?)
                """), arguments: filter.arguments + [min(cap, narrowest?.count ?? cap) + 1]) ?? 0
            if let best = narrowest, count > best.count || count == best.count && (best.filter.inIDOrder || !filter.inIDOrder) { continue }
            narrowest = (filter, count)
            if count == 0 { break }
        }
        return narrowest
    }

    /// Each hit as its reader may see it: title and snippet from the columns of the arm that matched it.
    /// `fewMatches`: the query matches so few documents (the one-pass case), without position checks, that the
    /// snippets are cheaper in one scan of the matches between the page's lowest and highest id than in a seek of
    /// every index segment per hit.
    private func loadHits(_ ids: [Int64], plan: SearchPlan, snippets: Bool, options: SearchOptions,
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
        var byID: [Int64: (row: Row, series: SeriesCode)] = [:]
        for row in rows { byID[try row.value(at: 0)] = (row, try SeriesCode(parsing: try row.value(at: 1))) }
        // Snippets are computed per hit, not in the ranking query, so a page costs 20 snippets, not one per match.
        // diarium_snippet, not FTS5's snippet(): that one is quadratic in a document's hits (seconds for a common
        // word in a long text). In the public columns from the body, or where the words are when the body has none
        // (a hit found by its case's title shows that title with the words marked); from the best text column in
        // the full ones but the case's restricted title (`snippetColumns`). The public columns come first, so
        // `columns` keeps the snippet to them.
        func snippetSQL(_ arm: SearchPlan.Arm) -> String {
            "diarium_snippet(search_fts, \(arm.full ? -1 : 1), ?, ?, '…', 12, \(arm.full ? SearchIndex.snippetColumns : SearchIndex.publicColumns.count))"
        }
        let wanted = snippets && options.snippets
        var scanned: [Int64: String]?
        if wanted, fewMatches {
            var found: [Int64: String] = [:]
            for (index, arm) in plan.arms.enumerated() {
                let own = ids.filter { id in byID[id].map { plan.armIndex(for: $0.series) == index } ?? false }
                guard let low = own.min(), let high = own.max() else { continue }
                // `+rowid`: the page's ids filter the scan's rows; as an index constraint they would be a seek each.
                let rows = try Row.fetchAll(try db.cachedStatement(sql: """
                    SELECT rowid, \(snippetSQL(arm)) FROM search_fts WHERE search_fts MATCH ? AND rowid BETWEEN ? AND ?
                    AND +rowid IN (SELECT value FROM json_each(?))
                    """), arguments: [options.highlight.open, options.highlight.close, arm.match, low, high,
                                      "[" + own.map(String.init).joined(separator: ",") + "]"])
                for row in rows { found[try row.value(at: 0)] = (try row.optionalValue(at: 1) as String?) ?? "" }
            }
            scanned = found
        }
        return try ids.compactMap { id in
            guard let (row, series) = byID[id] else { return nil }
            let cleared = plan.view.clears(series)
            let caseNumber = CaseNumber(series: series, year: try row.value(at: 2), serial: try row.value(at: 3))
            let hidesTitle = (try row.optionalValue(at: 7) as String?)?.contains("title") ?? false
            let title: String? = !cleared && hidesTitle ? try row.optionalValue(at: 6) : try row.value(at: 5)
            var snippet: String? = scanned?[id]
            if wanted, scanned == nil, plan.hasMatch {
                let arm = plan.arms[plan.armIndex(for: series)]
                snippet = try String.fetchOne(
                    try db.cachedStatement(sql: "SELECT \(snippetSQL(arm)) FROM search_fts WHERE search_fts MATCH ? AND rowid = ?"),
                    arguments: [options.highlight.open, options.highlight.close, arm.match, id])
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

/// A query compiled for SQLite: one FTS5 MATCH expression per arm (the columns a view may search, over the documents
/// it applies to) and the SQL conditions on `search_meta m`. User words only ever reach FTS5 as quoted strings, so
/// no input can be an FTS5 syntax error or reach SQL.
///
/// The full and the public view have one arm over every document. A view cleared for some series has two, which
/// never share a document, both plain FTS5 expressions thanks to the index's `scope` column (a document's series):
/// the full columns in those series, the public columns in the others. Every limit, count, facet and statistic is
/// then over what that reader may see, in the same bounded time as a single view's, and each document is matched,
/// ranked and given its snippet by what its reader may read of it.
struct SearchPlan {
    struct Arm {
        /// Searches every text column, restricted ones included.
        let full: Bool
        let match: String
        /// `match` with phrases loosened to plain ANDs and exclusions dropped (never the arm's scope): matches a
        /// superset, faster to count. Nil when it would be the same as `match`.
        let relaxedMatch: String?
        /// The ranking expression: `diarium_rank` (bm25 without IDF, the same order) when the match is one phrase,
        /// word or prefix, so that no phrase's document frequency is counted; otherwise `diarium_bm25` (bm25, with
        /// the document length over the columns that weigh: rank.c). A cleared view ranks without IDF, averaging
        /// lengths over the public columns (`diarium_rank_over`): those statistics span the whole store, other
        /// departments' restricted text included, which must not order its hits.
        let score: String
        /// `score` with each phrase's document count given (`diarium_bm25_given`, its first parameter a `?` for
        /// what `diarium_phrase_documents` answers); nil when `score` counts none. FTS5 keeps a ranking function's
        /// statistics for one scan: documents looked up one by one would each count every phrase again.
        let scoreWithDocumentCounts: String?
        /// `score` for an `ORDER BY … LIMIT` that wants only the best rows: `diarium_rank_top`, its first parameter a
        /// `?` for how many, which leaves out (scores 1.0) a match that cannot be among them without reading its
        /// length; nil when `score` is not `diarium_rank`. The best rows, in their order, are `score`'s.
        let topScore: String?
        /// Whether looking a document up by its rowid is a seek (tens of microseconds) for the arm's words: not for
        /// party filters alone (listed newest first, not ranked), and not under a column filter, a view's or a party
        /// filter's (FTS5 then steps on through the entries of a phrase whose positions are not in those columns,
        /// past the row and past any rowid bound: milliseconds for a common word, measured).
        let seeksCheaply: Bool
    }

    let view: SearchView
    /// Empty when the query has neither words nor party filters (filters on metadata only).
    let arms: [Arm]
    let filterSQL: String
    let filterArguments: StatementArguments
    /// A filter an index of its own answers (`condition` on the unaliased table, as that index reads it).
    struct IndexedFilter {
        let index: String
        let condition: String
        let arguments: StatementArguments
        /// An equality on every column of the index, whose last column is then the id: the index lists the
        /// filter's documents in id order, the lowest and highest a seek each.
        let inIDOrder: Bool
    }
    /// Every metadata filter (not the party filters, which FTS5 matches).
    let indexedFilters: [IndexedFilter]
    /// Every match's id lies in `low...high` (set by the search from the filters listed in id order; `low > high`:
    /// nothing passes the filters). FTS5 seeks to a rowid range, so a broad word under a filter on one case or year
    /// steps through that case's or year's matches only, not the whole store's.
    var bounds: (low: Int64, high: Int64)?

    var hasMatch: Bool { !arms.isEmpty }
    /// Whether looking up the documents that pass the filters is cheap: an index finds them and the one arm seeks
    /// each cheaply (the full view only: `Arm.seeksCheaply`).
    var lookupsAffordable: Bool { !indexedFilters.isEmpty && only?.seeksCheaply == true }
    var relaxes: Bool { arms.contains { $0.relaxedMatch != nil } }
    /// The one arm of the full and the public view, and of a view cleared for every series.
    var only: Arm? { arms.count == 1 ? arms[0] : nil }

    /// `allSeries`: every series of the store, for a cleared view (the others are the public arm's); read in the
    /// search's own transaction.
    init(query: SearchQuery, view: SearchView, allSeries: [SeriesCode]) {
        self.view = view
        var conditions: [String] = []
        var arguments: StatementArguments = []
        var indexed: [IndexedFilter] = []
        var dates: (conditions: [String], arguments: StatementArguments) = ([], [])
        for filter in query.filters {
            switch filter {
            case .type(let value):
                conditions.append("m.record_type = ?"); arguments += [value.rawValue]
                indexed.append(IndexedFilter(index: "search_meta_type", condition: "record_type = ?", arguments: [value.rawValue], inIDOrder: true))
            case .series(let value):
                conditions.append("m.series = ?"); arguments += [value.rawValue]
                indexed.append(IndexedFilter(index: "search_meta_case", condition: "series = ?", arguments: [value.rawValue], inIDOrder: false))
            case .status(let value):
                conditions.append("m.status = ?"); arguments += [value.rawValue]
                indexed.append(IndexedFilter(index: "search_meta_status", condition: "status = ?", arguments: [value.rawValue], inIDOrder: true))
            case .direction(let value):
                conditions.append("m.direction = ?"); arguments += [value.rawValue]
                indexed.append(IndexedFilter(index: "search_meta_direction", condition: "direction = ?", arguments: [value.rawValue], inIDOrder: true))
            case .year(let value):
                conditions.append("m.year = ?"); arguments += [value]
                indexed.append(IndexedFilter(index: "search_meta_year", condition: "year = ?", arguments: [value], inIDOrder: true))
            case .from(let value):
                conditions.append("m.date >= ?"); arguments += [value.description]
                dates.conditions.append("date >= ?"); dates.arguments += [value.description]
            case .to(let value):
                conditions.append("m.date <= ?"); arguments += [value.description]
                dates.conditions.append("date <= ?"); dates.arguments += [value.description]
            case .classification(let code):
                // The class and those below it, as one range of the index: codes are letters, digits and dots
                // (validated), and of those only the dot sorts below "/", so `code` ≤ c < `code/` holds `code`
                // and every `code.…`, nothing else.
                conditions.append("(m.class_code >= ? AND m.class_code < ?)"); arguments += [code, code + "/"]
                indexed.append(IndexedFilter(index: "search_meta_class", condition: "class_code >= ? AND class_code < ?",
                                             arguments: [code, code + "/"], inIDOrder: false))
            case .caseNumber(let n):
                conditions.append("(m.series = ? AND m.case_year = ? AND m.case_serial = ?)")
                arguments += [n.series.rawValue, n.year, n.serial]
                indexed.append(IndexedFilter(index: "search_meta_case", condition: "series = ? AND case_year = ? AND case_serial = ?",
                                             arguments: [n.series.rawValue, n.year, n.serial], inIDOrder: true))
            case .number(let n):
                conditions.append("(m.series = ? AND m.case_year = ? AND m.case_serial = ? AND m.ordinal = ?)")
                arguments += [n.caseNumber.series.rawValue, n.caseNumber.year, n.caseNumber.serial, n.ordinal]
                indexed.append(IndexedFilter(index: "search_meta_case", condition: "series = ? AND case_year = ? AND case_serial = ?",
                                             arguments: [n.caseNumber.series.rawValue, n.caseNumber.year, n.caseNumber.serial], inIDOrder: true))
            case .sender, .recipient: break   // text: matched by FTS5 (below)
            }
        }
        if !dates.conditions.isEmpty {
            // A date range: indexed, but a document's date is not when it was registered, so not in id order.
            indexed.append(IndexedFilter(index: "search_meta_date", condition: dates.conditions.joined(separator: " AND "),
                                         arguments: dates.arguments, inIDOrder: false))
        }
        filterSQL = conditions.joined(separator: " AND ")
        filterArguments = arguments
        indexedFilters = indexed
        switch view {
        case .full: arms = Self.arm(query, full: true, scope: nil).map { [$0] } ?? []
        case .public: arms = Self.arm(query, full: false, scope: nil).map { [$0] } ?? []
        case .cleared(let series):
            // Both arms name the series they cover, so each is an AND that FTS5 answers by skipping through the
            // doclists (a NOT would step through every match of the cleared series to find the others). When one
            // side holds no series of the store, the other is every document and needs no scope: the full view
            // for a reader cleared everywhere, the public view for one cleared for none of the store's series (or
            // for none at all).
            let store = Set(allSeries), own = series.intersection(store), others = store.subtracting(series)
            if own.isEmpty || others.isEmpty {
                arms = Self.arm(query, full: !own.isEmpty, scope: nil).map { [$0] } ?? []
            } else {
                arms = [Self.arm(query, full: true, scope: Self.scope(own)),
                        Self.arm(query, full: false, scope: Self.scope(others))].compactMap { $0 }
            }
        }
    }

    /// An FTS5 expression matching the documents of `series` by their scope tokens. Series codes are upper-case
    /// letters and digits (validated): their tokens need no escaping.
    private static func scope(_ series: Set<SeriesCode>) -> String {
        "{scope} : (" + series.sorted().map { "\"\(SearchIndex.scopeToken($0))\"" }.joined(separator: " OR ") + ")"
    }

    /// The arm matching `query` over the full or the public columns, within the documents of `scope` (an FTS5
    /// expression on the scope column; nil: all); nil when the query has no text to match.
    private static func arm(_ query: SearchQuery, full: Bool, scope: String?) -> Arm? {
        // The full columns need no column filter, which would make FTS5 read every match's positions to check the
        // columns (three times the cost of a common word's match): no word of a query is a scope token.
        let columns = full ? "" : "{\(SearchIndex.publicColumns.joined(separator: " "))} : "
        var parts: [String] = []
        var relaxed: [String] = []
        if let text = query.text {
            parts.append("\(columns)(\(compile(text)))")
            relaxed.append("\(columns)(\(compile(text, relaxed: true)))")
        }
        for filter in query.filters {
            let party: (column: String, words: [String], prefix: Bool)
            switch filter {
            case .sender(let words, let prefix): party = ("sender", words, prefix)
            case .recipient(let words, let prefix): party = ("recipient", words, prefix)
            default: continue
            }
            let searched = full ? "\(party.column) restricted_\(party.column)" : party.column
            parts.append("{\(searched)} : \(compile(Self.party(party.words, prefix: party.prefix)))")
            relaxed.append(parts.last!)
        }
        guard !parts.isEmpty else { return nil }
        func scoped(_ parts: [String]) -> String {
            let expression = parts.map { "(\($0))" }.joined(separator: " AND ")
            return scope.map { "\($0) AND (\(expression))" } ?? expression
        }
        let onePhrase: Bool = switch query.text {
        case .phrase?, .prefix?: parts.count == 1
        default: false
        }
        let weights = full ? SearchIndex.bm25Weights : SearchIndex.publicBM25Weights
        let score = if scope != nil {
            "diarium_rank_over(search_fts, \(SearchIndex.publicColumnMask), \(weights))"
        } else {
            "\(onePhrase ? "diarium_rank" : "diarium_bm25")(search_fts, \(weights))"
        }
        let match = scoped(parts), loosened = scoped(relaxed)
        return Arm(full: full, match: match, relaxedMatch: loosened == match ? nil : loosened, score: score,
                   scoreWithDocumentCounts: scope == nil && !onePhrase ? "diarium_bm25_given(search_fts, ?, \(weights))" : nil,
                   topScore: scope == nil && onePhrase ? "diarium_rank_top(search_fts, ?, \(weights))" : nil,
                   seeksCheaply: full && scope == nil && query.text != nil && parts.count == 1)
    }

    /// Which arm matches a document of `series`.
    func armIndex(for series: SeriesCode) -> Int {
        arms.count == 2 && !view.clears(series) ? 1 : 0
    }

    /// Whether the plan needs the store's series (a cleared view's public arm covers all but its own).
    static func needsSeries(_ view: SearchView) -> Bool {
        if case .cleared(let series) = view { !series.isEmpty } else { false }
    }

    /// `SELECT f.rowid AS id[, score]` of an arm's matches with the query's filters, below the id `below` if given.
    /// `keep`: only the best `keep` are wanted, in score order (`Arm.topScore`: the others score 1.0).
    func matches(_ arm: Arm, scored: Bool, keep: Int? = nil, below: Int64? = nil) -> (sql: String, arguments: StatementArguments) {
        let join = filterSQL.isEmpty ? "" : "CROSS JOIN search_meta m ON m.document_id = f.rowid"
        let bound = rowidBound("f.rowid", below: below)
        let score: (sql: String, arguments: StatementArguments) = switch (arm.topScore, keep) {
        case let (top?, keep?): (top, [keep])
        default: (arm.score, [])
        }
        let sql = "SELECT f.rowid AS id\(scored ? ", \(score.sql) AS score" : "") FROM search_fts f \(join) WHERE search_fts MATCH ?"
            + bound.sql + (filterSQL.isEmpty ? "" : " AND " + filterSQL)
        return (sql, (scored ? score.arguments : []) + [arm.match] + bound.arguments + filterArguments)
    }

    /// The rowid range of the filters' bounds, and below `below` if given, as one condition on `column`: FTS5
    /// seeks by the first lower and the first upper rowid bound it is offered and checks any other row by row
    /// (`rowid BETWEEN … AND rowid < …` stepped through every newer match).
    func rowidBound(_ column: String, below: Int64? = nil) -> (sql: String, arguments: StatementArguments) {
        let upper = below.map { $0 == .min ? Int64.min : $0 - 1 }
        switch (bounds, upper) {
        case let ((low, high)?, upper): return (" AND \(column) BETWEEN ? AND ?", [low, min(high, upper ?? .max)])
        case let (nil, upper?): return (" AND \(column) <= ?", [upper])
        case (nil, nil): return ("", [])
        }
    }

    /// `arm`'s matches among the documents that pass the filters, found from those documents: an FTS5 seek per
    /// document, for a few documents under a broad word, whose matches would take longer to step through (only
    /// where each seek is cheap: `lookupsAffordable`). `documents`: what `diarium_phrase_documents` answered for
    /// the arm's match, when its score counts phrases (`Arm.scoreWithDocumentCounts`). `SELECT id, score`.
    func candidateMatches(_ arm: Arm, by index: String, documents: String?) -> (sql: String, arguments: StatementArguments) {
        let score: (sql: String, arguments: StatementArguments) = switch (arm.scoreWithDocumentCounts, documents) {
        case let (given?, documents?): (given, [documents])
        default: (arm.score, [])
        }
        // CROSS JOIN: the documents first (by the narrowest filter's index), each looked up in FTS5 by its rowid.
        return ("SELECT m.document_id AS id, \(score.sql) AS score FROM search_meta AS m INDEXED BY \(index) "
                    + "CROSS JOIN search_fts f ON f.rowid = m.document_id WHERE \(filterSQL) AND search_fts MATCH ?",
                score.arguments + filterArguments + [arm.match])
    }

    /// Each phrase's document count for `arm`'s score, read on one match of its expression (nil: nothing matches
    /// it). Counting stops where bm25's IDF bottoms out, at half the documents (rank.c).
    static func phraseDocuments(_ arm: Arm, in db: Database) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT diarium_phrase_documents(search_fts) FROM search_fts WHERE search_fts MATCH ? LIMIT 1"),
                            arguments: [arm.match])
    }

    /// Every arm's matches as one compound SELECT (the arms never share a document).
    func allMatches(scored: Bool, keep: Int? = nil) -> (sql: String, arguments: StatementArguments) {
        let parts = arms.map { matches($0, scored: scored, keep: keep) }
        return (parts.map(\.sql).joined(separator: " UNION ALL "), parts.reduce(into: StatementArguments()) { $0 += $1.arguments })
    }

    /// The newest `limit` matches below `before`, with the query's filters, newest first.
    func newestMatches(before: Int64, limit: Int) -> (sql: String, arguments: StatementArguments) {
        let parts = arms.map { matches($0, scored: false, below: before) }
        if parts.count == 1 {
            return (parts[0].sql + " ORDER BY f.rowid DESC LIMIT ?", parts[0].arguments + [limit])
        }
        return (parts.map { "SELECT id FROM (\($0.sql) ORDER BY f.rowid DESC LIMIT ?)" }.joined(separator: " UNION ALL ")
                    + " ORDER BY id DESC LIMIT ?",
                parts.reduce(into: StatementArguments()) { $0 += $1.arguments + [limit] } + [limit])
    }

    /// A subquery yielding `id`: the newest `limit` matches (not filtered: the caller applies the query's filters).
    func newestSource(limit: Int) -> (sql: String, arguments: StatementArguments) {
        let bound = rowidBound("rowid")
        let part = "SELECT rowid AS id FROM search_fts WHERE search_fts MATCH ?\(bound.sql) ORDER BY rowid DESC LIMIT ?"
        if let only {
            return ("(\(part))", [only.match] + bound.arguments + [limit])
        }
        let parts = Array(repeating: "SELECT id FROM (\(part))", count: arms.count)
        return ("(SELECT id FROM (\(parts.joined(separator: " UNION ALL "))) ORDER BY id DESC LIMIT ?)",
                arms.reduce(into: StatementArguments()) { $0 += [$1.match] + bound.arguments + [limit] } + [limit])
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
