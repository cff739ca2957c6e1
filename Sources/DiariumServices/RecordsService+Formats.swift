import DiariumCore
import DiariumExtraction
import DiariumStorage

/// What `identifyFormats` did.
public struct FormatIdentificationReport: Codable, Sendable, Equatable {
    /// Content a signature matched.
    public var identified = 0
    /// Content the signatures looked at and none matched.
    public var unidentified = 0
    /// Content whose file was missing or unreadable: left as it was (`diarium verify` tells why).
    public var unreadable = 0

    public init(identified: Int = 0, unidentified: Int = 0, unreadable: Int = 0) {
        self.identified = identified
        self.unidentified = unidentified
        self.unreadable = unreadable
    }
}

extension RecordsService {
    /// The current content of each series' documents by PRONOM format, for preservation planning: how many documents
    /// and bytes of each format, which content no signature matched (by its declared media type), and which was not
    /// looked at yet (`identifyFormats`). Formats are found at registration, with the text; nothing is read here.
    public func formatReport(series: SeriesCode? = nil) throws(DiariumError) -> [FormatTally] {
        try store.catalog.read { access in
            try Self.requireSeries(series, access)
            return try access.formatTallies(series: series, release: FormatIdentifier.release)
        }
    }

    /// A content's format as identified, and whether by the signatures in use; nil when it was not looked at yet.
    public func contentFormat(of content: ContentReference) throws(DiariumError) -> (format: FileFormat?, current: Bool)? {
        try store.catalog.read { access in try access.contentFormat(sha256: content.sha256) }
            .map { ($0.format, $0.identifiedWith == FormatIdentifier.release) }
    }

    /// The documents behind a report's `unidentified` or `pending` line, by number (after `after`), for a closer look.
    public func formatlessDocuments(state: FormatTally.State, series: SeriesCode? = nil, after: DocumentNumber? = nil,
                                    limit: Int = 100) throws(DiariumError) -> [FormatlessDocument] {
        guard state != .identified else {
            throw DiariumError.invalid("state", "list unidentified or pending documents; identified ones are counted by format")
        }
        try Self.checkPageSize(limit)
        return try store.catalog.read { access in
            try Self.requireSeries(series, access)
            return try access.formatlessDocuments(state: state, series: series, after: after, limit: limit, release: FormatIdentifier.release)
        }
    }

    /// Identifies the format of stored content that the signatures in use have not looked at: content stored before
    /// formats were identified at registration, or identified with signatures since revised. Reads each file once,
    /// 200 at a time, each page's findings written in one short transaction (registrations go on meanwhile). A file
    /// that cannot be read is left as it was, to be looked at again.
    public func identifyFormats(progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }) throws(DiariumError) -> FormatIdentificationReport {
        let total = try store.catalog.read { access in try access.countBlobsForIdentification(release: FormatIdentifier.release) }
        var report = FormatIdentificationReport()
        var after = ""
        while true {
            let page = try store.catalog.read { access in
                try access.blobsForIdentification(release: FormatIdentifier.release, after: after, limit: 200)
            }
            guard let last = page.last else { break }
            after = last.sha256
            var found: [(sha256: String, format: FileFormat?)] = []
            for blob in page {
                do {
                    let format = try FormatIdentifier.identifyFile(at: store.blobs.path(of: blob.sha256), originalName: blob.name,
                                                                   mediaType: blob.mediaType)
                    if format == nil { report.unidentified += 1 } else { report.identified += 1 }
                    found.append((blob.sha256, format))
                } catch {
                    report.unreadable += 1
                }
            }
            try store.catalog.write { access in
                // Content disposed of since it was read keeps no format.
                for (sha256, format) in found where try !access.isBlobDisposed(sha256) {
                    try access.setFormat(sha256: sha256, IdentifiedFormat(format, identifiedWith: FormatIdentifier.release))
                }
            }
            progress(report.identified + report.unidentified + report.unreadable, total)
        }
        return report
    }
}
