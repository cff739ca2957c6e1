import DiariumCore
import DiariumPackage

/// Tells content's PRONOM format from its bytes, for the preservation metadata of an export.
///
/// A hand-written subset of PRONOM's signatures (release v109, the one DROID and fido used in 2026) for what a
/// municipality registers: PDF by version and PDF/A by part and conformance, OOXML and ODF documents (by their
/// parts, as DROID's container signatures read them), PNG, JPEG (JFIF, Exif), GIF, TIFF, ZIP, XML, XSD and HTML;
/// plain text, CSV, TSV and Markdown by their extension, as PRONOM has no signature for them. Anything else, and
/// anything whose bytes do not match (a PDF without its end marker, a truncated PNG, an ODF version PRONOM does not
/// know), is left unidentified: no PUID is better than a wrong one. Word, Excel and PowerPoint 97–2003 are told by
/// their compound file's streams (`CompoundFile`), RTF 0–1.9 by its header. Not told apart: PDF/X and PDF/E, DNG, GeoTIFF,
/// OOXML, Word 97 and Excel 97 templates, encrypted Word 97, Works, EPUB.
///
/// `FormatSniffer` watches the bytes as they are copied (an export reads each file once); `identify(path:)` reads a
/// file through one.
public enum FormatIdentifier {
    /// Names these signatures in the catalog, beside each format identified with them. Raise it when a signature
    /// is added or corrected: `diarium formats identify` then looks again at content identified with another.
    public static let release = "diarium-pronom-v109-1"

    /// Bytes kept from each end; the PRONOM signatures used here look no further (the PDF/A marker is searched for
    /// through the whole stream).
    static let headBytes = 128 << 10
    static let tailBytes = 132 << 10

    /// The format of the file at `path`, or nil when none of the signatures matches or it cannot be read.
    public static func identify(path: String, originalName: String, mediaType: String) -> FileFormat? {
        (try? identifyFile(at: path, originalName: originalName, mediaType: mediaType)) ?? nil
    }

    /// The format of the file at `path`, or nil when none of the signatures matches; an error when the file cannot
    /// be read, which must not pass for "no signature matched" (that is recorded, and not looked at again).
    public static func identifyFile(at path: String, originalName: String, mediaType: String) throws(DiariumError) -> FileFormat? {
        var sniffer = FormatSniffer()
        do throws(ExtractionStop) {
            let file = try InputFile(path: path, displayName: originalName)
            while true {
                let chunk = try file.read(upTo: 1 << 20)
                if chunk.isEmpty { break }
                chunk.withUnsafeBytes { sniffer.consume($0) }
            }
        } catch {
            throw DiariumError(.unreadableFile, "cannot identify the format of \(originalName): \(error.message)", field: "file")
        }
        return try sniffer.finishReading(path: path, originalName: originalName, mediaType: mediaType)
    }

    struct Probe {
        let head: [UInt8]
        let tail: [UInt8]
        /// The same bytes as a file, for what needs to seek: a zip's parts, a PNG's chunks.
        let path: String
        /// PDF/A's part and conformance, when the stream was a PDF and named them.
        let pdfa: (part: Int, conformance: UInt8)?
        /// Set when `path` could not be opened again: "no signature matched" would then be a guess.
        var reopenFailed = ReopenFailure()
    }

    /// Whether a probe's file could not be opened again (out of descriptors, a read error …), as distinct from bytes
    /// that match no signature. A class so that the probe's readers, which take it by value, can say so.
    final class ReopenFailure {
        var happened = false
    }

    /// The probe's file, opened again; nil, and the failure noted, when it cannot be.
    static func reopen(_ p: Probe) -> InputFile? {
        do { return try InputFile(path: p.path, displayName: "content") } catch {
            p.reopenFailed.happened = true
            return nil
        }
    }

    static func identify(_ p: Probe, originalName: String, mediaType: String) -> FileFormat? {
        // A zip first: one that stores a PDF as its first part would otherwise pass for the PDF.
        if find([0x50, 0x4B, 0x03, 0x04], in: p.head, from: 0, to: 8) != nil { return zip(p) }
        if starts(p.head, CompoundFile.signature) { return compound(p) }
        if let found = pdf(p) ?? png(p) ?? jpeg(p) ?? gif(p) ?? tiff(p) ?? rtf(p) ?? xml(p) ?? html(p) { return found }
        return byExtension(originalName, mediaType: mediaType, head: p.head)
    }

    // MARK: PDF

    /// A PDF 1.x header within the first 144 bytes: the PDF/A signatures' condition, and whether the whole stream is
    /// searched for their XMP identification.
    static func isPDF1(_ head: [UInt8]) -> Bool {
        var from = 0
        while let at = find("%PDF-1.", in: head, from: from, to: 144 + 7) {
            if at + 7 < head.count, (0x30...0x37).contains(head[at + 7]) { return true }
            from = at + 1
        }
        return false
    }

