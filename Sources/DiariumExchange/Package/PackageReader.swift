#if canImport(Glibc)
import Glibc
#endif
import DiariumCore
import DiariumPackage
import DiariumXML
import Foundation

/// A package read from a directory, tar or zip and checked against its METS: every listed file exists with the
/// listed size and SHA-256. Content went to the caller's sink (e.g. the blob store's staging area) while it was
/// read; metadata documents were kept for parsing, small ones in memory, large ones in the scratch directory.
public struct ReadPackage: Sendable {
    /// The folder inside the archive that holds the package ("" when METS.xml is at the top).
    public var root: String
    /// Whether the package came wrapped in a BagIt bag (whose manifest was checked too).
    public var isBag: Bool
    public var manifest: METSManifest
    /// Package-relative path → document, for METS, metadata XML and bag tag files.
    public var documents: [String: PackageDocument]
    /// Package-relative path → what was read, for every file.
    public var files: [String: FileDigest]
    public var diagnostics: [PackageDiagnostic]
    /// Files METS lists that are missing, or whose size or SHA-256 is not what METS (or PREMIS) says: bytes damaged or
    /// cut off on the way (their problems are among `diagnostics` too; a file is here once per problem).
    public var damagedFiles: [String] = []

    public struct FileDigest: Sendable, Equatable {
        public var sha256: String
        public var size: Int64
        public init(sha256: String, size: Int64) {
            self.sha256 = sha256
            self.size = size
        }
    }

    public var errors: [PackageDiagnostic] { diagnostics.filter { $0.severity == .error } }
}

public enum PackageReader {
    public struct Options: Sendable {
        public var limits: ArchiveLimits
        /// A metadata document (METS, ERMS, PREMIS) held in memory larger than this is refused.
        public var maxDocumentBytes: Int
        /// All metadata documents held in memory together (every `*.xml` under a `metadata/` folder is kept until
        /// METS says which are needed): past this the package is refused, so a dozen large ones cannot take the memory.
        public var maxMetadataBytes: Int
        /// Where a metadata document larger than `spillAbove` goes instead of memory (private to this read; its
        /// files are removed as the documents go). Without one, every document is held in memory, within the limits
        /// above. With one, a document is bounded only by `limits`: the parsers stream it.
        public var scratchDirectory: String?
        public var spillAbove: Int

        public init(limits: ArchiveLimits = ArchiveLimits(), maxDocumentBytes: Int = 64 << 20, maxMetadataBytes: Int = 160 << 20,
                    scratchDirectory: String? = nil, spillAbove: Int = 1 << 20) {
            self.limits = limits
            self.maxDocumentBytes = maxDocumentBytes
            self.maxMetadataBytes = maxMetadataBytes
            self.scratchDirectory = scratchDirectory
            self.spillAbove = spillAbove
        }
    }

    /// How the metadata parsers read a package's documents: as large as the archive limits let them be (those
    /// bound what was read and spilled), held a streamed element at a time, and UTF-8 only (as FGS and Diarium write them).
    public static let streamingOptions = XMLParseOptions(maxInputBytes: Int.max, requireUTF8: true)

    /// The limits an import needs to take a package of `files` files, `cases` cases, `versions` versions and `bytes`
    /// bytes, when `limits` are not enough; nil when they are. Its archive entries are its files, a bag's four tag
    /// files and its folders (at most twelve, and one per case); an ERMS is read up to four versions per entry; an
    /// archive's content is stored, or deflated text, so what it inflates to is near its size.
    public static func limitsNeeded(files: Int, cases: Int, versions: Int, bytes: Int64,
                                    limits: ArchiveLimits = ArchiveLimits()) -> ArchiveLimits? {
        var needed = limits
        needed.maxEntries = max(limits.maxEntries, files + 16 + cases, (versions + 3) / 4)
        needed.maxTotalBytes = max(limits.maxTotalBytes, bytes)
        return needed == limits ? nil : needed
    }

