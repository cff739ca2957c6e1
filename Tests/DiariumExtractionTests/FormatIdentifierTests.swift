import DiariumCore
@testable import DiariumExtraction
import DiariumTesting
import Foundation
import Testing

/// One file of the format samples: the PUID Diarium must give it (nil: none), and what fido (PRONOM's signatures, run
/// by the Open Preservation Foundation's tool) says where it knowingly differs.
struct FormatSample {
    let name: String
    let mediaType: String
    let puid: String?
    /// fido's answer where it differs from ours, with the reason; nil: fido must agree.
    var fidoDiffers: (puid: String?, why: String)?
}

/// Writes the samples into `dir`: built byte by byte as each format's specification lays it out, not copied from
/// anywhere.
func writeFormatSamples(in dir: TempDirectory) throws -> [FormatSample] {
    var samples: [FormatSample] = []
    func add(_ name: String, _ bytes: [UInt8], _ mediaType: String, _ puid: String?, fido: (String?, String)? = nil) throws {
        _ = try dir.write(name, Data(bytes))
        samples.append(FormatSample(name: name, mediaType: mediaType, puid: puid, fidoDiffers: fido.map { (puid: $0.0, why: $0.1) }))
    }
    func zipped(_ name: String, _ parts: [(name: String, content: String)], _ mediaType: String, _ puid: String?,
                fido: (String?, String)? = nil) throws {
        try makePackage(parts, at: dir.file(name))
        samples.append(FormatSample(name: name, mediaType: mediaType, puid: puid, fidoDiffers: fido.map { (puid: $0.0, why: $0.1) }))
    }
    let pdf = Array(minimalPDF(text: "Beslut").utf8Bytes)

    try add("plain-1.4.pdf", pdf, "application/pdf", "fmt/18")
    try add("plain-1.7.pdf", Array("%PDF-1.7".utf8) + pdf.dropFirst(8), "application/pdf", "fmt/276")
    try add("plain-2.0.pdf", Array("%PDF-2.0".utf8) + pdf.dropFirst(8), "application/pdf", "fmt/1129")
    // Cut short (a failed upload): no "%%EOF", so not a PDF of any version.
    try add("truncated.pdf", Array(pdf.prefix(pdf.count - 40)), "application/pdf", nil)
    try add("pdfa-1b.pdf", pdfWithXMP(pdf, xmp: xmpPacket(attributes: true, part: "1", conformance: "B")), "application/pdf", "fmt/354")
    try add("pdfa-2u.pdf", pdfWithXMP(pdf, xmp: xmpPacket(attributes: false, part: "2", conformance: "U")), "application/pdf", "fmt/478")
    try add("pdfa-3a.pdf", pdfWithXMP(pdf, xmp: xmpPacket(attributes: false, part: "3", conformance: "A")), "application/pdf", "fmt/479")
    // The identification without its namespace declaration is not PDF/A's: the version decides.
    try add("pdfa-no-namespace.pdf", pdfWithXMP(pdf, xmp: xmpPacket(attributes: true, part: "1", conformance: "B", namespace: false)),
            "application/pdf", "fmt/18")

    try add("plain.png", png(["IDAT"]), "image/png", "fmt/11")
    try add("srgb.png", png(["sRGB", "IDAT"]), "image/png", "fmt/12")
    try add("itxt.png", png(["iTXt", "IDAT"]), "image/png", "fmt/13")
    try add("jfif-1.01.jpg", [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0]
            + [0xFF, 0xDA] + [UInt8](repeating: 0x55, count: 64) + [0xFF, 0xD9], "image/jpeg", "fmt/43")
    try add("exif-2.21.jpg", [0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x30] + Array("Exif".utf8) + [0, 0] + Array("II*".utf8) + [0, 8, 0, 0, 0, 1, 0]
            + [0x00, 0x90, 0x07, 0x00, 0x04, 0x00, 0x00, 0x00] + Array("0221".utf8) + [0, 0, 0, 0]
            + [0xFF, 0xDA] + [UInt8](repeating: 0x55, count: 64) + [0xFF, 0xD9], "image/jpeg", "fmt/645")
    try add("anim.gif", Array("GIF89a".utf8) + [1, 0, 1, 0, 0, 0, 0, 0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0, 0x3B],
            "image/gif", "fmt/4")
    try add("scan.tif", Array("II*".utf8) + [0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0], "image/tiff", "fmt/353")
    // Exif 2.2 in a TIFF whose directory follows 200 KiB of image data: found near the end.
    try add("photo.tif", Array("MM".utf8) + [0, 0x2A, 0, 0x03, 0x20, 0x08] + [UInt8](repeating: 0x80, count: 200 << 10)
            + [0x90, 0, 0, 0x07, 0, 0, 0, 0x04] + Array("0220".utf8) + [0, 0, 0, 0], "image/tiff", "x-fmt/387")

    let officeDocument = "application/vnd.openxmlformats-officedocument."
    try zipped("letter.docx", openXML("word/document.xml", "wordprocessingml.document.main"), officeDocument + "wordprocessingml.document", "fmt/412")
    try zipped("budget.xlsx", openXML("xl/workbook.xml", "spreadsheetml.sheet.main"), officeDocument + "spreadsheetml.sheet", "fmt/214")
    try zipped("slides.pptx", openXML("ppt/presentation.xml", "presentationml.presentation.main"), officeDocument + "presentationml.presentation",
               "fmt/215")
    let (text, spreadsheet, presentation) = ("application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
                                             "application/vnd.oasis.opendocument.presentation")
    try zipped("minutes-1.1.odt", odf(text, version: nil), text, "fmt/290")
    try zipped("minutes-1.2.odt", odf(text, version: "1.2"), text, "fmt/291",
               fido: ("fmt/290", "fido 1.6.1 stops at the binary signature of ODF 1.1 and never reads content.xml's office:version"))
    try zipped("sheet-1.3.ods", odf(spreadsheet, version: "1.3"), spreadsheet, "fmt/1755",
               fido: ("fmt/294", "as above; its 2020 container signatures also predate ODF 1.3"))
    try zipped("minutes-1.0.odt", odf(text, version: "1.0"), text, "fmt/136", fido: ("fmt/290", "as above"))
    // A version PRONOM has no identifier for: none, rather than 1.1's.
    try zipped("minutes-1.4.odt", odf(text, version: "1.4"), text, nil, fido: ("fmt/290", "as above"))
    // A presentation with an embedded text object listed first: the package's own (root) entry decides.
    try zipped("slides-embedding-text.odp", odf(presentation, version: "1.2", embedding: text), presentation, "fmt/293",
               fido: ("fmt/292", "as above"))
    try zipped("bundle.zip", [("a.txt", "hej"), ("b/c.txt", "då")], "application/zip", "x-fmt/263")
    // A zip that stores a PDF first is a zip, though the PDF's header and end marker are near its ends.
    _ = try dir.write("inner.pdf", Data(Array("%PDF-2.0".utf8) + pdf.dropFirst(8)))
    try runTool("/usr/bin/zip", ["-q", "-X", "-0", dir.file("stored-pdf.zip"), "inner.pdf"], in: dir.path)
    samples.append(FormatSample(name: "stored-pdf.zip", mediaType: "application/zip", puid: "x-fmt/263", fidoDiffers: (
        "x-fmt/263", "fido lists the PDF 2.0 beside the zip: the stored PDF's header and end marker lie within its signature's reach")))
    // A zip-based format that names its type in a `mimetype` part (EPUB) is not told here, and not a plain zip.
    try zipped("book.epub", [("mimetype", "application/epub+zip"), ("META-INF/container.xml", "<container/>")], "application/epub+zip", nil,
               fido: ("fmt/483", "fido knows EPUB 2.0.1's signature; Diarium does not carry it"))
    // Cut short: without its central directory it is not read at all.
    let whole = try Data(contentsOf: URL(fileURLWithPath: dir.file("bundle.zip")))
    try add("truncated.zip", Array(whole.prefix(whole.count - 30)), "application/zip", nil)

    // Office 97–2003: compound files whose streams DROID's container signatures look for.
    let wordStream = [0xEC, 0xA5, 0xC1, 0x00] + [UInt8](repeating: 0x20, count: 5000)   // past the mini stream cut-off
    // fido reads OLE2 containers loosely (each stream on its own, a signature's later byte sequences and
    // offsets not held to), so it differs where DROID's rules are stricter than a stream's presence.
    try add("letter.doc", compoundFile([("WordDocument", wordStream), ("\u{1}CompObj", compObj("Word.Document.8"))]), "application/msword",
            "fmt/40")
    try add("letter95.doc", compoundFile([("WordDocument", wordStream), ("\u{1}CompObj", compObj("Word.Document.6"))]), "application/msword",
            "fmt/39", fido: ("fmt/40", "fido 1.6.1 names Word 97 for a CompObj that says Word.Document.6"))
    try add("bare.doc", compoundFile([("WordDocument", Array(wordStream.prefix(600)))]), "application/msword", "fmt/609",
            fido: ("fmt/111", "fido 1.6.1 matches no container signature without bytes to look for (a WordDocument stream alone)"))
    try add("budget.xls", compoundFile([("Workbook", [0x09, 0x08, 0x10, 0x00, 0x00, 0x06, 0x05, 0x00] + [UInt8](repeating: 0, count: 600))]),
            "application/vnd.ms-excel", "fmt/61", fido: ("fmt/61", "fido 1.6.1 also lists the Excel template, whose third byte sequence is not there"))
    try add("slides.ppt", compoundFile([("Current User", [UInt8](repeating: 1, count: 40)), ("PowerPoint Document", [UInt8](repeating: 2, count: 300))]),
            "application/vnd.ms-powerpoint", "fmt/126")
    // Only the root's streams count: an embedded Word object does not make a workbook a document, nor a Word 97
    // object a Word 6 document; a message with an attached workbook is not a workbook.
    let bof: [UInt8] = [0x09, 0x08, 0x10, 0x00, 0x00, 0x06, 0x05, 0x00]
    try add("embedding.xls", compoundFile([("MBD0001/WordDocument", wordStream), ("MBD0001/\u{1}CompObj", compObj("Word.Document.8")),
                                           ("Workbook", bof + [UInt8](repeating: 0, count: 300))]), "application/vnd.ms-excel", "fmt/61",
            fido: ("fmt/40", "fido 1.6.1 reads the streams of embedded objects as the document's own"))
    try add("word6-embedding.doc", compoundFile([("ObjectPool/_1/\u{1}CompObj", compObj("Word.Document.8")), ("ObjectPool/_1/WordDocument", wordStream),
                                                 ("\u{1}CompObj", compObj("Word.Document.6")), ("WordDocument", wordStream)]),
            "application/msword", "fmt/39", fido: ("fmt/40", "as above"))
    try add("mail.msg", compoundFile([("__attach_version1.0_#00000000/__substg1.0_3701000D/Workbook", bof), ("__properties_version1.0", [0])]),
            "application/vnd.ms-outlook", nil, fido: ("fmt/111", "as above: a compound file Diarium does not tell"))
    // Templates and an encrypted document, which PRONOM names apart from documents: not called documents.
    var dot = wordStream
    dot[10] |= 1
    try add("template.dot", compoundFile([("WordDocument", dot), ("\u{1}CompObj", compObj("Word.Document.8"))]), "application/msword", nil,
            fido: ("fmt/40", "fido 1.6.1 does not test the template flag"))
    var encrypted = wordStream
    encrypted[11] |= 1
    try add("secret.doc", compoundFile([("WordDocument", encrypted), ("\u{1}CompObj", compObj("Word.Document.8"))]), "application/msword", nil,
            fido: ("fmt/40", "fido 1.6.1 does not test the encryption flag"))
    try add("template.xlt", compoundFile([("Workbook", bof + [0x60, 0, 0, 0, 0xE1, 0, 0x02, 0, 0xB0, 0x04] + [UInt8](repeating: 0, count: 300))]),
            "application/vnd.ms-excel", nil, fido: ("x-fmt/17", "fido lists the template beside Excel 97"))
    // A root stream named in other letters is not DROID's stream.
    try add("upper.doc", compoundFile([("WORDDOCUMENT", wordStream)]), "application/msword", nil, fido: ("fmt/111", "as above"))
    // A compound file whose directory chain leaves its FAT: not read, not named.
    var broken = compoundFile([("WordDocument", wordStream)])
    broken[0x30] = 0x7F
    try add("broken.doc", broken, "application/msword", nil,
            fido: ("fmt/111", "PRONOM's OLE2 signature is the header alone; Diarium names no compound file it cannot read"))

    // RTF as word processors write it; each version's keywords as PRONOM's signatures look for them.
    let fonts = "{\\fonttbl{\\f0\\froman\\fcharset0 Times New Roman;}}"
    try add("v1.rtf", Array("{\\rtf1\\ansi\\deff0\(fonts) Beslut\\par}".utf8), "application/rtf", "fmt/45")
    try add("v15.rtf", Array("{\\rtf1\\ansi\\ansicpg1252\\deff0\(fonts) Beslut\\par}".utf8), "application/rtf", "fmt/50")
    let defaults = "\\uc1\\deff0\\stshfdbch0\\stshfloch0\\stshfhich0\\stshfbi0\\deflang1053\\deflangfe1053"
    try add("v17.rtf", Array("{\\rtf1\\ansi\\ansicpg1252\(defaults)\(fonts) Beslut\\par}".utf8), "application/rtf", "fmt/52")
    let word = "{\\rtf1\\adeflang1025\\ansi\\ansicpg1252\\uc1\\adeff31507\\deff0\\stshfdbch31505\\stshfloch31506\\stshfhich31506"
        + "\\stshfbi31507\\deflang1053\\deflangfe1053\\themelang1053\(fonts)"
    try add("v18.rtf", Array("{\\rtf1\\ansi\\ansicpg1252\(defaults)\(fonts){\\*\\latentstyles\\lsdstimax156\\lsdlockeddef0}Beslut\\par}".utf8),
            "application/rtf", "fmt/53")
    try add("v19.rtf", Array("\(word){\\*\\latentstyles\\lsdstimax371}{\\*\\colorschememapping 3c3f786d6c}Beslut\\par}".utf8),
            "application/rtf", "fmt/355")
    // Not RTF's header: "{\rtf1" then a font table before the charset.
    try add("odd.rtf", Array("{\\rtf1{\\fonttbl}\\ansi Beslut}".utf8), "application/rtf", nil)

    try add("data.xml", Array("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<beslut nummer=\"1\"/>\n".utf8), "application/xml", "fmt/101")
    try add("rules.xsd", Array("<?xml version='1.0'?>\n<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"></xs:schema>\n".utf8),
            "application/xml", "x-fmt/280")
    try add("data-1.1.xml", Array("<?xml version=\"1.1\"?>\n<a/>\n".utf8), "application/xml", "fmt/1776")
    // No declaration: PRONOM has no signature to tell it by, only extensions (which fido then lists by the dozen).
    try add("bare.xml", Array("<a/>\n".utf8), "application/xml", nil)
    try add("page5.html", Array("<!DOCTYPE html>\n<html><head><title>x</title></head><body>hej</body></html>\n".utf8), "text/html", "fmt/471")
    try add("page401.html", Array("<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\">\n<html><body>hej</body></html>\n".utf8),
            "text/html", "fmt/100")
    try add("page.html", Array("<html><body>hej</body></html>\n".utf8), "text/html", "fmt/96")
    try add("note.txt", Array("Beslutet får överklagas.\n".utf8), "text/plain; charset=utf-8", "x-fmt/111",
            fido: ("x-fmt/111", "by extension, like ours; fido lists other formats sharing .txt beside it"))
    try add("list.csv", Array("a;b\n1;2\n".utf8), "text/csv; charset=utf-8", "x-fmt/18")
    try add("binary.txt", [0x00, 0x01, 0x02, 0xFF, 0x00, 0x10], "text/plain", nil,
            fido: ("x-fmt/111", "fido goes by the extension whatever the bytes"))
    try add("random.bin", (0..<512).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }, "application/octet-stream", nil)
    return samples
}