    /// The PUID of PDF/A part `part` with conformance `conformance`, if PRONOM has one.
    static func pdfaPUID(_ part: Int, _ conformance: UInt8) -> String? {
        switch (part, conformance) {
        case (1, UInt8(ascii: "A")): "fmt/95"
        case (1, UInt8(ascii: "B")): "fmt/354"
        case (2, UInt8(ascii: "A")): "fmt/476"
        case (2, UInt8(ascii: "B")): "fmt/477"
        case (2, UInt8(ascii: "U")): "fmt/478"
        case (3, UInt8(ascii: "A")): "fmt/479"
        case (3, UInt8(ascii: "B")): "fmt/480"
        case (3, UInt8(ascii: "U")): "fmt/481"
        default: nil
        }
    }

    static func pdf(_ p: Probe) -> FileFormat? {
        let head = p.head
        if let (part, conformance) = p.pdfa, let puid = pdfaPUID(part, conformance) { return format(puid) }
        // A PDF version: the header, and "%%EOF" within the last KiB (a truncated PDF is not one).
        if starts(head, "%PDF-1."), head.count > 7, (0x30...0x36).contains(head[7]), endMarker(p.tail, slack: 1024) {
            return format(["fmt/14", "fmt/15", "fmt/16", "fmt/17", "fmt/18", "fmt/19", "fmt/20"][Int(head[7] - 0x30)])
        }
        if (starts(head, "%PDF-1.7") || (head.count > 1 && starts(head[1...], "%PDF-1.7"))), endMarker(p.tail, slack: 1024, lineEnds: true) {
            return format("fmt/276")
        }
        if find("%PDF-2.0", in: head, from: 0, to: 4096 + 8) != nil, endMarker(p.tail, slack: 1024) {
            return format("fmt/1129")
        }
        return nil
    }

    /// "%%EOF" followed by at most `slack` bytes; with `lineEnds`, by a line end first (PRONOM's PDF 1.7 signature).
    static func endMarker(_ tail: [UInt8], slack: Int, lineEnds: Bool = false) -> Bool {
        guard let at = findLast("%%EOF", in: tail, from: max(0, tail.count - slack - 5 - (lineEnds ? 2 : 0))) else { return false }
        var after = tail.count - at - 5
        if lineEnds {
            let rest = tail[(at + 5)...]
            if starts(rest, "\r\n") || starts(rest, "\r\0") { after -= 2 } else if starts(rest, "\n") || starts(rest, "\r") { after -= 1 }
        }
        return after <= slack
    }

    // MARK: Images