    /// Streams one file's bytes (`produce` pushes chunks into the consumer it is given) into the caller's store.
    /// Returns the SHA-256 and size of what it stored. `path` is the file's path as read (before the root is
    /// known), for the caller's bookkeeping.
    public typealias ContentSink = (
        _ path: String,
        _ produce: ((UnsafeRawBufferPointer) throws(DiariumError) -> Void) throws(DiariumError) -> Void
    ) throws(DiariumError) -> ReadPackage.FileDigest

    /// Reads `path` (a package directory, or a tar/zip archive holding one) and checks it. Hostile input (links,
    /// devices, `..` or absolute names, bombs past `limits`, DOCTYPEs) throws; a package that is merely wrong
    /// comes back with error diagnostics (and the caller must discard what its sink stored).
    /// `displayName` names the package in messages instead of `path` (an upload's temp path means nothing to its sender).
    public static func read(_ path: String, displayName: String? = nil, options: Options = Options(),
                            content: ContentSink) throws(DiariumError) -> ReadPackage {
        let displayName = displayName ?? path
        var documents = Documents(options: options, displayName: displayName)
        var files: [String: ReadPackage.FileDigest] = [:]
        var st = stat()
        guard lstat(path, &st) == 0 else {
            throw DiariumError(.unreadableFile, "cannot read \(displayName): \(String(cString: strerror(errno)))", field: "package")
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            try readDirectory(path, options: options, documents: &documents, files: &files, content: content)
        } else if (st.st_mode & S_IFMT) == S_IFREG {
            try readArchive(path, displayName: displayName, options: options, documents: &documents, files: &files, content: content)
        } else {
            throw DiariumError(.unreadableFile, "\(displayName) is neither a package directory nor an archive file", field: "package")
        }
        return try check(documents: documents.items, files: files, displayName: displayName, options: options)
    }

    /// The metadata documents read so far, and the total held in memory against `Options.maxMetadataBytes`.
    struct Documents {
        let options: Options
        let displayName: String
        var items: [String: PackageDocument] = [:]
        var total = 0

        var remaining: Int { max(0, options.maxMetadataBytes - total) }

        /// Throws when a document of `size` bytes would be held in memory and take the total past the limit: checked
        /// before it is read (a larger one goes to the scratch directory, when there is one).
        func check(_ size: Int64, for path: String) throws(DiariumError) {
            if options.scratchDirectory != nil && size > Int64(options.spillAbove) { return }
            guard size <= Int64(remaining) else { throw tooMuch(path) }
        }

        func tooMuch(_ path: String) -> DiariumError {
            DiariumError.invalid("package", "\(displayName) holds more than \(options.maxMetadataBytes) bytes of metadata to check "
                                 + "(METS.xml and the *.xml files under metadata/; \(path) is past it)")
        }

        /// Reads one document from `produce`: into memory up to `spillAbove`, past it into a file of the scratch
        /// directory (without one, into memory up to the limits). `expected`: the size it should have (a directory's
        /// file, which must not grow while it is read).
        mutating func read(_ path: String, expected: Int64? = nil,
                           _ produce: ((UnsafeRawBufferPointer) throws(DiariumError) -> Void) throws(DiariumError) -> Void)
            throws(DiariumError) -> ReadPackage.FileDigest {
            try check(max(0, expected ?? 0), for: path)
            let inMemory = min(options.maxDocumentBytes, remaining)
            var bytes: [UInt8] = []
            var spilled: ScratchFile?
            var received: Int64 = 0
            let (scratch, spillAbove, count) = (options.scratchDirectory, options.spillAbove, items.count)
            try produce { chunk throws(DiariumError) in
                let read = received + Int64(chunk.count)
                received = read
                if let expected, read > expected { throw DiariumError.invalid("package", "\(path) grew while it was read") }
                if let spilled {
                    try spilled.append(Array(chunk))
                    return
                }
                if read > Int64(spillAbove), let scratch {
                    let file = try ScratchFile(directory: scratch, name: "metadata-\(count)")
                    try file.append(bytes)
                    try file.append(Array(chunk))
                    bytes = []
                    spilled = file
                    return
                }
                guard read <= Int64(inMemory) else {
                    throw read > Int64(options.maxDocumentBytes)
                        ? DiariumError.invalid("package", "\(path) is larger than \(options.maxDocumentBytes) bytes")
                        : tooMuch(path)
                }
                bytes.append(contentsOf: chunk)
            }
            if let spilled {
                let sha256 = try spilled.handOver()
                items[path] = PackageDocument(handedOver: spilled.path, size: spilled.size)
                return ReadPackage.FileDigest(sha256: sha256, size: spilled.size)
            }
            total += bytes.count
            items[path] = PackageDocument(bytes: bytes)
            return ReadPackage.FileDigest(sha256: SHA256Hex.of(bytes), size: Int64(bytes.count))
        }
    }

