import DiariumCore
import DiariumPackage
import DiariumXML

/// OOXML (DOCX, XLSX, PPTX) and ODF (ODT, ODS, ODP): zip packages whose text lives in a few XML parts.
enum OfficePackage {
    enum Format: String {
        case docx, xlsx, pptx, odt, ods, odp

        /// A part every valid package of this kind has.
        var marker: String {
            switch self {
            case .docx: "word/document.xml"
            case .xlsx: "xl/workbook.xml"
            case .pptx: "ppt/presentation.xml"
            case .odt, .ods, .odp: "content.xml"
            }
        }

        /// Where a part's text goes (parts are joined in this order) and how to read it; nil for parts without text
        /// for the index.
        func part(_ name: String) -> (order: [Int], layout: TextLayout)? {
            switch self {
            case .docx:
                return name == "word/document.xml" ? ([0], OfficePackage.wordLayout) : nil
            case .xlsx:
                if name == "xl/sharedStrings.xml" { return ([0], OfficePackage.sharedStringsLayout) }
                return number(in: name, prefix: "xl/worksheets/sheet", suffix: ".xml").map { ([1, $0], OfficePackage.sheetLayout) }
            case .pptx:
                return number(in: name, prefix: "ppt/slides/slide", suffix: ".xml").map { ([$0], OfficePackage.slideLayout) }
            case .odt, .ods, .odp:
                return name == "content.xml" ? ([0], OfficePackage.openDocumentLayout) : nil
            }
        }
    }

    /// Decompressed size of one part: far above real documents, far below what a zip bomb would need.
    static let maxPartBytes = 64 << 20
    static let limits = ArchiveLimits(maxEntries: 10_000, maxEntryBytes: Int64(maxPartBytes), maxTotalBytes: 512 << 20)

    // w:t holds the text; w:instrText (field codes), w:delText (deleted text) and mc:Fallback (a copy of text boxes
    // for old readers) do not count.
    static let wordLayout = TextLayout(
        skipping: ["Fallback"], blockElements: ["p", "br", "cr"], spaceElements: ["tab"], textOnlyInside: ["t"])
    // Each si is one string; rPh holds phonetic readings (Japanese) that would duplicate it.
    static let sharedStringsLayout = TextLayout(skipping: ["rPh"], blockElements: ["si"], textOnlyInside: ["t"])
    // Only inline strings (is/t); numbers, formulas and shared-string indexes in v and f are not text.
    static let sheetLayout = TextLayout(skipping: ["f", "v"], blockElements: ["is"], textOnlyInside: ["t"])
    static let slideLayout = TextLayout(skipping: ["Fallback"], blockElements: ["p", "br"], textOnlyInside: ["t"])
    // text:s is a run of spaces, text:tab a tab; tracked changes hold deleted text.
    static let openDocumentLayout = TextLayout(
        skipping: ["tracked-changes"],
        blockElements: ["p", "h", "line-break", "list-item", "table-row"],
        spaceElements: ["s", "tab", "table-cell", "covered-table-cell"])

    static func extract(
        _ format: Format, path: String, displayName: String, into text: inout TextAccumulator
    ) throws(ExtractionStop) {
        let kind = format.rawValue.uppercased()
        var parts: [(order: [Int], text: String)] = []
        var sawMarker = false
        var dropped = false
        do throws(DiariumError) {
            // Names are only compared, never used as paths, so odd entries need not stop the whole document.
            let reader = try ArchiveReader(path: path, displayName: displayName, limits: limits, refuseUnsafeEntries: false)
            while let entry = try reader.nextEntry() {
                guard entry.kind == .file else { continue }
                if entry.path == format.marker { sawMarker = true }
                guard let (order, layout) = format.part(entry.path) else { continue }
                let bytes = try reader.readData(maxBytes: maxPartBytes)
                var partText = TextAccumulator(maxBytes: text.maxBytes)
                do throws(DiariumError) {
                    // Streamed: a tree of a part's 64 MiB could take gigabytes (a zip bomb of empty elements).
                    try partText.appendXMLText(bytes, layout: layout, maxInputBytes: maxPartBytes)
                } catch {
                    throw DiariumError(error.code, "\(entry.path): \(error.message)", field: error.field)
                }
                let part = partText.text   // first: bringing it to NFC can cut it
                if partText.isTruncated { dropped = true }
                parts.append((order, part))
                dropped = keepFirst(&parts, bytes: text.maxBytes) || dropped
            }
        } catch {
            throw .failed("\(kind) package: \(error.message)")
        }
        guard sawMarker else { throw .failed("not a valid \(kind) file: \(format.marker) is missing") }

        for part in parts.sorted(by: { $0.order.lexicographicallyPrecedes($1.order) }) {
            text.appendLineBreak()
            text.append(part.text)
        }
        if dropped { text.markTruncated() }
    }

    /// Parts arrive in zip order but are joined in document order: keep only the first ones (in document order)
    /// that can still fit, so memory stays near `bytes`. Returns whether any were dropped.
    private static func keepFirst(_ parts: inout [(order: [Int], text: String)], bytes: Int) -> Bool {
        var total = parts.reduce(0) { $0 + $1.text.utf8.count }
        guard total > bytes else { return false }
        parts.sort { $0.order.lexicographicallyPrecedes($1.order) }
        total = 0
        var keep = 0
        while keep < parts.count && total <= bytes {
            total += parts[keep].text.utf8.count + 1
            keep += 1
        }
        let dropped = keep < parts.count
        parts.removeLast(parts.count - keep)
        return dropped
    }
}

/// The N in `prefix` N `suffix` ("ppt/slides/slide12.xml" → 12).
private func number(in name: String, prefix: String, suffix: String) -> Int? {
    guard name.hasPrefix(prefix), name.hasSuffix(suffix), name.count > prefix.count + suffix.count else { return nil }
    return Int(name.dropFirst(prefix.count).dropLast(suffix.count))
}
