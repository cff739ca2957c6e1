import DiariumCore
import DiariumPackage
import Foundation

/// The container an information package is written as.
public enum PackageFormat: String, Sendable, CaseIterable, Codable {
    /// The E-ARK SIP as a tar (pax) with one root folder named after the package id.
    case earkTar = "eark-tar"
    /// The same tree as a zip; content that compresses is deflated, the rest stored.
    case earkZip = "eark-zip"
    /// A BagIt bag (tar) whose payload `data/` is the E-ARK package tree, with SHA-256 manifests.
    case bagit

    public var fileExtension: String {
        switch self {
        case .earkTar, .bagit: "tar"
        case .earkZip: "zip"
        }
    }
}

/// Safe, deterministic names inside a package. Original names stay in ERMS (`appendix`), PREMIS (`originalName`)
/// and the extension metadata; the names here are ASCII, unique and never derived from user text but the
/// extension.
public enum PackageNaming {
    public static let dataRoot = "representations/rep1/data"

    /// `representations/rep1/data/KS-2025-14/KS-2025-14-3-v2.pdf`
    public static func contentPath(document: DocumentNumber, version: Int, originalName: String) -> String {
        let c = document.caseNumber
        let folder = "\(c.series.rawValue)-\(c.year)-\(c.serial)"
        return "\(dataRoot)/\(folder)/\(folder)-\(document.ordinal)-v\(version)\(safeExtension(originalName))"
    }

    /// Whether `path` is where `contentPath` puts some version of this document with this original name: what an
    /// EDIFACT interchange may name (EFI) for the document it describes, and nothing else in or beside the package.
    public static func isContentPath(_ path: String, document: DocumentNumber, originalName: String) -> Bool {
        let start = contentPath(document: document, version: 1, originalName: originalName)
        let prefix = start.dropLast("1\(safeExtension(originalName))".utf8.count)
        let suffix = safeExtension(originalName)
        guard path.hasPrefix(prefix), path.hasSuffix(suffix), path.utf8.count > prefix.utf8.count + suffix.utf8.count else { return false }
        let version = path.dropFirst(prefix.count).dropLast(suffix.count)
        return version.utf8.allSatisfy { (48...57).contains($0) } && version.first != "0" && version.utf8.count <= 9
    }

    /// ".pdf" from "Beslut å.PDF"; "" when the name has no plain ASCII extension.
    static func safeExtension(_ name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        let ext = name[name.index(after: dot)...].lowercased()
        guard (1...10).contains(ext.utf8.count),
              ext.utf8.allSatisfy({ (48...57).contains($0) || (97...122).contains($0) }) else { return "" }
        return "." + ext
    }

    /// Gives every version with content a package path; versions that keep the content of an earlier version of
    /// the same document share its file, so unchanged content is written once. A disposed document's content has no
    /// file to carry.
    public static func assignContentPaths(_ transfer: inout RecordsTransfer) {
        for c in transfer.cases.indices {
            for d in transfer.cases[c].documents.indices where transfer.cases[c].documents[d].disposal == nil {
                var byDigest: [String: String] = [:]
                let number = transfer.cases[c].documents[d].number
                for v in transfer.cases[c].documents[d].versions.indices {
                    guard let content = transfer.cases[c].documents[d].versions[v].version.content else { continue }
                    let path = byDigest[content.sha256]
                        ?? contentPath(document: number, version: transfer.cases[c].documents[d].versions[v].version.number,
                                       originalName: content.originalName)
                    byDigest[content.sha256] = path
                    transfer.cases[c].documents[d].versions[v].contentPath = path
                }
            }
        }
    }

    /// Whether deflating content of this type is worth it; already compressed formats (PDF streams, JPEG, PNG,
    /// OOXML/ODF which are zips, audio, video) are stored as they are.
    public static func compresses(_ mediaType: String) -> Bool {
        let essence = MediaTypes.essence(of: mediaType).lowercased()
        if essence.contains("openxmlformats") || essence.contains("opendocument") { return false }
        if essence.hasPrefix("text/") || essence.hasSuffix("+xml") || essence.hasSuffix("/xml") || essence.hasSuffix("json") {
            return true
        }
        return ["application/rtf", "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
                "image/tiff", "image/bmp", "message/rfc822", "application/postscript", "application/vnd.ms-outlook"].contains(essence)
    }
}