    static func isMetadata(_ path: String) -> Bool {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        if name == "METS.xml" || name == "bagit.txt" || name == "bag-info.txt" { return true }
        if name.hasPrefix("manifest-") || name.hasPrefix("tagmanifest-") { return name.hasSuffix(".txt") }
        return name.lowercased().hasSuffix(".xml") && path.split(separator: "/").contains("metadata")
    }

    static func readArchive(_ path: String, displayName: String, options: Options, documents: inout Documents,
                            files: inout [String: ReadPackage.FileDigest], content: ContentSink) throws(DiariumError) {
        let reader = try ArchiveReader(path: path, displayName: displayName, limits: options.limits)
        while let entry = try reader.nextEntry() {
            guard entry.kind == .file else { continue }
            let name = try ArchivePathPolicy.check(entry)
            guard files[name] == nil else {
                throw DiariumError.invalid("archive", "archive entry '\(name)' occurs twice in \(displayName)")
            }
            if isMetadata(name) {
                // The header's size first; a header that lies is stopped by the caps while reading.
                try documents.check(max(0, entry.declaredSize ?? 0), for: name)
                files[name] = try documents.read(name) { consume throws(DiariumError) in try reader.readData(consume) }
            } else {
                files[name] = try content(name) { consume throws(DiariumError) in try reader.readData(consume) }
            }
        }
    }

    static func readDirectory(_ root: String, options: Options, documents: inout Documents,
                              files: inout [String: ReadPackage.FileDigest], content: ContentSink) throws(DiariumError) {
        var pending = [""]
        var count = 0
        var total: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        defer { buffer.deallocate() }
        while let relative = pending.popLast() {
            let directory = relative.isEmpty ? root : "\(root)/\(relative)"
            guard let dir = opendir(directory) else {
                throw DiariumError(.unreadableFile, "cannot list \(directory): \(String(cString: strerror(errno)))", field: "package")
            }
            var names: [String] = []
            while let item = readdir(dir) {
                let name = withUnsafePointer(to: item.pointee.d_name) {
                    $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                }
                if name != "." && name != ".." { names.append(name) }
            }
            closedir(dir)
            for name in names.sorted() {
                let child = relative.isEmpty ? name : "\(relative)/\(name)"
                let full = "\(root)/\(child)"
                var st = stat()
                guard lstat(full, &st) == 0 else {
                    throw DiariumError(.unreadableFile, "cannot read \(full): \(String(cString: strerror(errno)))", field: "package")
                }
                let kind: ArchiveEntry.Kind = switch st.st_mode & S_IFMT {
                case S_IFDIR: .directory
                case S_IFREG: .file
                case S_IFLNK: .symbolicLink
                default: .other(mode: UInt32(st.st_mode & S_IFMT))
                }
                // A link's target, for the refusal to name (as a tar's entry does).
                let target: String? = kind == .symbolicLink ? (try? FileManager.default.destinationOfSymbolicLink(atPath: full)) : nil
                _ = try ArchivePathPolicy.check(ArchiveEntry(path: child, kind: kind, declaredSize: Int64(st.st_size), linkTarget: target))
                count += 1
                if count > options.limits.maxEntries {
                    throw DiariumError.invalid("archive", "package \(root) has more than \(options.limits.maxEntries) files")
                }
                if kind == .directory {
                    pending.append(child)
                    continue
                }
                total += Int64(st.st_size)
                if total > options.limits.maxTotalBytes {
                    throw DiariumError.invalid("archive", "package \(root) is larger than \(options.limits.maxTotalBytes) bytes")
                }
                let fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
                guard fd >= 0 else {
                    throw DiariumError(.unreadableFile, "cannot read \(full): \(String(cString: strerror(errno)))", field: "package")
                }
                defer { close(fd) }
                let produce = { (consume: (UnsafeRawBufferPointer) throws(DiariumError) -> Void) throws(DiariumError) -> Void in
                    while true {
                        let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
                        if n == 0 { break }
                        if n < 0 {
                            if errno == EINTR { continue }
                            throw DiariumError(.unreadableFile, "cannot read \(full): \(String(cString: strerror(errno)))", field: "package")
                        }
                        try consume(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                    }
                }
                if isMetadata(child) {
                    guard st.st_size <= options.maxDocumentBytes || options.scratchDirectory != nil else {
                        throw DiariumError.invalid("package", "\(child) is larger than \(options.maxDocumentBytes) bytes")
                    }
                    files[child] = try documents.read(child, expected: Int64(st.st_size), produce)
                } else {
                    files[child] = try content(child, produce)
                }
            }
        }
    }

    /// A bag's text file as lines (RFC 8493: LF, CRLF or CR; "\r\n" is one Character, so split on all three).
    static func bagLines(_ bytes: [UInt8]) -> [Substring] {
        String(decoding: bytes, as: UTF8.self)
            .split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
    }

    /// A manifest line's checksum and path (spaces or tabs between; %0A, %0D and %25 in the path decoded).
    static func manifestEntry(_ line: Substring) -> (checksum: String, path: String)? {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        let parts = line.split(maxSplits: 1, whereSeparator: blank)
        guard parts.count == 2 else { return nil }
        let path = String(parts[1].drop(while: blank)).trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "%0A", with: "\n")
            .replacingOccurrences(of: "%0D", with: "\r").replacingOccurrences(of: "%25", with: "%")
        return (String(parts[0]), path)
    }