private extension Data {
    var utf8Bytes: [UInt8] { [UInt8](self) }
}

/// A compound file ([MS-CFB] version 3, 512-byte sectors) holding `streams` under its root, laid out as Office
/// writes one: a FAT sector, the directory, the mini FAT and the mini stream (streams under 4,096 bytes), then the
/// larger streams. Small enough for one FAT sector (128 sectors).
func compoundFile(_ streams: [(name: String, data: [UInt8])]) -> [UInt8] {
    let free: UInt32 = 0xFFFF_FFFF, end: UInt32 = 0xFFFF_FFFE, fatSector: UInt32 = 0xFFFF_FFFD
    func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }
    func padded(_ bytes: [UInt8], to unit: Int) -> [UInt8] { bytes + [UInt8](repeating: 0, count: (unit - bytes.count % unit) % unit) }
    // The mini stream and its FAT.
    var mini: [UInt8] = [], miniFAT: [UInt32] = [], miniStarts: [Int: UInt32] = [:]
    for (i, stream) in streams.enumerated() where stream.data.count < 4096 {
        let sectors = (stream.data.count + 63) / 64
        miniStarts[i] = sectors == 0 ? end : UInt32(miniFAT.count)
        for k in 0..<sectors { miniFAT.append(k == sectors - 1 ? end : UInt32(miniFAT.count + 1)) }
        mini += padded(stream.data, to: 64)
    }
    // Sectors: 0 FAT, 1 directory (four entries a sector), then mini FAT, mini stream, large streams.
    let directorySectors = (streams.count + 1) / 4 + 2   // room for a few storages
    var fat: [UInt32] = [fatSector]
    func chain(_ count: Int) -> UInt32 {
        guard count > 0 else { return end }
        let first = UInt32(fat.count)
        for k in 0..<count { fat.append(k == count - 1 ? end : UInt32(fat.count + 1)) }
        return first
    }
    let directoryStart = chain(directorySectors)
    let miniFATBytes = padded(miniFAT.flatMap(le32), to: 512)
    let miniFATStart = chain(miniFATBytes.count / 512)
    let miniBytes = padded(mini, to: 512)
    let miniStreamStart = chain(miniBytes.count / 512)
    var large: [UInt8] = [], largeStarts: [Int: UInt32] = [:]
    for (i, stream) in streams.enumerated() where stream.data.count >= 4096 {
        let bytes = padded(stream.data, to: 512)
        largeStarts[i] = chain(bytes.count / 512)
        large += bytes
    }
    precondition(fat.count <= 128)
    func entry(_ name: String, type: UInt8, start: UInt32, size: Int, child: UInt32, right: UInt32) -> [UInt8] {
        let units = Array(name.utf16) + [0]
        var e = padded(units.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }, to: 64)
        e += [UInt8(units.count * 2), 0, type, 1] + le32(free) + le32(right) + le32(child) + [UInt8](repeating: 0, count: 16 + 4 + 16)
        return e + le32(start) + le32(UInt32(size)) + le32(0)
    }
    // The tree: a name "A/B" is stream B in storage A. Each storage's children are chained by their right siblings.
    var nodes: [(name: String, parent: Int, stream: Int?)] = [("Root Entry", -1, nil)]
    for (i, stream) in streams.enumerated() {
        var parent = 0
        let parts = stream.name.split(separator: "/").map(String.init)
        for storage in parts.dropLast() {
            if let found = nodes.firstIndex(where: { $0.name == storage && $0.parent == parent && $0.stream == nil }) {
                parent = found
            } else {
                nodes.append((storage, parent, nil))
                parent = nodes.count - 1
            }
        }
        nodes.append((parts.last!, parent, i))
    }
    precondition(nodes.count <= directorySectors * 4, "give fewer storages")
    func children(_ parent: Int) -> [Int] { nodes.indices.filter { nodes[$0].parent == parent } }
    var directory: [UInt8] = []
    for (index, node) in nodes.enumerated() {
        let siblings = node.parent < 0 ? [index] : children(node.parent)
        let next = siblings.firstIndex(of: index).map { $0 + 1 < siblings.count ? UInt32(siblings[$0 + 1]) : free } ?? free
        let child = children(index).first.map(UInt32.init) ?? free
        if let i = node.stream {
            directory += entry(node.name, type: 2, start: miniStarts[i] ?? largeStarts[i]!, size: streams[i].data.count, child: free, right: next)
        } else {
            directory += entry(node.name, type: index == 0 ? 5 : 1, start: index == 0 && !mini.isEmpty ? miniStreamStart : (index == 0 ? end : 0),
                               size: index == 0 ? mini.count : 0, child: child, right: next)
        }
    }
    while directory.count < directorySectors * 512 {
        directory += [UInt8](repeating: 0, count: 0x44) + le32(free) + le32(free) + le32(free) + [UInt8](repeating: 0, count: 128 - 0x50)
    }
    var header = [UInt8](repeating: 0, count: 512)
    func put(_ at: Int, _ bytes: [UInt8]) { header.replaceSubrange(at..<(at + bytes.count), with: bytes) }
    put(0, [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])
    put(0x18, [0x3E, 0x00, 0x03, 0x00, 0xFE, 0xFF, 0x09, 0x00, 0x06, 0x00])
    put(0x2C, le32(1))
    put(0x30, le32(directoryStart))
    put(0x38, le32(4096))
    put(0x3C, le32(miniFAT.isEmpty ? end : miniFATStart))
    put(0x40, le32(UInt32(miniFATBytes.count / 512)))
    put(0x44, le32(end))
    put(0x4C, le32(0))
    for i in 1..<109 { put(0x4C + 4 * i, le32(free)) }
    let fatBytes = padded(fat.flatMap(le32), to: 512).enumerated().map { $0.offset >= fat.count * 4 ? 0xFF : $0.element }
    return header + fatBytes + directory + miniFATBytes + miniBytes + large
}