/// Progress of writing a package: documents and content bytes done (totals as the caller announced them).
public struct PackageProgress: Sendable, Equatable {
    public var documentsDone: Int
    public var documentsTotal: Int
    public var bytesDone: Int64

    public init(documentsDone: Int, documentsTotal: Int, bytesDone: Int64) {
        self.documentsDone = documentsDone
        self.documentsTotal = documentsTotal
        self.bytesDone = bytesDone
    }
}

/// What was written.
public struct WrittenPackage: Sendable, Equatable {
    public var objectID: String
    /// Metadata, documentation and schema files, the representation's METS and PREMIS among them (content files are
    /// counted, not listed: there may be millions).
    public var metadataFiles: [PackageFile]
    public var contentFiles: Int
    public var contentBytes: Int64
    public var cases: Int
    public var documents: Int
    public var versions: Int
    public var restrictedDocuments: Int
    /// Content files by PRONOM format, and those whose format was not told.
    public var formats: [FileFormat: Int] = [:]
    public var unidentifiedFiles = 0
    /// The first `maxUnidentifiedListed` of those, as the versions whose content they are ("KS 2026/1-3 v1").
    public var unidentified: [String] = []
    public static let maxUnidentifiedListed = 100
}

/// Streams content through `write` (a closure the archive gives); the content reference says which bytes. Returns
/// the content's PRONOM format, nil when it could not be told.
public typealias PackageContentSource = (
    ContentReference, _ write: (UnsafeRawBufferPointer) throws(DiariumError) -> Void
) throws(DiariumError) -> FileFormat?

/// Writes an information package into an `ArchiveWriter` one case at a time, in bounded memory whatever the
/// collection's size: content is streamed through, and the metadata documents (ERMS, PREMIS, METS, the index,
/// a bag's manifest) grow in scratch files and are streamed into the archive at `finish()`. Storage-free: the
/// caller supplies the records and the bytes. Not Sendable: one task.
public final class InformationPackageStream {
    public let header: METS.Header
    public let format: PackageFormat
    private let archive: ArchiveWriter
    private let root: String
    private let mtime: Int64
    private let compressing: Bool
    private let erms: ScratchFile
    private let representationObjects: ScratchFile
    private let premisEvents: ScratchFile
    private let representationFiles: ScratchFile
    private let index: ScratchFile
    private let manifest: ScratchFile
    private var agents: [String] = []
    private var written = WrittenPackage(objectID: "", metadataFiles: [], contentFiles: 0, contentBytes: 0, cases: 0,
                                         documents: 0, versions: 0, restrictedDocuments: 0)
    private var payloadBytes: Int64 = 0
    private var payloadFiles = 0
    private let scratch: String
    private let scheme: ClassificationScheme

    /// `scratchDirectory` must exist and be private to this export; the stream's files in it are removed when it is released.
    /// `classification`: the classification structure, described once in the ERMS and applied to each case's rules.
    public init(header: METS.Header, format: PackageFormat, archive: ArchiveWriter, scratchDirectory: String,
                classification: [ClassificationClass] = []) throws(DiariumError) {
        self.header = header
        scheme = ClassificationScheme(classification)
        self.format = format
        self.archive = archive
        self.scratch = scratchDirectory
        root = format == .bagit ? "\(header.objectID)/data" : header.objectID
        mtime = Int64(header.createdAt.timeIntervalSince1970)
        compressing = format == .earkZip
        erms = try ScratchFile(directory: scratchDirectory, name: "erms.xml")
        representationObjects = try ScratchFile(directory: scratchDirectory, name: "rep1-objects")
        premisEvents = try ScratchFile(directory: scratchDirectory, name: "premis-events")
        representationFiles = try ScratchFile(directory: scratchDirectory, name: "rep1-files")
        index = try ScratchFile(directory: scratchDirectory, name: "index")
        manifest = try ScratchFile(directory: scratchDirectory, name: "manifest")
        written.objectID = header.objectID
        try erms.append(ERMS.skeleton(packageID: header.objectID, createdAt: header.createdAt, creator: header.creator,
                                      classification: classification).head)
        var directories = [header.objectID]
        if format == .bagit { directories.append(root) }
        directories += ["metadata", "metadata/descriptive", "metadata/preservation", "documentation", "schemas",
                        "representations", METS.representationFolder, "\(METS.representationFolder)/metadata",
                        "\(METS.representationFolder)/metadata/preservation", PackageNaming.dataRoot].map { "\(root)/\($0)" }
        for directory in directories { try archive.addDirectory(directory, modified: mtime) }
    }