    /// A path inside the bag: relative, without empty, `.` or `..` parts.
    static func isBagPath(_ path: String) -> Bool {
        !path.hasPrefix("/") && !path.split(separator: "/", omittingEmptySubsequences: false).contains { $0 == ".." || $0 == "." || $0.isEmpty }
    }

    /// A bag's tag manifest and Payload-Oxum (RFC 8493 §2.2.1, §2.2.2), held to what was read as its payload manifest
    /// is: a tag file whose checksum differs, or a payload of another size or count than the bag states, is damage on
    /// the way; a tag manifest line naming a payload file or a path out of the bag is invalid.
    static func checkTagFiles(bagRoot: String, root: String, documents: [String: PackageDocument], files: [String: ReadPackage.FileDigest],
                              options: Options, diagnostics: inout [PackageDiagnostic], damaged: inout [String]) throws(DiariumError) {
        func full(_ name: String) -> String { bagRoot.isEmpty ? name : "\(bagRoot)/\(name)" }
        if let tagManifest = documents[full("tagmanifest-sha256.txt")] {
            let lines = bagLines(try tagManifest.bytes(upTo: options.maxDocumentBytes, path: full("tagmanifest-sha256.txt")))
            for (i, line) in lines.enumerated() where !line.isEmpty {
                guard let (checksum, path) = manifestEntry(line) else {
                    diagnostics.append(PackageDiagnostic(file: "tagmanifest-sha256.txt", line: i + 1, message: "malformed manifest line"))
                    continue
                }
                guard isBagPath(path), !path.hasPrefix("data/"), !path.hasPrefix("tagmanifest-") else {
                    diagnostics.append(PackageDiagnostic(file: "tagmanifest-sha256.txt", line: i + 1,
                                                         message: "'\(path)' is not the path of a tag file (outside data/, relative, without . or ..)"))
                    continue
                }
                guard let found = files[full(path)] else {
                    diagnostics.append(PackageDiagnostic(file: "tagmanifest-sha256.txt", line: i + 1, message: "\(path) is missing from the bag"))
                    damaged.append(full(path))
                    continue
                }
                if found.sha256 != checksum.lowercased() {
                    diagnostics.append(PackageDiagnostic(file: "tagmanifest-sha256.txt", line: i + 1,
                                                         message: "\(path): SHA-256 is \(found.sha256), the tag manifest says \(checksum)"))
                    damaged.append(full(path))
                }
            }
        }
        guard let info = documents[full("bag-info.txt")] else { return }
        let lines = bagLines(try info.bytes(upTo: options.maxDocumentBytes, path: full("bag-info.txt")))
        for (i, line) in lines.enumerated() where line.lowercased().hasPrefix("payload-oxum:") {
            let value = line.dropFirst("payload-oxum:".count).trimmingCharacters(in: .whitespaces)
            let parts = value.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2, let octets = Int64(parts[0]), let count = Int(parts[1]), octets >= 0, count >= 0 else {
                diagnostics.append(PackageDiagnostic(file: "bag-info.txt", line: i + 1, message: "Payload-Oxum '\(value)' is not OCTETS.COUNT"))
                continue
            }
            let payload = files.filter { $0.key.hasPrefix(root + "/") }
            let size = payload.values.reduce(Int64(0)) { $0 + $1.size }
            if size != octets || payload.count != count {
                diagnostics.append(PackageDiagnostic(file: "bag-info.txt", line: i + 1,
                                                     message: "the payload is \(size) bytes in \(payload.count) files, Payload-Oxum says \(octets) in \(count)"))
                damaged.append(full("bag-info.txt"))
            }
        }
    }

