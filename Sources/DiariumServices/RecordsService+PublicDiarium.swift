#if canImport(Glibc)
import Glibc
#endif
import DiariumCore
import DiariumStorage
import Foundation

/// One page of the public diarium.
public struct PublicDiariumPage: Codable, Sendable {
    public let documents: [PublicEntry]
    /// Pass as `after` to get the next page; nil on the last page.
    public let nextCursor: String?
}

/// A case as the public diarium shows it, with a page of its documents in the order they were filed.
public struct PublicCasePage: Codable, Sendable {
    public let `case`: PublicCase
    public let documents: [PublicEntry]
    /// Pass as `after` to get the next page of documents; nil on the last page.
    public let nextCursor: String?
}

/// Content the public may download: where its bytes are and what to call them.
public struct PublicContentFile: Sendable {
    public let sha256: String
    public let size: Int64
    public let mediaType: String
    /// See `PublicEntry.downloadName(for:)`.
    public let fileName: String
    /// The blob file; checked to exist with the recorded size when this value was made.
    public let path: String

    public init(sha256: String, size: Int64, mediaType: String, fileName: String, path: String) {
        self.sha256 = sha256
        self.size = size
        self.mediaType = mediaType
        self.fileName = fileName
        self.path = path
    }
}

extension RecordsService {
    public static let publicPageSizes = 1...SearchLimits.maximumPageSize

    /// The public diarium: every registered document, newest registration first, as the public may see it.
    ///
    /// `from` and `to` are registration dates in Swedish time, both included (the diarium is the register of what
    /// was received and drawn up when); each entry also carries its document date.
    public func publicDiarium(series: SeriesCode? = nil, from: CalendarDate? = nil, to: CalendarDate? = nil, limit: Int = 50,
                              after cursor: String? = nil) throws(DiariumError) -> PublicDiariumPage {
        try Self.checkPublicPageSize(limit)
        if let from, let to, to < from {
            throw .invalid("to", "to (\(to)) is before from (\(from))")
        }
        // "diarium2": cursors from when the listing was in row-id order would skip or repeat entries in this one.
        let fingerprint = SearchCursor.fingerprint("diarium2|\(series?.rawValue ?? "")|\(from?.description ?? "")|\(to?.description ?? "")")
        var before = Int64.max
        if let cursor {
            let position = try SearchCursor(token: cursor, expectedFingerprint: fingerprint).position
            guard case .before(let id) = position else {
                throw DiariumError(.invalidField, "invalid cursor: use the nextCursor value of the previous page", field: "after")
            }
            before = id
        }
        let registeredFrom = from.map(Self.startOfSwedishDay)
        let registeredBefore = to.map { Self.nextSwedishDay(Self.startOfSwedishDay($0)) }
        var rows = try store.catalog.read { access in
            // A series that does not exist is a mistake, said as search says it.
            if let series { try access.requireSeriesFilter(series, field: "series") }
            return try access.registeredDocuments(series: series, registeredFrom: registeredFrom, registeredBefore: registeredBefore,
                                                  beforeID: before, limit: limit + 1)
        }
        var next: String?
        if rows.count > limit {
            rows.removeLast()
            next = SearchCursor(position: .before(rows.last!.id), fingerprint: fingerprint).token
        }
        return PublicDiariumPage(documents: rows.map { PublicEntry($0.record) }, nextCursor: next)
    }

    /// One document as the public diarium shows it.
    public func publicEntry(_ number: DocumentNumber) throws(DiariumError) -> PublicEntry {
        PublicEntry(try document(number))
    }

    /// Cases as the public diarium shows them, newest first (by opening), `limit` at a time after the case `after`;
    /// `title`: only those whose public title holds the words (a restricted title is neither matched nor shown). A
    /// series that does not exist is a mistake in the request (400), as in the public diarium and search.
    public func publicCases(series: SeriesCode? = nil, title: TitleWords? = nil, limit: Int = 50,
                            after: CaseNumber? = nil) throws(DiariumError) -> [PublicCase] {
        try Self.checkPublicPageSize(limit)
        return try store.catalog.read { access in
            if let series { try access.requireSeriesFilter(series, field: "series") }
            return try access.cases(series: series, status: nil, year: nil, after: after, limit: limit, title: title, view: .public)
                .map(PublicCase.init)
        }
    }