/// A compound file ([MS-CFB] version 4, 4,096-byte sectors) whose root has `fillers` empty streams and then a Word
/// 97 document's two streams (in the mini stream), all chained as right siblings: a root tree of `fillers + 2` entries.
func flatCompoundFile(fillers: Int) -> [UInt8] {
    precondition(fillers >= 1)
    let end: UInt32 = 0xFFFF_FFFE, free: UInt32 = 0xFFFF_FFFF, fatMark: UInt32 = 0xFFFF_FFFD
    func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }
    let word: [UInt8] = [0xEC, 0xA5, 0xC1, 0, 0, 0, 0, 0, 0, 0, 0]
    let obj = compObj("Word.Document.8")
    let entries = fillers + 3   // the root, the fillers, WordDocument, CompObj
    let directorySectors = (entries + 31) / 32
    // Sectors: the FAT, then the directory, the mini FAT, the mini stream.
    var fatSectors = 1
    while fatSectors * 1024 < fatSectors + directorySectors + 2 { fatSectors += 1 }
    let directoryStart = UInt32(fatSectors), miniFATSector = UInt32(fatSectors + directorySectors), miniSector = miniFATSector + 1
    var fat = [UInt32](repeating: fatMark, count: fatSectors)
    for k in 0..<directorySectors { fat.append(k == directorySectors - 1 ? end : UInt32(fat.count + 1)) }
    fat += [end, end]
    fat += [UInt32](repeating: free, count: fatSectors * 1024 - fat.count)
    // The mini stream: WordDocument in mini sector 0, CompObj from mini sector 1.
    let objSectors = (obj.count + 63) / 64
    var miniFAT: [UInt32] = [end]
    for k in 0..<objSectors { miniFAT.append(k == objSectors - 1 ? end : UInt32(miniFAT.count + 1)) }
    miniFAT += [UInt32](repeating: free, count: 1024 - miniFAT.count)
    let mini = word + [UInt8](repeating: 0, count: 64 - word.count) + obj
    func entry(_ name: String, type: UInt8, start: UInt32, size: Int, right: UInt32, child: UInt32 = 0xFFFF_FFFF) -> [UInt8] {
        let units = Array(name.utf16) + [0]
        var e = units.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        e += [UInt8](repeating: 0, count: 64 - e.count)
        e += le16(units.count * 2) + [type, 1] + le32(free) + le32(right) + le32(child) + [UInt8](repeating: 0, count: 36)
        return e + le32(start) + le32(UInt32(size)) + le32(0)
    }
    var directory = entry("Root Entry", type: 5, start: miniSector, size: mini.count, right: free, child: 1)
    for i in 1...fillers { directory += entry("S\(i)", type: 2, start: end, size: 0, right: UInt32(i + 1)) }
    directory += entry("WordDocument", type: 2, start: 0, size: word.count, right: UInt32(fillers + 2))
    directory += entry("\u{1}CompObj", type: 2, start: 1, size: obj.count, right: free)
    func sector(_ bytes: [UInt8]) -> [UInt8] { bytes + [UInt8](repeating: 0, count: (4096 - bytes.count % 4096) % 4096) }
    var header = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] + [UInt8](repeating: 0, count: 16) + le16(0x3E) + le16(4)
    header += [0xFE, 0xFF] + le16(12) + le16(6) + [UInt8](repeating: 0, count: 6) + le32(UInt32(directorySectors))
    header += le32(UInt32(fatSectors)) + le32(directoryStart) + le32(0) + le32(4096) + le32(miniFATSector) + le32(1) + le32(end) + le32(0)
    precondition(fatSectors <= 109)
    header += (0..<109).flatMap { $0 < fatSectors ? le32(UInt32($0)) : le32(free) }
    return sector(header) + fat.flatMap(le32) + sector(directory) + sector(miniFAT.flatMap(le32)) + sector(mini)
}