    static func png(_ p: Probe) -> FileFormat? {
        guard starts(p.head, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52]) else { return nil }
        let iend: [UInt8] = [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]
        guard let at = findLast(iend, in: p.tail, from: max(0, p.tail.count - iend.count - 4)),
              let file = reopen(p) else { return nil }
        let exactEnd = at + iend.count == p.tail.count
        // The chunk types, walked from header to header (the signatures look for the names anywhere).
        var types: Set<String> = []
        var offset: Int64 = 8
        var chunks = 0
        while offset + 8 <= file.size, chunks < 100_000 {
            chunks += 1
            guard let header = try? file.read(at: offset, count: 8), header.count == 8 else { return nil }
            let length = Int64(header[0]) << 24 | Int64(header[1]) << 16 | Int64(header[2]) << 8 | Int64(header[3])
            let type = String(decoding: header[4...], as: UTF8.self)
            if type == "IEND" { break }
            types.insert(type)
            offset += 12 + length
        }
        if exactEnd, types.contains("iTXt") { return format("fmt/13") }
        if exactEnd, !types.isDisjoint(with: ["iCCP", "sPLT", "sRGB"]) { return format("fmt/12") }
        return format("fmt/11")
    }

    static func jpeg(_ p: Probe) -> FileFormat? {
        let h = p.head
        guard starts(h, [0xFF, 0xD8, 0xFF]) else { return nil }
        func ends(within slack: Int) -> Bool { findLast([0xFF, 0xD9], in: p.tail, from: max(0, p.tail.count - slack - 2)) != nil }
        if h.count > 13, h[3] == 0xE0, starts(h[6...], "JFIF\0"), h[11] == 1, h[12] <= 2, h[13] <= 2, ends(within: 65536) {
            return format(["fmt/42", "fmt/43", "fmt/44"][Int(h[12])])
        }
        if h.count > 16, h[3] == 0xE1, starts(h[6...], "Exif\0\0"), let order = ByteOrder(h[12..<16]),
           let version = exifVersion(h, order: order, from: 16, to: h.count) {
            let bigEndian = order == .bigEndian
            let candidate: (String, Int)? = switch version {
            case "0200": ("x-fmt/398", bigEndian ? 65536 : 16000)
            case "0210": ("x-fmt/390", 16000)
            case "0220": ("x-fmt/391", 131072)
            case "0221": ("fmt/645", 65536)
            default: version.hasPrefix("023") ? ("fmt/1507", 131072) : nil
            }
            if let (puid, slack) = candidate, ends(within: slack) { return format(puid) }
        }
        return ends(within: 65536) ? format("fmt/41") : nil
    }

    enum ByteOrder {
        case littleEndian, bigEndian

        init?(_ bytes: some Collection<UInt8>) {
            switch Array(bytes) {
            case [0x49, 0x49, 0x2A, 0]: self = .littleEndian
            case [0x4D, 0x4D, 0, 0x2A]: self = .bigEndian
            default: return nil
            }
        }

        /// The ExifVersion tag (0x9000, type UNDEFINED, count 4) as its value's prefix.
        var exifVersionTag: [UInt8] {
            switch self {
            case .littleEndian: [0, 0x90, 0x07, 0, 0x04, 0, 0, 0]
            case .bigEndian: [0x90, 0, 0, 0x07, 0, 0, 0, 0x04]
            }
        }
    }

    /// The ExifVersion tag's value ("0220"), where PRONOM's signatures look for it: its bytes starting in
    /// `from..<to` of `bytes`.
    static func exifVersion(_ bytes: [UInt8], order: ByteOrder, from: Int, to: Int) -> String? {
        var start = from
        while let at = find(order.exifVersionTag, in: bytes, from: start, to: min(to + 8, bytes.count)), at < to {
            start = at + 1
            guard at + 12 <= bytes.count else { return nil }
            let value = bytes[(at + 8)..<(at + 12)]
            if value.allSatisfy({ (0x30...0x39).contains($0) }) { return String(decoding: value, as: UTF8.self) }
        }
        return nil
    }

    static func gif(_ p: Probe) -> FileFormat? {
        guard starts(p.head, "GIF87a") || starts(p.head, "GIF89a"),
              findLast(";", in: p.tail, from: max(0, p.tail.count - 5)) != nil else { return nil }
        return format(p.head[4] == UInt8(ascii: "7") ? "fmt/3" : "fmt/4")
    }

    /// TIFF, and the uncompressed Exif that PRONOM tells apart by the ExifVersion tag: within the first 64 KiB (128 KiB
    /// for 2.2), or as near the end, where writers that put the directory after the image leave it.
    static func tiff(_ p: Probe) -> FileFormat? {
        guard let order = ByteOrder(p.head.prefix(4)) else { return nil }
        let versions: [(value: String, reach: Int, puid: String)] = [
            ("0220", 131072, "x-fmt/387"), ("0210", 65535, "x-fmt/388"), ("0200", 65535, "x-fmt/399"),
        ]
        for (value, reach, puid) in versions {
            if exifVersion(p.head, order: order, from: 10, to: reach + 1) == value { return format(puid) }
            // Near the end: the tag and its value, then at most `reach` bytes.
            let from = max(0, p.tail.count - reach - 12)
            if exifVersion(p.tail, order: order, from: from, to: p.tail.count) == value { return format(puid) }
        }
        return format("fmt/353")
    }

    // MARK: Zip containers

    /// What DROID's container signatures look for in `[Content_Types].xml` (OOXML), most specific first.
    static let openXMLTypes: [(contentType: String, puid: String)] = [
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", "fmt/412"),
        ("application/vnd.ms-word.document.macroEnabled.main+xml", "fmt/523"),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", "fmt/214"),
        ("application/vnd.ms-excel.sheet.macroEnabled.main+xml", "fmt/445"),
        ("application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml", "fmt/215"),
        ("application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml", "fmt/629"),
    ]
    /// ODF: the media type of the manifest's root entry, and the PUIDs of its versions by `office:version` (none
    /// given means 1.1).
    static let openDocumentTypes: [(mediaType: String, puids: [String?: String])] = [
        ("application/vnd.oasis.opendocument.text", ["1.0": "fmt/136", "1.1": "fmt/290", nil: "fmt/290", "1.2": "fmt/291", "1.3": "fmt/1756"]),
        ("application/vnd.oasis.opendocument.spreadsheet", ["1.0": "fmt/137", "1.1": "fmt/294", nil: "fmt/294", "1.2": "fmt/295", "1.3": "fmt/1755"]),
        ("application/vnd.oasis.opendocument.presentation", ["1.0": "fmt/138", "1.1": "fmt/292", nil: "fmt/292", "1.2": "fmt/293", "1.3": "fmt/1754"]),
    ]
    /// The parts read are small; a zip whose entries would make the reader inflate more is not looked into.
    static let containerLimits = ArchiveLimits(maxEntries: 10_000, maxEntryBytes: 8 << 20, maxTotalBytes: 8 << 20)
    static let partPrefix = 1 << 20

    static func zip(_ p: Probe) -> FileFormat? {
        // PRONOM's ZIP signature wants the central directory's last header and its end record near the end. Without
        // them libarchive would read the file as a stream, inflating every entry it skips: not for a guess.
        let t = p.tail
        guard let end = findLast([0x50, 0x4B, 0x05, 0x06], in: t, from: max(0, t.count - 4 - 65531), before: t.count - 4 - 18 + 1),
              findLast([0x50, 0x4B, 0x01], in: t, from: max(0, end - 65531 - 3), before: end - 43 - 3 + 1) != nil
        else { return nil }
        switch container(p) {
        case .identified(let format): return format
        case .plain: return format("x-fmt/263")
        case .unknown: return nil
        }
    }

    enum Container {
        case identified(FileFormat)
        /// A zip of no office kind.
        case plain
        /// An office package of a kind not told here, or one that could not be read: no PUID rather than "ZIP".
        case unknown
    }

    static func container(_ p: Probe) -> Container {
        // A zip libarchive cannot open is not a container we know, unless the file itself cannot be opened.
        guard let reader = try? ArchiveReader(path: p.path, limits: containerLimits, refuseUnsafeEntries: false) else {
            _ = reopen(p)   // notes it when the file itself cannot be opened
            return .unknown
        }
        var contentTypes: [UInt8]?
        var manifest: [UInt8]?
        var content: [UInt8]?
        var declaresType = false
        do {
            while let entry = try reader.nextEntry() {
                guard entry.kind == .file else { continue }
                switch entry.path {
                case "[Content_Types].xml": contentTypes = try reader.readPrefix(partPrefix + 1)
                case "META-INF/manifest.xml": manifest = try reader.readPrefix(partPrefix + 1)
                case "content.xml": content = try reader.readPrefix(64 << 10)
                // EPUB and other zip-based formats say what they are in a `mimetype` part: not a plain zip.
                case "mimetype": declaresType = true
                default: break
                }
                if contentTypes != nil || (manifest != nil && content != nil) { break }
            }
        } catch {
            return .unknown
        }
        if let contentTypes {
            for (type, puid) in openXMLTypes {
                let needle = "ContentType=\"\(type)\""
                // Also in UTF-16, either way round, as DROID's signatures allow.
                let little = needle.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
                let big = needle.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
                for form in [Array(needle.utf8), little, big] where find(form, in: contentTypes, from: 0, to: contentTypes.count) != nil {
                    return .identified(format(puid, basis: .container))
                }
            }
            return .unknown
        }
        if let manifest {
            guard let type = rootMediaType(manifest), let content,
                  find("office:document-content", in: content, from: 0, to: 128 + 23) != nil,
                  let puids = openDocumentTypes.first(where: { $0.mediaType == type })?.puids,
                  let version = officeVersion(content), let puid = puids[version] else { return .unknown }
            return .identified(format(puid, basis: .container))
        }
        return declaresType ? .unknown : .plain
    }

    /// The media type of the manifest's entry for the package itself (`manifest:full-path="/"`); embedded objects
    /// have entries of their own.
    static func rootMediaType(_ manifest: [UInt8]) -> String? {
        var from = 0
        while let start = find("<manifest:file-entry", in: manifest, from: from, to: manifest.count) {
            guard let tag = startTag(manifest, at: start) else { return nil }
            from = tag.end
            if tag.attributes["manifest:full-path"] == "/" { return tag.attributes["manifest:media-type"] }
        }
        return nil
    }

    /// `office:version` of the document's root element: .some(nil) when it has none, nil when its start tag cannot be
    /// read (so that an unreadable version is not taken for 1.1).
    static func officeVersion(_ content: [UInt8]) -> String?? {
        guard let root = find("<office:document-content", in: content, from: 0, to: content.count),
              let tag = startTag(content, at: root) else { return nil }
        return .some(tag.attributes["office:version"])
    }

    /// The attributes of the start tag at `at` (its "<") and the index after it; nil when it is not well-formed within
    /// `bytes`. Whitespace around "=" and before each name is XML's (space, tab, CR, LF); a value may hold ">".
    static func startTag(_ bytes: [UInt8], at: Int) -> (attributes: [String: String], end: Int)? {
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
        var i = at + 1
        while i < bytes.count, !isSpace(bytes[i]), bytes[i] != UInt8(ascii: ">"), bytes[i] != UInt8(ascii: "/") { i += 1 }
        var attributes: [String: String] = [:]
        while true {
            while i < bytes.count, isSpace(bytes[i]) { i += 1 }
            guard i < bytes.count else { return nil }
            if bytes[i] == UInt8(ascii: ">") { return (attributes, i + 1) }
            if bytes[i] == UInt8(ascii: "/") {
                guard i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: ">") else { return nil }
                return (attributes, i + 2)
            }
            let nameStart = i
            while i < bytes.count, !isSpace(bytes[i]), bytes[i] != UInt8(ascii: "="), bytes[i] != UInt8(ascii: ">") { i += 1 }
            let name = String(decoding: bytes[nameStart..<i], as: UTF8.self)
            while i < bytes.count, isSpace(bytes[i]) { i += 1 }
            guard i < bytes.count, bytes[i] == UInt8(ascii: "="), !name.isEmpty else { return nil }
            i += 1
            while i < bytes.count, isSpace(bytes[i]) { i += 1 }
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'"),
                  let close = bytes[(i + 1)...].firstIndex(of: bytes[i]) else { return nil }
            attributes[name] = String(decoding: bytes[(i + 1)..<close], as: UTF8.self)
            i = close + 1
        }
    }

    // MARK: Compound files (OLE2)

    /// Word, Excel and PowerPoint 97–2003 (and Word 6.0/95, Excel 5.0/95) by the streams at their root, as DROID's
    /// container signatures tell them. Templates, password-protected Word files and Works spreadsheets, which PRONOM
    /// names apart, are left unidentified rather than called documents.
    static func compound(_ p: Probe) -> FileFormat? {
        guard let file = reopen(p), let cfb = CompoundFile(file) else { return nil }
        if let word = cfb.read("WordDocument", upTo: 12) {
            // CompObj names the application: `10 00 00 00 'Word.Document.8' 00` between offsets 40 and 1024.
            if let compObj = cfb.read("CompObj", upTo: 1024 + 20) {
                for (version, puid) in [("8", "fmt/40"), ("6", "fmt/39"), ("7", "fmt/39")] {
                    let mark = [0x10, 0, 0, 0] + Array("Word.Document.\(version)".utf8) + [0]
                    guard let at = find(mark, in: compObj, from: 40, to: compObj.count), at <= 1024 else { continue }
                    // Word 97's header flags: template (fDot, byte 10) and encrypted (fEncrypted, byte 11).
                    if version == "8", (word.count > 10 && word[10] & 1 == 1) || (word.count > 11 && word[11] & 1 == 1) { return nil }
                    return format(puid, basis: .container)
                }
            }
            return format("fmt/609", basis: .container)
        }
        // A BIFF workbook begins with its BOF record: 09 08, then within four bytes its version (0x0600 for Excel 97).
        for (stream, versions) in [("Workbook", [(6, "fmt/61")]), ("Book", [(6, "fmt/61"), (5, "fmt/59")])] {
            guard let start = cfb.read(stream, upTo: 128 + 15), starts(start, [0x09, 0x08]) else { continue }
            for (version, puid) in versions {
                guard let at = find([0, UInt8(version), 5, 0], in: start, from: 2, to: 10) else { continue }
                // An Excel template's BOF goes on with its marks; a Works spreadsheet names itself.
                let template: [UInt8] = [0x60, 0, 0, 0, 0xE1, 0, 0x02, 0, 0xB0, 0x04]
                let works = Array("MS Works".utf8), works16 = "MS Works".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }.dropLast()
                if find(template, in: start, from: at + 4, to: at + 4 + 32 + template.count) != nil
                    || find(works, in: start, from: 1, to: 128 + works.count) != nil
                    || find(Array(works16), in: start, from: 1, to: 128 + works16.count) != nil { return nil }
                return format(puid, basis: .container)
            }
        }
        if cfb.stream("PowerPoint Document") != nil { return format("fmt/126", basis: .container) }
        return nil
    }

    // MARK: RTF

    /// RTF by the version its header shows, as PRONOM's signatures read the first 128 KiB: 1.9 (Word 2007 on) and 1.8
    /// by their keywords after the style sheet defaults, 1.7 by those defaults, 1.5–1.6 by `\ansicpg`, 1.0–1.4 and 0 by
    /// the header alone. Each later version takes priority.
    static func rtf(_ p: Probe) -> FileFormat? {
        let h = p.head
        guard starts(h, "{\\rt") else { return nil }
        let defaults = { (gap: ClosedRange<Int>) in
            prefixEnds(h, gap: 0...15, backslash: false).compactMap { styleDefaultsEnd(h, from: $0 + 3, gap: gap) }.min()
        }
        if let end = defaults(1...5),
           ["\\*\\colorschememapping", "\\afelev", "\\*\\datastore", "\\*\\defchp"].contains(where: { find($0, in: h, from: end, to: h.count) != nil }) {
            return format("fmt/355")
        }
        if let end = defaults(1...4), find("\\lsdstimax", in: h, from: end, to: h.count) != nil { return format("fmt/53") }
        if prefixEnds(h, gap: 0...0, backslash: true).contains(where: { styleDefaultsEnd(h, from: $0 + 3, gap: 1...4) != nil }) {
            return format("fmt/52")
        }
        if !prefixEnds(h, gap: 0...1, backslash: true).isEmpty { return format("fmt/50") }
        for version in ["f", "f1"] {
            for charset in ["ansi", "mac", "pc"] where starts(h, "{\\rt\(version)\\\(charset)") { return format("fmt/45") }
        }
        for charset in ["ansi", "mac", "pc"] where starts(h, "{\\rtf0\\\(charset)") { return format("fmt/969") }
        return nil
    }

    /// Where `{\rtf1` (or `{\rtf`), `gap` bytes, a backslash if asked, a charset (ansi, mac, pc, pca) and
    /// `\ansicpg` end: every way the header can be read so.
    static func prefixEnds(_ h: [UInt8], gap: ClosedRange<Int>, backslash: Bool) -> [Int] {
        var ends: [Int] = []
        for opening in ["{\\rtf", "{\\rtf1"] where starts(h, opening) {
            for g in gap {
                var at = opening.utf8.count + g
                if backslash {
                    guard at < h.count, h[at] == UInt8(ascii: "\\") else { continue }
                    at += 1
                }
                for charset in ["ansi", "mac", "pca", "pc"] where at <= h.count && starts(h[at...], charset + "\\ansicpg") {
                    ends.append(at + charset.utf8.count + 8)
                }
            }
        }
        return ends
    }

    /// The end of the first `\stshfdbch…\stshfloch…\stshfhich…\stshfbi` run at or after `from`, each keyword
    /// `gap` bytes after the one before (its value between).
    static func styleDefaultsEnd(_ h: [UInt8], from: Int, gap: ClosedRange<Int>) -> Int? {
        var start = from
        while let first = find("\\stshfdbch", in: h, from: start, to: h.count) {
            start = first + 1
            var ends = [first + 10]
            for keyword in ["\\stshfloch", "\\stshfhich", "\\stshfbi"] {
                ends = ends.flatMap { end in gap.compactMap { g in end + g <= h.count && starts(h[(end + g)...], keyword) ? end + g + keyword.utf8.count : nil } }
            }
            if let end = ends.min() { return end }
        }
        return nil
    }

    // MARK: Markup

    static func xml(_ p: Probe) -> FileFormat? {
        let h = p.head
        if let at = find("<?xml version=", in: h, from: 0, to: 3 + 14), at + 19 <= h.count,
           h[at + 14] == UInt8(ascii: "\"") || h[at + 14] == UInt8(ascii: "'"), starts(h[(at + 15)...], "1.0"),
           h[at + 18] == UInt8(ascii: "\"") || h[at + 18] == UInt8(ascii: "'") {
            // An XML Schema: it ends with the schema element.
            for end in ["</xsd:schema>", "</xs:schema>", "</schema>"]
            where findLast(end, in: p.tail, from: max(0, p.tail.count - end.utf8.count - 2)) != nil {
                return format("x-fmt/280")
            }
            return format("fmt/101")
        }
        if starts(h, "<?xml"), h.count > 5, h[5] == 0x20 || h[5] == 0x09, let v = find("version", in: h, from: 6, to: 6 + 30 + 7) {
            let rest = h[(v + 7)..<min(h.count, v + 7 + 100)]
            if let eq = rest.firstIndex(of: UInt8(ascii: "=")), eq - (v + 7) <= 30,
               let quote = rest[(eq + 1)...].firstIndex(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "'") }), quote - eq - 1 <= 30,
               starts(h[(quote + 1)...], "1.1"), quote + 4 < h.count, h[quote + 4] == UInt8(ascii: "\"") || h[quote + 4] == UInt8(ascii: "'") {
                return format("fmt/1776")
            }
        }
        return nil
    }

    static func html(_ p: Probe) -> FileFormat? {
        let h = p.head
        let window = min(h.count, 1024 + 200)
        for doctype in ["<!DOCTYPE", "<!doctype"] {
            var from = 0
            while let at = find(doctype, in: h, from: from, to: min(window, 1024 + 9)) {
                from = at + 1
                let after = at + 9
                // HTML5: "<!DOCTYPE html>", up to four bytes before the name.
                for gap in 0...4 where starts(h[min(h.count, after + gap)...], "html>") || starts(h[min(h.count, after + gap)...], "HTML>") {
                    return format("fmt/471")
                }
                if let version = publicHTMLVersion(h, after: after) { return format(version) }
            }
        }
        guard find("<html", in: h, from: 0, to: 1024 + 5) != nil || find("<HTML", in: h, from: 0, to: 1024 + 5) != nil else { return nil }
        let from = max(0, p.tail.count - 1024 - 7)
        for end in ["</html>", "</HTML>", "</body>", "</BODY>"] where findLast(end, in: p.tail, from: from) != nil {
            return format("fmt/96")
        }
        return nil
    }

    /// `<!DOCTYPE HTML PUBLIC "-//…//DTD … HTML 4.01`: HTML 2.0 to 4.01 by their public identifiers.
    static func publicHTMLVersion(_ h: [UInt8], after: Int) -> String? {
        var i = after
        guard starts(h[min(h.count, i)...], " HTML ") || starts(h[min(h.count, i)...], " html ") else { return nil }
        i += 6
        guard starts(h[min(h.count, i)...], "PUBLIC \"-//") || starts(h[min(h.count, i)...], "public \"-//") else { return nil }
        i += 11
        guard let owner = find("//", in: h, from: i + 1, to: i + 18) else { return nil }
        i = owner + 2
        guard starts(h[min(h.count, i)...], "DTD ") || starts(h[min(h.count, i)...], "dtd ") else { return nil }
        i += 4
        for at in i...(i + 64) {
            let rest = h[min(h.count, at)...]
            guard starts(rest, "HTML ") || starts(rest, "html ") else { continue }
            let v = rest.dropFirst(5)
            if starts(v, "4.01") { return "fmt/100" }
            if starts(v, "4.0 ") || starts(v, "4.0/") { return "fmt/99" }
            if starts(v, "3.2") { return "fmt/98" }
            if starts(v, "2.0") { return "fmt/97" }
        }
        return nil
    }

    // MARK: Without a signature

    static func byExtension(_ name: String, mediaType: String, head: [UInt8]) -> FileFormat? {
        guard MediaTypes.plainText.contains(MediaTypes.essence(of: mediaType).lowercased()),
              let dot = name.lastIndex(of: ".") else { return nil }
        // Text, by the rule its charset is decided by.
        guard TextCharset.isText(head) else { return nil }
        let puid: String? = switch name[name.index(after: dot)...].lowercased() {
        case "txt": "x-fmt/111"
        case "csv": "x-fmt/18"
        case "tsv", "tab": "x-fmt/13"
        case "md", "markdown": "fmt/1149"
        default: nil
        }
        return puid.map { format($0, basis: .extension) }
    }

    // MARK: Registry

    /// PRONOM's names and versions (release v109) of the formats told here.
    static let registry: [String: (name: String, version: String?)] = [
        "x-fmt/13": ("Tab-separated values", nil),
        "x-fmt/18": ("Comma Separated Values", nil),
        "x-fmt/111": ("Plain Text File", nil),
        "x-fmt/263": ("ZIP Format", nil),
        "x-fmt/280": ("XML Schema Definition", nil),
        "fmt/14": ("Acrobat PDF 1.0 - Portable Document Format", "1.0"),
        "fmt/15": ("Acrobat PDF 1.1 - Portable Document Format", "1.1"),
        "fmt/16": ("Acrobat PDF 1.2 - Portable Document Format", "1.2"),
        "fmt/17": ("Acrobat PDF 1.3 - Portable Document Format", "1.3"),
        "fmt/18": ("Acrobat PDF 1.4 - Portable Document Format", "1.4"),
        "fmt/19": ("Acrobat PDF 1.5 - Portable Document Format", "1.5"),
        "fmt/20": ("Acrobat PDF 1.6 - Portable Document Format", "1.6"),
        "fmt/276": ("Acrobat PDF 1.7 - Portable Document Format", "1.7"),
        "fmt/1129": ("PDF 2.0 - Portable Document Format", "2.0"),
        "fmt/95": ("Acrobat PDF/A - Portable Document Format", "1a"),
        "fmt/354": ("Acrobat PDF/A - Portable Document Format", "1b"),
        "fmt/476": ("Acrobat PDF/A - Portable Document Format", "2a"),
        "fmt/477": ("Acrobat PDF/A - Portable Document Format", "2b"),
        "fmt/478": ("Acrobat PDF/A - Portable Document Format", "2u"),
        "fmt/479": ("Acrobat PDF/A - Portable Document Format", "3a"),
        "fmt/480": ("Acrobat PDF/A - Portable Document Format", "3b"),
        "fmt/481": ("Acrobat PDF/A - Portable Document Format", "3u"),
        "fmt/3": ("Graphics Interchange Format", "87a"),
        "fmt/4": ("Graphics Interchange Format", "89a"),
        "fmt/11": ("Portable Network Graphics", "1.0"),
        "fmt/12": ("Portable Network Graphics", "1.1"),
        "fmt/13": ("Portable Network Graphics", "1.2"),
        "fmt/41": ("Raw JPEG Stream", nil),
        "fmt/42": ("JPEG File Interchange Format", "1.00"),
        "fmt/43": ("JPEG File Interchange Format", "1.01"),
        "fmt/44": ("JPEG File Interchange Format", "1.02"),
        "x-fmt/398": ("Exchangeable Image File Format (Compressed)", "2.0"),
        "x-fmt/390": ("Exchangeable Image File Format (Compressed)", "2.1"),
        "x-fmt/391": ("Exchangeable Image File Format (Compressed)", "2.2"),
        "fmt/645": ("Exchangeable Image File Format (Compressed)", "2.2.1"),
        "fmt/1507": ("Exchangeable Image File Format (Compressed)", "2.3.x"),
        "fmt/353": ("Tagged Image File Format", nil),
        "x-fmt/399": ("Exchangeable Image File Format (Uncompressed)", "2.0"),
        "x-fmt/388": ("Exchangeable Image File Format (Uncompressed)", "2.1"),
        "x-fmt/387": ("Exchangeable Image File Format (Uncompressed)", "2.2"),
        "fmt/412": ("Microsoft Word for Windows", "2007 onwards"),
        "fmt/523": ("Macro enabled Microsoft Word Document OOXML", "2007 Onwards"),
        "fmt/214": ("Microsoft Excel for Windows", "2007 onwards"),
        "fmt/445": ("Microsoft Excel Macro-Enabled", "2007"),
        "fmt/215": ("Microsoft Powerpoint for Windows", "2007 onwards"),
        "fmt/629": ("Microsoft PowerPoint Show", "2007"),
        "fmt/136": ("OpenDocument Text", "1.0"),
        "fmt/290": ("OpenDocument Text", "1.1"),
        "fmt/291": ("OpenDocument Text", "1.2"),
        "fmt/1756": ("OpenDocument Text", "1.3"),
        "fmt/137": ("OpenDocument Spreadsheet", "1.0"),
        "fmt/294": ("OpenDocument Spreadsheet", "1.1"),
        "fmt/295": ("OpenDocument Spreadsheet", "1.2"),
        "fmt/1755": ("OpenDocument Spreadsheet", "1.3"),
        "fmt/138": ("OpenDocument Presentation", "1.0"),
        "fmt/292": ("OpenDocument Presentation", "1.1"),
        "fmt/293": ("OpenDocument Presentation", "1.2"),
        "fmt/1754": ("OpenDocument Presentation", "1.3"),
        "fmt/39": ("Microsoft Word Document", "6.0/95"),
        "fmt/40": ("Microsoft Word Document", "97-2003"),
        "fmt/609": ("Microsoft Word (Generic)", "6.0-2003"),
        "fmt/59": ("Microsoft Excel 5.0/95 Workbook (xls)", "5/95"),
        "fmt/61": ("Microsoft Excel 97 Workbook (xls)", "8"),
        "fmt/126": ("Microsoft Powerpoint Presentation", "97-2003"),
        "fmt/969": ("Rich Text Format", "0"),
        "fmt/45": ("Rich Text Format", "1.0-1.4"),
        "fmt/50": ("Rich Text Format", "1.5-1.6"),
        "fmt/52": ("Rich Text Format", "1.7"),
        "fmt/53": ("Rich Text Format", "1.8"),
        "fmt/355": ("Rich Text Format", "1.9"),
        "fmt/101": ("Extensible Markup Language", "1.0"),
        "fmt/1776": ("Extensible Markup Language", "1.1"),
        "fmt/96": ("Hypertext Markup Language", nil),
        "fmt/97": ("Hypertext Markup Language", "2.0"),
        "fmt/98": ("Hypertext Markup Language", "3.2"),
        "fmt/99": ("Hypertext Markup Language", "4.0"),
        "fmt/100": ("Hypertext Markup Language", "4.01"),
        "fmt/471": ("Hypertext Markup Language", "5"),
        "fmt/1149": ("Markdown", nil),
    ]

    static func format(_ puid: String, basis: FileFormat.Basis = .signature) -> FileFormat {
        let entry = registry[puid]!
        return FileFormat(puid: puid, name: entry.name, version: entry.version, basis: basis)
    }

    // MARK: Bytes

    static func starts(_ bytes: some Collection<UInt8>, _ prefix: String) -> Bool { starts(bytes, Array(prefix.utf8)) }

    static func starts(_ bytes: some Collection<UInt8>, _ prefix: [UInt8]) -> Bool {
        bytes.count >= prefix.count && Swift.zip(bytes, prefix).allSatisfy { $0 == $1 }
    }

    static func find(_ needle: String, in bytes: [UInt8], from: Int, to end: Int) -> Int? {
        find(Array(needle.utf8), in: bytes, from: from, to: end)
    }

    /// The first index in `from..<end` where `needle` starts and ends within `bytes`.
    static func find(_ needle: [UInt8], in bytes: [UInt8], from: Int, to end: Int) -> Int? {
        bytes.withUnsafeBytes { find(needle, in: $0, from: from, to: end) }
    }

    static func find(_ needle: [UInt8], in haystack: UnsafeRawBufferPointer, from: Int, to end: Int) -> Int? {
        ByteSearch.firstIndex(of: needle, in: haystack, from: from, to: end)
    }

    static func findLast(_ needle: String, in bytes: [UInt8], from: Int) -> Int? { findLast(Array(needle.utf8), in: bytes, from: from) }

    /// The last index at or after `from` (and before `before`) where `needle` starts.
    static func findLast(_ needle: [UInt8], in bytes: [UInt8], from: Int, before: Int? = nil) -> Int? {
        let limit = min(before.map { $0 - 1 } ?? bytes.count, bytes.count - needle.count)
        guard limit >= max(from, 0) else { return nil }
        var i = limit
        while i >= max(from, 0) {
            if bytes[i] == needle[0], starts(bytes[i...], needle) { return i }
            i -= 1
        }
        return nil
    }
}