    /// A case as the public may see it, and a page of its documents, first filed first.
    public func publicCase(_ number: CaseNumber, limit: Int = 50, after cursor: String? = nil) throws(DiariumError) -> PublicCasePage {
        try Self.checkPublicPageSize(limit)
        let fingerprint = SearchCursor.fingerprint("case|\(number)")
        var afterOrdinal = 0
        if let cursor {
            let position: SearchCursor.Position
            do {
                position = try SearchCursor(token: cursor, expectedFingerprint: fingerprint).position
            } catch where error.field == "after" {
                throw DiariumError(.invalidField, "invalid cursor: use the nextCursor of the previous page of the same case", field: "after")
            }
            guard case .after(let ordinal) = position, ordinal <= Int64(CaseNumber.maxSerial) else {
                throw DiariumError(.invalidField, "invalid cursor: use the nextCursor of the previous page of the same case", field: "after")
            }
            afterOrdinal = Int(ordinal)
        }
        let (record, page) = try store.catalog.read { access in
            let stored = try Self.requireCase(number, access)
            return (stored.record, try access.documentsPage(caseID: stored.id, afterOrdinal: afterOrdinal, limit: limit))
        }
        let next = page.more ? SearchCursor(position: .after(Int64(page.documents.last!.number.ordinal)), fingerprint: fingerprint).token : nil
        return PublicCasePage(case: PublicCase(record), documents: page.documents.map(PublicEntry.init), nextCursor: next)
    }

    static func checkPublicPageSize(_ limit: Int) throws(DiariumError) {
        try checkPageSize(limit, in: publicPageSizes)
    }

    /// A page of a list: `limit` in `sizes`, refused naming `limit` otherwise.
    static func checkPageSize(_ limit: Int, in sizes: ClosedRange<Int> = 1...1000) throws(DiariumError) {
        guard sizes.contains(limit) else {
            throw .invalid("limit", "limit must be between \(sizes.lowerBound) and \(sizes.upperBound), not \(limit)")
        }
    }

    /// A document's current content for the public: the entry, and the file when the public may download it
    /// (nil when the document has no content or `PublicEntry.withheld` says why not).
    ///
    /// Throws `.integrity` when the blob file is missing or has another size than recorded: never serve a
    /// damaged file as if it were the record.
    public func publicContent(_ number: DocumentNumber) throws(DiariumError) -> (entry: PublicEntry, file: PublicContentFile?) {
        let (record, nameHiddenEarlier) = try store.catalog.read { access in
            let stored = try requireDocument(number, access)
            return (stored.record, try Self.nameHiddenEarlier(stored, access))
        }
        try RecordRules.checkContentKept(record)
        let entry = PublicEntry(record)
        guard let content = record.current.content, PublicEntry.withheld(record.current) == nil,
              let fileName = PublicEntry.downloadName(for: record, nameHiddenEarlier: nameHiddenEarlier)
        else { return (entry, nil) }
        return (entry, try contentFile(content, of: number, fileName: fileName))
    }

    /// Where a version's content is, checked to exist with the recorded size.
    public func contentFile(_ content: ContentReference, of number: DocumentNumber, fileName: String) throws(DiariumError) -> PublicContentFile {
        let path = store.blobs.path(of: content.sha256)
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            // Disposed of since the document was read: gone, not damaged.
            if try store.catalog.read({ try $0.isBlobDisposed(content.sha256) }) {
                throw DiariumError(.gone, "the content of \(number) was disposed of", field: "number")
            }
            throw DiariumError(.integrity, "content \(content.sha256) of \(number) is missing from the store (\(path))")
        }
        guard Int64(st.st_size) == content.size else {
            throw DiariumError(.integrity, "content \(content.sha256) of \(number) has \(st.st_size) bytes, the catalog says \(content.size)")
        }
        return PublicContentFile(sha256: content.sha256, size: content.size, mediaType: content.mediaType, fileName: fileName, path: path)
    }

    /// A cheap check that the store can work (its catalog answers, its content folder is there, its disk not full),
    /// for health probes.
    public func checkCatalog() throws(DiariumError) {
        _ = try store.catalog.read { access in try access.info("format") }
        // A catalog that answers is not enough: uploads and downloads need the content folder and room to write.
        if let problem = store.unavailability() { throw DiariumError(.storage, "the store cannot work: \(problem)") }
    }

    static func startOfSwedishDay(_ date: CalendarDate) -> Date {
        Timestamp.swedishCalendar.date(from: DateComponents(year: date.year, month: date.month, day: date.day))!
    }

    static func nextSwedishDay(_ start: Date) -> Date {
        Timestamp.swedishCalendar.date(byAdding: .day, value: 1, to: start)!
    }
}
