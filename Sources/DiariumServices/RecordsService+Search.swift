import DiariumCore
import DiariumExtraction
import DiariumStorage

extension RecordsService {
    /// Parses and runs a query in the given view. A malformed query is a `.invalidField` error naming the column.
    public func search(_ text: String, view: SearchView, options: SearchOptions = SearchOptions(),
                       limits: SearchLimits = SearchLimits()) throws(DiariumError) -> SearchResult {
        try search(try SearchQueryParser.parse(text), view: view, options: options, limits: limits)
    }

    /// A query already parsed, for a caller that reads its filters too (the search page's links that narrow it).
    public func search(_ query: SearchQuery, view: SearchView, options: SearchOptions = SearchOptions(),
                       limits: SearchLimits = SearchLimits()) throws(DiariumError) -> SearchResult {
        try store.catalog.read { access in try access.search(query, view: view, options: options, limits: limits) }
    }

    /// Parses and runs a query as `principal` may see it (below).
    public func search(_ text: String, as principal: Principal, options: SearchOptions = SearchOptions(),
                       limits: SearchLimits = SearchLimits()) throws(DiariumError) -> (result: SearchResult, view: SearchView) {
        try search(try SearchQueryParser.parse(text), as: principal, options: options, limits: limits)
    }

    /// What `principal` may find: everything for an archivist (and for the operator, who has no role); for a clerk,
    /// the restricted parts of their departments' series as well as the public parts of every other; for anyone
    /// else, the public view. The clearance is read in the search's own snapshot, so a series moved to another
    /// department at that moment is searched as it stands in what is searched. Returns the view too: it says which
    /// hits were shown with their restricted parts.
    public func search(_ query: SearchQuery, as principal: Principal, options: SearchOptions = SearchOptions(),
                       limits: SearchLimits = SearchLimits()) throws(DiariumError) -> (result: SearchResult, view: SearchView) {
        try store.catalog.read { access in
            let view = Self.searchView(for: principal, series: try access.allSeries())
            return (try access.search(query, view: view, options: options, limits: limits), view)
        }
    }

    /// The view of `principal` over a store of `series` (`AccessPolicy.hasClearance` per series).
    public static func searchView(for principal: Principal, series: [Series]) -> SearchView {
        if principal.role == nil || principal.role == .archivist { return .full }
        return .cleared(in: Set(series.filter { AccessPolicy.hasClearance(principal, department: $0.department) }.map(\.code)))
    }

    /// The stored text rendition of a content version, for `show`.
    public func textRendition(of content: ContentReference) throws(DiariumError) -> TextRendition? {
        try store.catalog.read { access in try access.rendition(sha256: content.sha256) }
    }

    public enum Reextraction: Sendable {
        /// Only content that has no rendition yet (e.g. registered before search existed).
        case missing
        /// Everything again (e.g. after installing pdftotext or improving an extractor).
        case all
    }

    public struct IndexReport: Codable, Sendable {
        public var documents = 0
        public var extracted = 0
        public var textIssues = 0
        /// Disposals whose words the rebuild removed from the catalog (`unpurged` in `IndexStatus`).
        public var purged = 0
    }

    /// Re-extracts text where asked, then rebuilds the whole search index in one transaction (readers keep
    /// their snapshot meanwhile; writers wait). Memory stays bounded: extraction goes in pages of blobs, and
    /// the index rebuild streams.
    public func rebuildIndex(reextract: Reextraction?, progress: (_ phase: String, _ done: Int, _ total: Int) -> Void = { _, _, _ in })
        throws(DiariumError) -> IndexReport {
        var report = IndexReport()
        if let reextract {
            let total = try counts().blobs
            var after = ""
            while true {
                let page = try store.catalog.read { access in
                    try access.blobsForExtraction(all: reextract == .all, after: after, limit: 200)
                }
                guard let last = page.last else { break }
                after = last.sha256
                let now = clock.now()
                var results: [(String, TextExtraction)] = []
                for blob in page {
                    let extraction = extractor.analyse(fileAt: store.blobs.path(of: blob.sha256), mediaType: blob.mediaType,
                                                       originalName: blob.name)
                    results.append((blob.sha256, extraction))
                    report.extracted += 1
                    if Self.isTextIssue(extraction.rendition) { report.textIssues += 1 }
                }
                try store.catalog.write { access in
                    for (sha256, extraction) in results {
                        try access.replaceRendition(sha256: sha256, extraction.rendition, text: extraction.text,
                                                    format: extraction.format, at: now)
                    }
                }
                progress("extracting text", report.extracted, total)
            }
        }
        let counted = try store.catalog.write { access in
            try access.rebuildSearchIndex { done, total in progress("indexing", done, total) }
        }
        report.purged = finishPurge(through: counted)
        report.documents = try counts().documents
        return report
    }

