#if canImport(Glibc)
import Glibc
#endif
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

    /// Identifies the format of stored content that the signatures in use have not looked at: content stored before
    /// formats were identified at registration, or identified with signatures since revised. Reads each file once,
    /// 200 at a time, each page's findings written in one short transaction (registrations go on meanwhile).
    public func identifyFormats(progress: (_ done: Int) -> Void = { _ in }) throws(DiariumError) -> FormatIdentificationReport {
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
                let path = store.blobs.path(of: blob.sha256)
                // identify() says nil for a file it cannot read as for one no signature matches: tell them apart first.
                var st = stat()
                guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, access(path, R_OK) == 0 else {
                    report.unreadable += 1
                    continue
                }
                let format = FormatIdentifier.identify(path: path, originalName: blob.name, mediaType: blob.mediaType)
                if format == nil { report.unidentified += 1 } else { report.identified += 1 }
                found.append((blob.sha256, format))
            }
            try store.catalog.write { access in
                for (sha256, format) in found { try access.setFormat(sha256: sha256, format, identifiedWith: FormatIdentifier.release) }
            }
            progress(report.identified + report.unidentified + report.unreadable)
        }
        return report
    }
}