/// The PUID of these bytes written to a file named without an extension (only the bytes can tell).
func identifiedPUID(_ bytes: [UInt8], in dir: TempDirectory) throws -> String? {
    let path = try dir.write("f", Data(bytes))
    return FormatIdentifier.identify(path: path, originalName: "f", mediaType: "application/octet-stream")?.puid
}

/// A CompObj stream as Office writes it: its header, the user type, no clipboard format, then the program id.
func compObj(_ programID: String) -> [UInt8] {
    func string(_ s: String) -> [UInt8] {
        let bytes = Array(s.utf8) + [0]
        return [UInt8(bytes.count), 0, 0, 0] + bytes
    }
    let header: [UInt8] = [0x01, 0x00, 0xFE, 0xFF, 0x03, 0x0A, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x06, 0x09, 0x02, 0x00,
                           0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46]
    return header + string("Microsoft Word 97-2003 Document") + [0, 0, 0, 0] + string(programID) + [0xF4, 0x39, 0xB2, 0x71]
}

/// An XMP packet with PDF/A's identification, as attributes or as elements.
func xmpPacket(attributes: Bool, part: String, conformance: String, namespace: Bool = true) -> String {
    let declaration = namespace ? " xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\"" : ""
    let identification = attributes
        ? "<rdf:Description rdf:about=\"\"\(declaration) pdfaid:part=\"\(part)\" pdfaid:conformance=\"\(conformance)\"/>"
        : "<rdf:Description rdf:about=\"\"\(declaration)>\n<pdfaid:part>\(part)</pdfaid:part>\n<pdfaid:conformance>\(conformance)</pdfaid:conformance>\n</rdf:Description>"
    return """
        <?xpacket begin="\u{FEFF}" id="W5M0MpCehiHzreSzNTczkc9d"?>
        <x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
        \(identification)
        </rdf:RDF></x:xmpmeta>
        <?xpacket end="w"?>
        """
}