    /// After a complete merge or rebuild that began when `counted` disposals had been counted: empties the WAL (old
    /// page images may hold their text), then marks them purged. Returns how many were not before. A checkpoint that
    /// cannot be had (readers holding old snapshots) or fails leaves them counted for the next purge: the merge or
    /// rebuild has happened and is not undone by it.
    private func finishPurge(through counted: Int) -> Int {
        guard (try? store.catalog.read({ try $0.unpurgedDisposals() })) ?? 0 > 0 else { return 0 }
        do {
            try store.catalog.checkpointTruncating()
            return try store.catalog.write { access in try access.markPurged(through: counted) }
        } catch {
            return 0
        }
    }

    public struct OptimizeReport: Codable, Sendable {
        public var segmentsBefore = 0
        public var segmentsAfter = 0
        /// Merge steps that did work, each its own transaction.
        public var steps = 0
        /// False when it stopped before one segment was left (see `optimizeIndex`).
        public var complete = true
        /// Disposals whose words this merge removed from the catalog, and those whose words it still holds.
        public var purged = 0
        public var unpurged = 0
    }

    /// Merges the full-text index into one segment, a bounded step per transaction, so registrations and the server
    /// carry on in between (each step holds the write lock for about `pagesPerStep` pages of writing). Worth running
    /// after a bulk load: every term lookup, and above all each snippet, then reads one segment instead of many.
    ///
    /// A document indexed between two steps adds a segment, and FTS5 then starts the merge over. So the steps are
    /// bounded by twice what one whole merge writes: on a store that never stops changing it stops there, with
    /// `complete` false (and the index as good as ever), rather than rewriting the index forever.
    ///
    /// It is also how disposed text leaves the catalog for good: its words stay in the segments that held them until
    /// those are merged (`IndexStatus.unpurged`). A complete merge, whose freed pages SQLite overwrites, followed by
    /// a checkpoint that empties the WAL, purges them; `diarium dispose` and the server run it after a disposal.
    ///
    /// `shouldStop` is asked between steps (a server stopping): the report then says it is not complete.
    public func optimizeIndex(pagesPerStep: Int = 2_000, progress: (_ steps: Int) -> Void = { _ in },
                              shouldStop: () -> Bool = { false }) throws(DiariumError) -> OptimizeReport {
        var report = OptimizeReport()
        let pages = max(1, pagesPerStep)
        let (segments, indexPages, counted) = try store.catalog.read { access in
            (try access.searchIndexSegments(), try access.searchIndexPages(), try access.disposalsCounted())
        }
        report.segmentsBefore = segments
        let maxSteps = 2 * (indexPages / pages + 1) + 8
        while try store.catalog.write({ access in try access.mergeSearchIndex(pages: pages) }) {
            report.steps += 1
            progress(report.steps)
            if report.steps >= maxSteps || shouldStop() { break }
        }
        report.segmentsAfter = try store.catalog.read { access in try access.searchIndexSegments() }
        report.complete = report.segmentsAfter <= 1
        if report.complete { report.purged = finishPurge(through: counted) }
        report.unpurged = try store.catalog.read { access in try access.unpurgedDisposals() }
        return report
    }

    /// Disposals whose words the index may still hold (`IndexStatus.unpurged`), alone: cheap enough for `/metrics`.
    public func unpurgedDisposals() throws(DiariumError) -> Int {
        try store.catalog.read { access in try access.unpurgedDisposals() }
    }

    public struct IndexStatus: Codable, Sendable {
        public let version: String?
        public let expectedVersion: String
        public let documents: Int
        /// Segments of the full-text index; many (after a bulk load) make lookups dearer: `optimizeIndex`.
        public let segments: Int
        public let renditions: [String: Int]
        public let pdfExtraction: Bool
        public let problems: [String]
        /// Disposals whose words the index may still hold (until `optimizeIndex` or a rebuild purges them).
        public let unpurged: Int
        /// Content with no text rendition (`rebuildIndex(reextract: .missing)` extracts it).
        public let missingRenditions: Int
    }

    public func indexStatus(check: Bool) throws(DiariumError) -> IndexStatus {
        // FTS5's integrity check is spelled as an INSERT, so it needs the write connection.
        let problems = check ? try store.catalog.write { access in try access.searchIndexProblems() } : []
        return try store.catalog.read { access in
            IndexStatus(version: try access.searchIndexVersion(), expectedVersion: CatalogAccess.searchIndexVersion,
                        documents: try access.counts().documents, segments: try access.searchIndexSegments(),
                        renditions: try access.renditionCounts(),
                        pdfExtraction: extractor.canExtractPDF, problems: problems, unpurged: try access.unpurgedDisposals(),
                        missingRenditions: try access.missingRenditions())
        }
    }
}