    /// Finds the package root, strips it, and checks METS (and a bag's manifest) against what was read.
    static func check(documents: [String: PackageDocument], files: [String: ReadPackage.FileDigest], displayName: String,
                      options: Options) throws(DiariumError) -> ReadPackage {
        var root: String
        if documents["METS.xml"] != nil || documents["bagit.txt"] != nil {
            root = ""
        } else {
            let tops = Set(files.keys.map { $0.split(separator: "/", maxSplits: 1).first.map(String.init) ?? $0 })
            guard tops.count == 1, let top = tops.first,
                  documents["\(top)/METS.xml"] != nil || documents["\(top)/bagit.txt"] != nil else {
                throw DiariumError.invalid("package", "\(displayName) is not an E-ARK package: no METS.xml at its top or in its one root folder")
            }
            root = top
        }
        func strip(_ path: String, _ prefix: String) -> String? {
            if prefix.isEmpty { return path }
            return path.hasPrefix(prefix + "/") ? String(path.dropFirst(prefix.count + 1)) : nil
        }
        var diagnostics: [PackageDiagnostic] = []
        // Files missing or not matching what a manifest (the bag's, METS) says: see `ReadPackage.damagedFiles`.
        var damaged: [String] = []
        var isBag = false
        var bagFiles = files
        if documents[root.isEmpty ? "bagit.txt" : "\(root)/bagit.txt"] != nil {
            isBag = true
            let bagRoot = root
            root = bagRoot.isEmpty ? "data" : "\(bagRoot)/data"
            let manifestName = bagRoot.isEmpty ? "manifest-sha256.txt" : "\(bagRoot)/manifest-sha256.txt"
            guard let manifest = documents[manifestName] else {
                throw DiariumError.invalid("package", "the bag in \(displayName) has no manifest-sha256.txt")
            }
            var listed: Set<String> = []
            // RFC 8493: lines end in LF, CRLF or CR ("\r\n" is one Character, so split on all three); checksum and path
            // are separated by spaces or tabs.
            let lines = Self.bagLines(try manifest.bytes(upTo: options.maxDocumentBytes, path: manifestName))
            for (i, line) in lines.enumerated() where !line.isEmpty {
                guard let (checksum, relative) = Self.manifestEntry(line) else {
                    diagnostics.append(PackageDiagnostic(file: "manifest-sha256.txt", line: i + 1, message: "malformed manifest line"))
                    continue
                }
                // RFC 8493 §2.1.3: a payload file's path, under data/, relative: never a way out of the bag.
                guard relative.hasPrefix("data/"), Self.isBagPath(relative) else {
                    diagnostics.append(PackageDiagnostic(file: "manifest-sha256.txt", line: i + 1,
                                                         message: "'\(relative)' is not the path of a payload file (data/…, relative, without . or ..)"))
                    continue
                }
                let full = bagRoot.isEmpty ? relative : "\(bagRoot)/\(relative)"
                listed.insert(full)
                guard let found = files[full] else {
                    diagnostics.append(PackageDiagnostic(file: "manifest-sha256.txt", line: i + 1, message: "\(relative) is missing from the bag"))
                    damaged.append(full)
                    continue
                }
                if found.sha256 != checksum.lowercased() {
                    diagnostics.append(PackageDiagnostic(file: "manifest-sha256.txt", line: i + 1,
                                                         message: "\(relative): SHA-256 is \(found.sha256), the manifest says \(checksum)"))
                    damaged.append(full)
                }
            }
            for path in files.keys where strip(path, root) != nil && !listed.contains(path) {
                diagnostics.append(PackageDiagnostic(file: "manifest-sha256.txt", message: "\(path) is in the bag's payload but not in its manifest"))
            }
            try checkTagFiles(bagRoot: bagRoot, root: root, documents: documents, files: files, options: options,
                              diagnostics: &diagnostics, damaged: &damaged)
            bagFiles = files
        }
        var relativeFiles: [String: ReadPackage.FileDigest] = [:]
        var relativeDocuments: [String: PackageDocument] = [:]
        for (path, digest) in bagFiles {
            guard let relative = strip(path, root) else {
                if !isBag {
                    diagnostics.append(PackageDiagnostic(file: path, message: "file outside the package's root folder '\(root)'"))
                }
                continue
            }
            relativeFiles[relative] = digest
            if let bytes = documents[path] { relativeDocuments[relative] = bytes }
        }
        guard let metsDocument = relativeDocuments["METS.xml"] else {
            throw DiariumError.invalid("package", "\(displayName) has no METS.xml in its package root")
        }
        // The document (and so its temp file) is kept until its parse ends.
        let (rootManifest, metsDiagnostics) = try withExtendedLifetime(metsDocument) { () throws(DiariumError) in
            try METSManifest.read(metsDocument.xml, maxEntries: options.limits.maxEntries)
        }
        diagnostics += metsDiagnostics
        guard var manifest = rootManifest else {
            throw PackageInvalid.error(diagnostics, displayName: displayName)
        }
        // CSIP: a representation may have a METS of its own, listed in the root's file section under the
        // representation's USE; it lists the representation's files, relative to its folder, with their fixity.
        // One damaged on the way is not read (its damage is reported below, and the package is refused as damaged, not
        // as invalid for what its broken bytes say); neither are the files it would list said to be unlisted.
        var unreadFolders: [String] = []
        for entry in manifest.files where entry.use.hasPrefix("Representations") && entry.path.hasSuffix("/METS.xml") {
            guard let document = relativeDocuments[entry.path] else { continue }   // missing: reported below
            let folder = Paths.parent(of: entry.path)
            if let found = relativeFiles[entry.path],
               entry.size.map({ $0 != found.size }) ?? false || entry.sha256.map({ $0 != found.sha256 }) ?? false {
                unreadFolders.append(folder + "/")
                continue
            }
            let (representation, problems) = try withExtendedLifetime(document) { () throws(DiariumError) in
                try METSManifest.read(document.xml, file: entry.path, maxEntries: options.limits.maxEntries)
            }
            diagnostics += problems
            guard let representation else { continue }
            // Some tools list a representation's files in the root METS as well: the same file twice is one file.
            var known = Dictionary(manifest.all.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
            func adding(_ given: METSManifest.Entry, use: String?) -> METSManifest.Entry? {
                var added = given
                added.path = "\(folder)/\(given.path)"
                added.listedIn = entry.path
                if let use { added.use = use }
                if let earlier = known[added.path] {
                    let same = earlier.size == added.size && earlier.sha256 == added.sha256
                    diagnostics.append(PackageDiagnostic(same ? .warning : .error, file: entry.path, line: given.line,
                                                         message: "\(added.path) is listed in \(earlier.listedIn) too"
                                                             + (same ? "" : ", with another SIZE or CHECKSUM")))
                    return nil
                }
                known[added.path] = added
                return added
            }
            // Its data are the representation's files; its other groups (schemas, documentation) are not content.
            for file in representation.files {
                if let added = adding(file, use: file.use.lowercased() == "data" ? entry.use : nil) { manifest.files.append(added) }
            }
            for metadata in representation.metadata {
                if let added = adding(metadata, use: nil) { manifest.metadata.append(added) }
            }
        }
        var listed: Set<String> = ["METS.xml"]
        for entry in manifest.all {
            listed.insert(entry.path)
            guard let found = relativeFiles[entry.path] else {
                diagnostics.append(PackageDiagnostic(file: entry.listedIn, line: entry.line, message: "\(entry.path) is listed but not in the package"))
                damaged.append(entry.path)
                continue
            }
            if let size = entry.size, size != found.size {
                diagnostics.append(PackageDiagnostic(file: entry.listedIn, line: entry.line,
                                                     message: "\(entry.path) is \(found.size) bytes, METS says SIZE \(size)"))
                damaged.append(entry.path)
            } else if let sha256 = entry.sha256, sha256 != found.sha256 {
                diagnostics.append(PackageDiagnostic(file: entry.listedIn, line: entry.line,
                                                     message: "\(entry.path) has SHA-256 \(found.sha256), METS says \(sha256)"))
                damaged.append(entry.path)
            }
        }
        // PREMIS's fixity of the files METS found sound, from PREMIS documents METS found sound (a damaged file is
        // reported once, as damaged). A file PREMIS contradicts counts as damaged, as one the ERMS contradicts does:
        // its bytes are not those the exporter described.
        let damagedPaths = Set(damaged)
        let sound = relativeFiles.filter { !damagedPaths.contains($0.key) }
        for entry in manifest.metadata where entry.metadataType?.uppercased().hasPrefix("PREMIS") == true && !damagedPaths.contains(entry.path) {
            guard let document = relativeDocuments[entry.path] else { continue }
            let (problems, contradicted) = try withExtendedLifetime(document) { () throws(DiariumError) in
                try PREMISFixity.check(document.xml, file: entry.path, files: sound)
            }
            diagnostics += problems
            damaged += contradicted
        }
        for path in relativeFiles.keys.sorted() where !listed.contains(path) && !unreadFolders.contains(where: { path.hasPrefix($0) }) {
            // A representation METS the root does not list: its files are not checked, so neither is it read.
            diagnostics.append(PackageDiagnostic(.warning, file: path, message: "not listed in METS.xml; ignored"))
        }
        return ReadPackage(root: root, isBag: isBag, manifest: manifest, documents: relativeDocuments, files: relativeFiles,
                           diagnostics: diagnostics, damagedFiles: damaged)
    }
}

/// Turns error diagnostics into one domain error whose message lists them (`path:line: message`).
public enum PackageInvalid {
    /// `damaged`: every problem is a file missing or not matching what the package says of it (a copy cut off or
    /// changed on the way, which the same package sent again may not have): `unreadableFile`, "damaged or
    /// incomplete". Else `invalidField`.
    public static func error(_ diagnostics: [PackageDiagnostic], displayName: String, damaged: Bool = false) -> DiariumError {
        let errors = diagnostics.filter { $0.severity == .error }
        var lines = errors.prefix(20).map { "  " + $0.description }
        if errors.count > 20 { lines.append("  … and \(errors.count - 20) more") }
        let problems = "(\(errors.count) problem\(errors.count == 1 ? "" : "s")):\n" + lines.joined(separator: "\n")
        return damaged ? DiariumError(.unreadableFile, "package \(displayName) is damaged or incomplete " + problems, field: "package")
                       : DiariumError(.invalidField, "package \(displayName) is invalid " + problems, field: "package")
    }

    /// The error for a read package with problems (see `ReadPackage.damagedFiles`).
    public static func error(_ package: ReadPackage, displayName: String) -> DiariumError {
        error(package.diagnostics, displayName: displayName,
              damaged: !package.damagedFiles.isEmpty && package.errors.count == package.damagedFiles.count)
    }
}