    /// Adds one case: its content files (streamed from `content`), its ERMS aggregation, its PREMIS objects and
    /// events, its METS file entries and its rows in the index. Content paths are assigned here (`PackageNaming`);
    /// an event's `files` may name package paths or versions as "KS 2026/1-3 v2", which become that version's file.
    public func add(_ item: TransferCase, series: [Series], events: [ProvenanceEvent], content: PackageContentSource,
                    progress: (PackageProgress) -> Void = { _ in }, documentsTotal: Int = 0) throws(DiariumError) {
        var one = RecordsTransfer(series: series, cases: [item])
        PackageNaming.assignContentPaths(&one)
        let item = one.cases[0]
        var folders: Set<String> = []
        var seen: Set<String> = []
        var pathByVersion: [String: String] = [:]
        for document in item.documents {
            for version in document.versions {
                if let path = version.contentPath { pathByVersion["\(document.number) v\(version.version.number)"] = path }
                guard let ref = version.version.content, let path = version.contentPath, seen.insert(path).inserted else { continue }
                let folder = String(path[..<path.lastIndex(of: "/")!])
                if folders.insert(folder).inserted, folder != PackageNaming.dataRoot {
                    try archive.addDirectory("\(root)/\(folder)", modified: mtime)
                }
                var format: FileFormat?
                try archive.addFile("\(root)/\(path)", size: ref.size, modified: Int64(version.version.createdAt.timeIntervalSince1970),
                                    compress: compressing && PackageNaming.compresses(ref.mediaType)) { write throws(DiariumError) in
                    // Both closures run only during this call; Swift cannot see that two non-escaping ones nest safely.
                    format = try withoutActuallyEscaping(write) { (escapable) throws(DiariumError) in try content(ref, escapable) }
                }
                if let format {
                    written.formats[format, default: 0] += 1
                } else {
                    written.unidentifiedFiles += 1
                    if written.unidentified.count < WrittenPackage.maxUnidentifiedListed {
                        written.unidentified.append("\(document.number) v\(version.version.number)")
                    }
                }
                let file = PackageFile(path: path, use: .representation, size: ref.size, sha256: ref.sha256,
                                       mediaType: ref.mediaType, created: version.version.createdAt)
                written.contentFiles += 1
                written.contentBytes += ref.size
                try representationFiles.append(METS.fileFragment(file, number: written.contentFiles))
                try representationObjects.append(PREMIS.objectFragment(file, originalName: ref.originalName, format: format))
                try manifest.append(BagIt.manifestLine(path: "data/\(path)", sha256: ref.sha256))
                payloadBytes += ref.size
                payloadFiles += 1
            }
            written.documents += 1
            written.versions += document.versions.count
            if document.versions.contains(where: { $0.version.metadata.restriction != nil }) { written.restrictedDocuments += 1 }
            progress(PackageProgress(documentsDone: written.documents, documentsTotal: documentsTotal, bytesDone: written.contentBytes))
        }
        written.cases += 1
        try erms.append(ERMS.fragment(item, series: series, scheme: scheme))
        try index.append(PackageDocumentation.fragment(item, scheme: scheme))
        for var event in events {
            event.files = event.files.compactMap { pathByVersion[$0] ?? ($0.contains("/") ? $0 : nil) }
            try premisEvents.append(PREMIS.eventFragment(event))
            if !agents.contains(event.agent) { agents.append(event.agent) }
        }
    }