/// `pdf` with an uncompressed metadata stream (as PDF/A requires) inserted as an object before its cross-reference
/// table, and `filler` bytes of an image stream before it.
func pdfWithXMP(_ pdf: [UInt8], xmp: String, filler: Int = 0) -> [UInt8] {
    let text = String(decoding: pdf, as: UTF8.self)
    let xref = text.range(of: "xref\n")!.lowerBound
    let head = Array(text[..<xref].utf8)
    var object: [UInt8] = []
    if filler > 0 {
        object += Array("7 0 obj\n<< /Length \(filler) >>\nstream\n".utf8) + (0..<filler).map { UInt8(truncatingIfNeeded: $0 % 251) }
            + Array("\nendstream\nendobj\n".utf8)
    }
    object += Array("6 0 obj\n<< /Type /Metadata /Subtype /XML /Length \(xmp.utf8.count) >>\nstream\n\(xmp)\nendstream\nendobj\n".utf8)
    // Offsets in the table are off by the insertion; identification does not read them.
    return head + object + Array(text[xref...].utf8)
}

/// A PNG with an IHDR, the given chunks (empty but for IDAT's few bytes) and an IEND, each with its CRC.
func png(_ chunks: [String]) -> [UInt8] {
    func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        let length = UInt32(data.count), crc = crc32(typed)
        return [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + typed
            + [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]
    }
    var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    bytes += chunk("IHDR", [0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0])
    for type in chunks {
        switch type {
        case "IDAT": bytes += chunk(type, [0x78, 0x9C, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01])
        case "sRGB": bytes += chunk(type, [0])
        default: bytes += chunk(type, Array("Title\0\0\0\0\0Beslut".utf8))
        }
    }
    return bytes + chunk("IEND", [])
}

