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

    /// ".pdf" from "Beslut å.PDF"; "" when the name has no plain ASCII extension.
    static func safeExtension(_ name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        let ext = name[name.index(after: dot)...].lowercased()
        guard (1...10).contains(ext.utf8.count),
              ext.utf8.allSatisfy({ (48...57).contains($0) || (97...122).contains($0) }) else { return "" }
        return "." + ext
    }

    /// Gives every version with content a package path; versions that keep the content of an earlier version of
    /// the same document share its file, so unchanged content is written once.
    public static func assignContentPaths(_ transfer: inout RecordsTransfer) {
        for c in transfer.cases.indices {
            for d in transfer.cases[c].documents.indices {
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
        let essence = mediaType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        if essence.contains("openxmlformats") || essence.contains("opendocument") { return false }
        if essence.hasPrefix("text/") || essence.hasSuffix("+xml") || essence.hasSuffix("/xml") || essence.hasSuffix("json") {
            return true
        }
        return ["application/rtf", "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
                "image/tiff", "image/bmp", "message/rfc822", "application/postscript", "application/vnd.ms-outlook"].contains(essence)
    }
}

/// Progress of writing a package: files and content bytes done of the total.
public struct PackageProgress: Sendable, Equatable {
    public var filesDone: Int
    public var filesTotal: Int
    public var bytesDone: Int64
    public var bytesTotal: Int64

    public init(filesDone: Int, filesTotal: Int, bytesDone: Int64, bytesTotal: Int64) {
        self.filesDone = filesDone
        self.filesTotal = filesTotal
        self.bytesDone = bytesDone
        self.bytesTotal = bytesTotal
    }
}

/// What was written.
public struct WrittenPackage: Sendable, Equatable {
    public var objectID: String
    public var files: [PackageFile]
    public var contentFiles: Int
    public var contentBytes: Int64
}

/// Writes a whole information package into an `ArchiveWriter`: content streamed through `content`, metadata built
/// in memory (it is small: a few hundred bytes per version). Storage-free: the caller supplies the bytes.
public struct InformationPackageWriter {
    public var header: METS.Header
    public var format: PackageFormat
    /// Extra provenance (from the audit log) besides the export event this writer adds.
    public var events: [ProvenanceEvent]

    public init(header: METS.Header, format: PackageFormat, events: [ProvenanceEvent]) {
        self.header = header
        self.format = format
        self.events = events
    }

    /// `transfer` must have content paths (`PackageNaming.assignContentPaths`). `content` streams the bytes of one
    /// content reference into the writer function it gets.
    public func write(
        _ transfer: RecordsTransfer, to archive: ArchiveWriter,
        content: (ContentReference, _ write: (UnsafeRawBufferPointer) throws(DiariumError) -> Void) throws(DiariumError) -> Void,
        progress: (PackageProgress) -> Void = { _ in }
    ) throws(DiariumError) -> WrittenPackage {
        let created = header.createdAt
        let mtime = Int64(created.timeIntervalSince1970)
        // Content files, once per path, in document order.
        var contentFiles: [(file: PackageFile, content: ContentReference)] = []
        var seen: Set<String> = []
        var originalNames: [String: String] = [:]
        for item in transfer.cases {
            for document in item.documents {
                for version in document.versions {
                    guard let ref = version.version.content, let path = version.contentPath, seen.insert(path).inserted else { continue }
                    contentFiles.append((PackageFile(path: path, use: .representation, size: ref.size, sha256: ref.sha256,
                                                     mediaType: ref.mediaType, created: version.version.createdAt), ref))
                    originalNames[path] = ref.originalName
                }
            }
        }
        let root = format == .bagit ? "\(header.objectID)/data" : header.objectID
        let bytesTotal = contentFiles.reduce(Int64(0)) { $0 + $1.file.size }
        var state = PackageProgress(filesDone: 0, filesTotal: contentFiles.count + 6, bytesDone: 0, bytesTotal: bytesTotal)
        progress(state)

        // Directories first, sorted, so the listing is the same every time.
        var directories: Set<String> = [header.objectID, root, "\(root)/metadata", "\(root)/metadata/descriptive",
                                        "\(root)/metadata/preservation", "\(root)/documentation", "\(root)/schemas",
                                        "\(root)/representations", "\(root)/representations/rep1", "\(root)/\(PackageNaming.dataRoot)"]
        for entry in contentFiles {
            var parts = entry.file.path.split(separator: "/").dropLast()
            while !parts.isEmpty {
                directories.insert("\(root)/" + parts.joined(separator: "/"))
                parts = parts.dropLast()
            }
        }
        for directory in directories.sorted() { try archive.addDirectory(directory, modified: mtime) }

        let compressing = format == .earkZip
        for entry in contentFiles {
            try archive.addFile("\(root)/\(entry.file.path)", size: entry.file.size, modified: Int64(entry.file.created.timeIntervalSince1970),
                                compress: compressing && PackageNaming.compresses(entry.file.mediaType)) { write throws(DiariumError) in
                // Both closures are only called during this call; Swift cannot see that two non-escaping ones nest safely.
                try withoutActuallyEscaping(write) { (escapable) throws(DiariumError) in try content(entry.content, escapable) }
            }
            state.bytesDone += entry.file.size
            state.filesDone += 1
            progress(state)
        }

        // Metadata: built after the content was written, so a damaged blob has failed the export already.
        var files = contentFiles.map(\.file)
        func add(_ path: String, _ use: PackageFile.Use, _ bytes: [UInt8], _ mediaType: String) throws(DiariumError) {
            try archive.addFile("\(root)/\(path)", bytes: bytes, modified: mtime, compress: compressing)
            files.append(PackageFile(path: path, use: use, size: Int64(bytes.count), sha256: SHA256Hex.of(bytes),
                                     mediaType: mediaType, created: created))
            state.filesDone += 1
            progress(state)
        }
        try add(METS.descriptivePath, .descriptive, ERMS.write(transfer, packageID: header.objectID, createdAt: created,
                                                               creator: header.creator), "application/xml")
        try add("schemas/\(ERMS.extensionSchemaName)", .schemas, Array(ERMS.extensionSchema.utf8), "application/xml")
        try add(PackageDocumentation.path, .documentation,
                PackageDocumentation.write(transfer, header: header, files: files), "text/html")
        var allEvents = events
        allEvents.append(ProvenanceEvent(
            identifier: "export-\(header.objectID)", type: "transfer", at: created, agent: header.creator.person,
            detail: "exported as information package \(header.objectID) by \(header.creator.software) \(header.creator.softwareVersion)",
            files: files.map(\.path)))
        try add(METS.preservationPath, .preservation,
                PREMIS.write(files: files, originalNames: originalNames, events: allEvents, creator: header.creator), "application/xml")
        let mets = METS.write(header, files: files)
        try archive.addFile("\(root)/METS.xml", bytes: mets, modified: mtime, compress: compressing)
        state.filesDone += 1
        progress(state)

        if format == .bagit {
            var payload = files.map { (path: "data/\($0.path)", sha256: $0.sha256) }
            payload.append((path: "data/METS.xml", sha256: SHA256Hex.of(mets)))
            let payloadBytes = files.reduce(Int64(mets.count)) { $0 + $1.size }
            let manifest = BagIt.manifest(payload)
            let info = BagIt.bagInfo(source: header.creator.organisation, payloadBytes: payloadBytes, payloadFiles: payload.count,
                                     date: Timestamp.swedishDate(of: created), externalIdentifier: header.objectID)
            let tags: [(String, [UInt8])] = [("bagit.txt", BagIt.declaration), ("bag-info.txt", info), ("manifest-sha256.txt", manifest)]
            for (name, bytes) in tags { try archive.addFile("\(header.objectID)/\(name)", bytes: bytes, modified: mtime, compress: false) }
            let tagManifest = BagIt.manifest(tags.map { (path: $0.0, sha256: SHA256Hex.of($0.1)) })
            try archive.addFile("\(header.objectID)/tagmanifest-sha256.txt", bytes: tagManifest, modified: mtime, compress: false)
        }
        return WrittenPackage(objectID: header.objectID, files: files, contentFiles: contentFiles.count, contentBytes: bytesTotal)
    }
}