    /// Writes the metadata documents (and a bag's tag files) into the archive. The caller then finishes the archive.
    public func finish() throws(DiariumError) -> WrittenPackage {
        func add(_ path: String, _ use: PackageFile.Use, _ file: ScratchFile, _ mediaType: String) throws(DiariumError) -> PackageFile {
            let sha256 = try file.finish()
            try file.add(to: archive, path: "\(root)/\(path)", modified: mtime, compress: compressing)
            let entry = PackageFile(path: path, use: use, size: file.size, sha256: sha256, mediaType: mediaType, created: header.createdAt)
            written.metadataFiles.append(entry)
            try manifest.append(BagIt.manifestLine(path: "data/\(path)", sha256: sha256))
            payloadBytes += file.size
            payloadFiles += 1
            return entry
        }
        func scratch(_ name: String, _ text: String) throws(DiariumError) -> ScratchFile {
            let file = try ScratchFile(directory: self.scratch, name: name)
            try file.append(text)
            return file
        }
        // The representation first: its PREMIS (the representation, then its files' fixity and formats), then its
        // METS, which lists its files and that PREMIS. The root's documents then describe both of them.
        let (premisHead, premisTail) = PREMIS.skeleton()
        let representationPREMIS = try scratch("rep1-premis.xml", premisHead + PREMIS.representationFragment(METS.representationFolder))
        try representationPREMIS.append(contentsOf: representationObjects)
        try representationPREMIS.append(premisTail)
        let representationPreservation = try add(METS.representationPreservationPath, .representationPreservation,
                                                 representationPREMIS, "application/xml")
        let (representationHead, representationTail) = METS.representationSkeleton(header, preservation: representationPreservation)
        let representationMETS = try scratch("rep1-METS.xml", representationHead)
        try representationMETS.append(contentsOf: representationFiles)
        try representationMETS.append(representationTail)
        let representation = try add(METS.representationPath, .representationMETS, representationMETS, "application/xml")

        try erms.append(ERMS.skeleton(packageID: header.objectID, createdAt: header.createdAt, creator: header.creator).tail)
        let descriptive = try add(METS.descriptivePath, .descriptive, erms, "application/xml")
        let schema = try add("schemas/\(ERMS.extensionSchemaName)", .schemas, try scratch("schema", ERMS.extensionSchema), "application/xml")

        let (indexHead, indexTail) = PackageDocumentation.skeleton(header: header, summary: PackageDocumentation.Summary(
            cases: written.cases, documents: written.documents, versions: written.versions, contentFiles: written.contentFiles),
            classification: Array(scheme.classes.values))
        let page = try scratch("index.html", indexHead)
        try page.append(contentsOf: index)
        try page.append(indexTail)
        let documentation = try add(PackageDocumentation.path, .documentation, page, "text/html")

        // The export itself is the last provenance event; it concerns every file of the package.
        let export = ProvenanceEvent(
            identifier: "export-\(header.objectID)", type: "transfer", at: header.createdAt, agent: header.creator.person,
            detail: "exported as information package \(header.objectID) by \(header.creator.software) \(header.creator.softwareVersion)",
            files: [descriptive.path, schema.path, documentation.path, representation.path, representationPreservation.path])
        try premisEvents.append(PREMIS.eventFragment(export))
        if !agents.contains(export.agent) { agents.append(export.agent) }
        let premis = try scratch("premis.xml", premisHead)
        for file in [descriptive, schema, documentation, representation, representationPreservation] {
            try premis.append(PREMIS.objectFragment(file, originalName: nil))
        }
        try premis.append(contentsOf: premisEvents)
        try premis.append(PREMIS.agentsFragment(agents, creator: header.creator) + premisTail)
        _ = try add(METS.preservationPath, .preservation, premis, "application/xml")

        let mets = try ScratchFile(directory: self.scratch, name: "METS.xml")
        try mets.append(METS.write(header, files: written.metadataFiles))
        let metsSHA = try mets.finish()
        try mets.add(to: archive, path: "\(root)/METS.xml", modified: mtime, compress: compressing)
        try manifest.append(BagIt.manifestLine(path: "data/METS.xml", sha256: metsSHA))
        payloadBytes += mets.size
        payloadFiles += 1

        if format == .bagit {
            let info = BagIt.bagInfo(source: header.creator.organisationName, payloadBytes: payloadBytes, payloadFiles: payloadFiles,
                                     date: Timestamp.swedishDate(of: header.createdAt), externalIdentifier: header.objectID)
            let manifestSHA = try manifest.finish()
            try archive.addFile("\(header.objectID)/bagit.txt", bytes: BagIt.declaration, modified: mtime, compress: false)
            try archive.addFile("\(header.objectID)/bag-info.txt", bytes: info, modified: mtime, compress: false)
            try manifest.add(to: archive, path: "\(header.objectID)/manifest-sha256.txt", modified: mtime, compress: false)
            let tags = BagIt.manifestLine(path: "bagit.txt", sha256: SHA256Hex.of(BagIt.declaration))
                + BagIt.manifestLine(path: "bag-info.txt", sha256: SHA256Hex.of(info))
                + BagIt.manifestLine(path: "manifest-sha256.txt", sha256: manifestSHA)
            try archive.addFile("\(header.objectID)/tagmanifest-sha256.txt", bytes: Array(tags.utf8), modified: mtime, compress: false)
        }
        return written
    }
}