func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

/// An OOXML package whose main part is `main`, declared with the content type `…officedocument.<type>+xml`.
func openXML(_ main: String, _ type: String) -> [(name: String, content: String)] {
    [
        ("[Content_Types].xml", """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
            <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
            <Default Extension="xml" ContentType="application/xml"/>
            <Override PartName="/\(main)" ContentType="application/vnd.openxmlformats-officedocument.\(type)+xml"/>
            </Types>
            """),
        ("_rels/.rels", rootRelationships(main)),
        (main, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<root/>"),
    ]
}

/// An ODF package of `version` (none: the attribute left out); `embedding`: the media type of an embedded object
/// listed in the manifest before the package's own entry.
func odf(_ mediaType: String, version: String?, embedding: String? = nil) -> [(name: String, content: String)] {
    openDocument(mediaType, body: "<office:text/>").map { part in
        switch part.name {
        case "content.xml":
            return (part.name, part.content.replacingOccurrences(of: " office:version=\"1.2\"", with: version.map { " office:version=\"\($0)\"" } ?? ""))
        case "META-INF/manifest.xml":
            guard let embedding else { return part }
            return (part.name, part.content.replacingOccurrences(of: "manifest:version=\"1.2\">",
                with: "manifest:version=\"1.2\">\n <manifest:file-entry manifest:media-type=\"\(embedding)\" manifest:full-path=\"Object 1/\"/>"))
        default:
            return part
        }
    }
}

@Suite struct FormatIdentifierTests {
    @Test func everySampleGetsItsPRONOMFormat() throws {
        let dir = try TempDirectory("formats")
        defer { dir.remove() }
        for sample in try writeFormatSamples(in: dir) {
            let format = FormatIdentifier.identify(path: dir.file(sample.name), originalName: sample.name, mediaType: sample.mediaType)
            #expect(format?.puid == sample.puid, "\(sample.name)")
            if let format {
                let basis: FileFormat.Basis = ["x-fmt/111", "x-fmt/18"].contains(format.puid) ? .extension
                    : ["fmt/412", "fmt/214", "fmt/215", "fmt/136", "fmt/290", "fmt/291", "fmt/293", "fmt/1755", "fmt/40", "fmt/39",
                       "fmt/609", "fmt/61", "fmt/126"].contains(format.puid) ? .container : .signature
                #expect(format.basis == basis, "\(sample.name)")
            }
        }
    }

    /// XML lets attributes be written several ways; a version that cannot be read is not taken for 1.1.
    @Test func odfVersionsAreReadAsXMLWritesThem() throws {
        let dir = try TempDirectory("formats-odf")
        defer { dir.remove() }
        let cases: [(String, String?)] = [
            ("\n\toffice:version=\"1.3\"", "fmt/1756"), (" office:version = '1.2'", "fmt/291"), ("\r\n office:version=\"1.0\"", "fmt/136"),
            ("", "fmt/290"), (" office:version=\"1.2", nil), (" office:version=1.2", nil),
        ]
        for (index, (attribute, puid)) in cases.enumerated() {
            let parts = odf("application/vnd.oasis.opendocument.text", version: nil).map { part in
                part.name != "content.xml" ? part
                    : (part.name, part.content.replacingOccurrences(of: "xmlns:presentation=\"urn:oasis:names:tc:opendocument:xmlns:presentation:1.0\"",
                                                                     with: "xmlns:presentation=\"urn:oasis:names:tc:opendocument:xmlns:presentation:1.0\"\(attribute)"))
            }
            let path = dir.file("v\(index).odt")
            try makePackage(parts, at: path)
            #expect(FormatIdentifier.identify(path: path, originalName: "v.odt", mediaType: "application/vnd.oasis.opendocument.text")?.puid == puid,
                    "\(attribute.debugDescription)")
        }
    }

    /// Compound files that DROID names otherwise than a plain document, or not at all.
    @Test func compoundFilesAreHeldToDROIDsRules() throws {
        let dir = try TempDirectory("formats-ole2")
        defer { dir.remove() }
        func puid(_ bytes: [UInt8]) throws -> String? { try identifiedPUID(bytes, in: dir) }
        let bof: [UInt8] = [0x09, 0x08, 0x10, 0x00, 0x00, 0x06, 0x05, 0x00]
        #expect(try puid(compoundFile([("Workbook", bof + Array("..MS Works".utf8) + [UInt8](repeating: 0, count: 300))])) == nil)
        #expect(try puid(compoundFile([("Workbook", bof + [0, 0] + "MS Works".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
                                        + [UInt8](repeating: 0, count: 300))])) == nil)
        // The template flag in a WordDocument stream too short for the encryption flag.
        var short: [UInt8] = [0xEC, 0xA5, 0xC1, 0, 0, 0, 0, 0, 0, 0, 1]
        #expect(try puid(compoundFile([("WordDocument", short), ("\u{1}CompObj", compObj("Word.Document.8"))])) == nil)
        short[10] = 0
        #expect(try puid(compoundFile([("WordDocument", short), ("\u{1}CompObj", compObj("Word.Document.8"))])) == "fmt/40")
        // Names trimmed at both ends, as DROID trims them.
        #expect(try puid(compoundFile([("WordDocument", short), ("\u{1}CompObj ", compObj("Word.Document.8"))])) == "fmt/40")
        // Entry 0 must be the root (type 5), not a storage.
        var storage = compoundFile([("WordDocument", short), ("\u{1}CompObj", compObj("Word.Document.8"))])
        #expect(storage[1024 + 0x42] == 5)
        storage[1024 + 0x42] = 1
        #expect(try puid(storage) == nil)
    }

    /// The zip reader's limits hold for what identification reads (a part's first MiB), not for what it passes over:
    /// an office file with a large picture before its manifest is still told; one with more than 10,000 parts before
    /// the one that tells is not looked into further.
    @Test func containerLimitsHoldForWhatIsRead() throws {
        let dir = try TempDirectory("formats-zip-limits")
        defer { dir.remove() }
        func puid(_ parts: [(name: String, content: String)], _ name: String) throws -> String? {
            try makePackage(parts, at: dir.file(name))
            return FormatIdentifier.identify(path: dir.file(name), originalName: name, mediaType: "application/octet-stream")?.puid
        }
        var text = odf("application/vnd.oasis.opendocument.text", version: "1.2")
        #expect(text.first?.name == "mimetype")
        text.insert(("Pictures/big.xml", String(repeating: "x", count: 9 << 20)), at: 1)
        #expect(try puid(text, "big.odt") == "fmt/291")
        // 9,999 and 10,000 small parts before [Content_Types].xml (its 10,000th and 10,001st entry), zipped from one
        // staging folder.
        let staging = try TempDirectory("formats-zip-parts")
        defer { staging.remove() }
        try FileManager.default.createDirectory(atPath: staging.file("p"), withIntermediateDirectories: true)
        let fillers = try (0..<10_000).map { i in try staging.write("p/\(i).xml", "<p/>") }.map { String($0.dropFirst(staging.path.count + 1)) }
        let document = openXML("word/document.xml", "wordprocessingml.document.main")
        for part in document {
            try FileManager.default.createDirectory(atPath: (staging.file(part.name) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            _ = try staging.write(part.name, part.content)
        }
        func zipped(_ count: Int) throws -> String? {
            let path = dir.file("parts-\(count).docx")
            try runTool("/usr/bin/zip", ["-q", "-X", "-0", path] + fillers.prefix(count) + document.map(\.name), in: staging.path)
            return FormatIdentifier.identify(path: path, originalName: "a.docx", mediaType: "application/octet-stream")?.puid
        }
        #expect(try zipped(9_999) == "fmt/412")
        #expect(try zipped(10_000) == nil)
    }

    /// A compound file's header, FAT and directory come from whoever made the file: counts larger than the file,
    /// chains that loop and trees that cycle are refused or cut short, never followed into a hang or a huge allocation.
    @Test func compoundFilesThatLieAboutThemselvesAreRefusedCheaply() throws {
        let dir = try TempDirectory("formats-ole2-bounds")
        defer { dir.remove() }
        func puid(_ bytes: [UInt8]) throws -> String? { try identifiedPUID(bytes, in: dir) }
        func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }
        func patched(_ bytes: [UInt8], at offset: Int, _ value: UInt32) -> [UInt8] {
            var bytes = bytes
            bytes.replaceSubrange(offset..<offset + 4, with: le32(value))
            return bytes
        }
        let word: [UInt8] = [0xEC, 0xA5, 0xC1, 0, 0, 0, 0, 0, 0, 0, 0]
        let good = compoundFile([("WordDocument", word), ("\u{1}CompObj", compObj("Word.Document.8"))])
        #expect(try puid(good) == "fmt/40")
        // A FAT of 2^31 sectors (8 TiB of FAT at 4 KiB each) in a file of a few sectors: refused before anything is read.
        #expect(try puid(patched(good, at: 0x2C, 0x7FFF_FFFF)) == nil)
        // The FAT's one sector said to lie far past the end of the file.
        #expect(try puid(patched(good, at: 0x4C, 0x00FF_FFFF)) == nil)
        // The directory's chain loops (its first sector's FAT entry names itself): cut off at the file's sector count.
        #expect(try puid(patched(good, at: 512 + 4, 1)) == nil)
        // The tree cycles: the last child names the first as its right sibling. The walk visits each entry once and
        // still finds the streams.
        #expect(good[1024 + 2 * 128 + 0x48..<1024 + 2 * 128 + 0x4C].allSatisfy { $0 == 0xFF })
        #expect(try puid(patched(good, at: 1024 + 2 * 128 + 0x48, 1)) == "fmt/40")
    }

    /// At most 65,536 entries of the root's tree are read: a directory of more is not identified (and costs 65,536
    /// reads of 128 bytes at most, whatever the file says).
    @Test func aCompoundFilesRootTreeIsReadUpTo65536Entries() throws {
        let dir = try TempDirectory("formats-ole2-entries")
        defer { dir.remove() }
        func puid(_ bytes: [UInt8]) throws -> String? { try identifiedPUID(bytes, in: dir) }
        #expect(try puid(flatCompoundFile(fillers: 65_534)) == "fmt/40")
        #expect(try puid(flatCompoundFile(fillers: 65_535)) == nil)
    }

    /// The sniffer sees the bytes in whatever chunks the copy reads them: any split gives the same answer.
    @Test func chunkSizesDoNotChangeTheAnswer() throws {
        let dir = try TempDirectory("formats-chunks")
        defer { dir.remove() }
        for sample in try writeFormatSamples(in: dir) {
            let path = dir.file(sample.name)
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            for size in [1, 5, 63, 64, 65, 127, 128, 129, 151, 152, 4096] where bytes.count < 300_000 || size >= 63 {
                var sniffer = FormatSniffer()
                var at = 0
                while at < bytes.count {
                    bytes[at..<min(bytes.count, at + size)].withUnsafeBytes { sniffer.consume($0) }
                    at += size
                }
                #expect(sniffer.finish(path: path, originalName: sample.name, mediaType: sample.mediaType)?.puid == sample.puid,
                        "\(sample.name) in chunks of \(size)")
            }
        }
    }

    /// XMP may be anywhere in a PDF: past the first MiB, across the boundary of the MiB chunks it is read in, or
    /// with its two properties too far apart to count.
    @Test func pdfaIsFoundWhereverItsMetadataLies() throws {
        let dir = try TempDirectory("pdfa")
        defer { dir.remove() }
        let pdf = [UInt8](minimalPDF(text: "Beslut"))
        let packet = xmpPacket(attributes: false, part: "2", conformance: "B")
        // Where the packet's "pdfaid:part" lands for a given filler size, so that the filler can put it across 1 MiB.
        let probe = pdfWithXMP(pdf, xmp: packet, filler: 1000)
        let partAt = FormatIdentifier.find("pdfaid:part", in: probe, from: 0, to: probe.count)!
        for boundaryOffset in [-20, -8, -3, 0, 5, 40, 3 << 20] {
            let filler = 1000 + (1 << 20) - partAt + boundaryOffset
            let path = try dir.write("big-\(boundaryOffset).pdf", Data(pdfWithXMP(pdf, xmp: packet, filler: filler)))
            #expect(FormatIdentifier.identify(path: path, originalName: "big.pdf", mediaType: "application/pdf")?.puid == "fmt/477",
                    "part at 1 MiB \(boundaryOffset)")
        }
        // PRONOM allows 120 bytes between the two: here "\n", the spaces and "<".
        let apart = packet.replacingOccurrences(of: "</pdfaid:part>\n", with: "</pdfaid:part>\n" + String(repeating: " ", count: 119))
        let far = try dir.write("far.pdf", Data(pdfWithXMP(pdf, xmp: apart)))
        #expect(FormatIdentifier.identify(path: far, originalName: "far.pdf", mediaType: "application/pdf")?.puid == "fmt/18")
        let near = packet.replacingOccurrences(of: "</pdfaid:part>\n", with: "</pdfaid:part>\n" + String(repeating: " ", count: 118))
        let close = try dir.write("near.pdf", Data(pdfWithXMP(pdf, xmp: near)))
        #expect(FormatIdentifier.identify(path: close, originalName: "near.pdf", mediaType: "application/pdf")?.puid == "fmt/477")
        // A part with no PDF/A for the conformance beside it does not hide the one before it that has.
        let mixed = packet.replacingOccurrences(of: "<pdfaid:part>2</pdfaid:part>", with: "<pdfaid:part>2</pdfaid:part><pdfaid:part>1</pdfaid:part>")
            .replacingOccurrences(of: "<pdfaid:conformance>B<", with: "<pdfaid:conformance>U<")
        let both = try dir.write("mixed.pdf", Data(pdfWithXMP(pdf, xmp: mixed)))
        #expect(FormatIdentifier.identify(path: both, originalName: "mixed.pdf", mediaType: "application/pdf")?.puid == "fmt/478")
        // A header PDF/A allows after a first one that is not a PDF 1.x header.
        let second = try dir.write("second.pdf", Data(Array("%PDF-1.9\n".utf8) + pdfWithXMP(pdf, xmp: packet)))
        #expect(FormatIdentifier.identify(path: second, originalName: "second.pdf", mediaType: "application/pdf")?.puid == "fmt/477")
        #expect(FormatIdentifier.identify(path: dir.file("missing.pdf"), originalName: "missing.pdf", mediaType: "application/pdf") == nil)
        #expect(FormatIdentifier.identify(path: try dir.write("empty.pdf", ""), originalName: "empty.pdf", mediaType: "application/pdf") == nil)
    }

    /// fido, with PRONOM's own signature files, judges the same samples: it must name the PUID we name (among its
    /// signature or container matches), find nothing where we find nothing, and differ only where the sample says
    /// why.
    @Test func fidoAgreesOnEverySample() throws {
        let fido = try Validators.fido()
        let dir = try TempDirectory("formats-fido")
        defer { dir.remove() }
        let samples = try writeFormatSamples(in: dir)
        let (status, output) = try runCapturing(fido, [
            "-q", "-matchprintf", "OK\t%(info.filename)s\t%(info.puid)s\t%(info.matchtype)s\n",
            "-nomatchprintf", "KO\t%(info.filename)s\n",
        ] + samples.map { dir.file($0.name) })
        #expect(status == 0, "\(output)")
        var signatures: [String: Set<String>] = [:]
        var extensions: [String: Set<String>] = [:]
        for line in output.split(separator: "\n") where line.hasPrefix("OK\t") {
            let fields = line.split(separator: "\t").map(String.init)
            guard fields.count == 4 else { continue }
            let name = (fields[1] as NSString).lastPathComponent
            if fields[3] == "extension" { extensions[name, default: []].insert(fields[2]) } else { signatures[name, default: []].insert(fields[2]) }
        }
        for sample in samples {
            let theirs = signatures[sample.name] ?? []
            if let differs = sample.fidoDiffers {
                let named = theirs.union(extensions[sample.name] ?? [])
                #expect(differs.puid.map { named.contains($0) } ?? named.isEmpty, "\(sample.name): \(differs.why); fido: \(named)")
                if let ours = sample.puid, differs.puid != ours { #expect(!theirs.contains(ours), "\(sample.name) no longer differs") }
            } else if let ours = sample.puid, ["x-fmt/111", "x-fmt/18"].contains(ours) {
                #expect(theirs.isEmpty && extensions[sample.name]?.contains(ours) == true, "\(sample.name): fido \(extensions[sample.name] ?? [])")
            } else if let ours = sample.puid {
                #expect(theirs == [ours], "\(sample.name): fido \(theirs)")
            } else {
                #expect(theirs.isEmpty, "\(sample.name): we name none, fido \(theirs)")
            }
        }
    }
}
