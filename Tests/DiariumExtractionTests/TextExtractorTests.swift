@testable import DiariumExtraction
import DiariumTesting
import Foundation
import Testing

private let docxType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
private let xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
private let pptxType = "application/vnd.openxmlformats-officedocument.presentationml.presentation"

@Suite struct PlainTextExtractionTests {
    let extractor = TextExtractor()

    @Test func utf8WithBOM() throws {
        let dir = try TempDirectory("extract-text")
        defer { dir.remove() }
        let path = try dir.write("a.txt", "\u{FEFF}  Ärendet   får avgöras.\n\n\nRad två:\tåäö  \n")
        let result = extractor.extract(fileAt: path, mediaType: "text/plain; charset=utf-8", originalName: "a.txt")
        #expect(result == TextExtraction(status: .extracted, extractor: "text", text: "Ärendet får avgöras.\nRad två: åäö", message: nil))
    }

    /// The charset a text is stored and served with is the one the extractor reads it in.
    @Test func theCharsetOfPlainTextIsTheOneItIsReadIn() throws {
        let swedish1252: [UInt8] = Array("Beslutet f".utf8) + [0xE5] + Array("r ".utf8) + [0xF6] + Array("verklagas".utf8)
        #expect(TextCharset.of(Array("Beslutet får överklagas".utf8), complete: true) == "utf-8")
        #expect(TextCharset.of(Array("plain ASCII".utf8), complete: true) == "utf-8")
        #expect(TextCharset.of(swedish1252, complete: true) == "windows-1252")
        #expect(TextCharset.of([0xFF, 0xFE, 0x41, 0x00], complete: true) == "utf-16")
        #expect(TextCharset.of([0x41, 0x00, 0x42], complete: true) == nil, "binary")
        // A sample that ends inside a character judges what it holds; a whole file that does is not UTF-8.
        let cut = [UInt8](repeating: 0x61, count: TextCharset.sample - 1) + [0xC3, 0xA4]
        #expect(TextCharset.of(cut, complete: false) == "utf-8")
        #expect(TextCharset.of(cut.dropLast(), complete: true) == "windows-1252")
        // Past the sample nothing is read: the extractor reads no further either.
        #expect(TextCharset.of(cut + [0xE5], complete: true) == "utf-8")
        let dir = try TempDirectory("charset")
        defer { dir.remove() }
        #expect(TextCharset.ofFile(at: try dir.write("gammal.txt", Data(swedish1252))) == "windows-1252")
        #expect(TextCharset.ofFile(at: try dir.write("ny.txt", "Beslutet får överklagas")) == "utf-8")
        #expect(TextCharset.ofFile(at: dir.file("missing.txt")) == nil)
        #expect(TextCharset.completing("text/plain") { "windows-1252" } == "text/plain; charset=windows-1252")
        #expect(TextCharset.completing("text/plain; charset=iso-8859-1") { Issue.record("read"); return nil } == "text/plain; charset=iso-8859-1")
        #expect(TextCharset.completing("application/pdf") { Issue.record("read"); return nil } == "application/pdf")
        #expect(TextCharset.completing("text/csv") { nil } == "text/csv")
        // The extraction decides from the same first MiB: UTF-8 there, a stray byte later is U+FFFD, not a switch to
        // Windows-1252 for the whole text.
        let long = Data(Array("Beslutet får överklagas. ".utf8) + [UInt8](repeating: 0x20, count: TextCharset.sample) + swedish1252)
        let longPath = try dir.write("lang.txt", long)
        #expect(TextCharset.ofFile(at: longPath) == "utf-8")
        let result = extractor.extract(fileAt: longPath, mediaType: "text/plain", originalName: "lang.txt")
        #expect(result.text == "Beslutet får överklagas. Beslutet f\u{FFFD}r \u{FFFD}verklagas", "\(result.text.suffix(40))")
    }

    @Test func windows1252FallsBackWhenNotUTF8() throws {
        let dir = try TempDirectory("extract-cp1252")
        defer { dir.remove() }
        // "Beslutet får överklagas – inom tre veckor. åäö" in Windows-1252: 0x96 is the en dash.
        var bytes = Array("Beslutet f".utf8) + [0xE5] + Array("r ".utf8) + [0xF6] + Array("verklagas ".utf8) + [0x96]
        bytes += Array(" inom tre veckor. ".utf8) + [0xE5, 0xE4, 0xF6, 0x20, 0x80]
        let path = try dir.write("gammal.csv", Data(bytes))
        let result = extractor.extract(fileAt: path, mediaType: "text/csv", originalName: "gammal.csv")
        #expect(result.status == .extracted)
        #expect(result.text == "Beslutet får överklagas – inom tre veckor. åäö €")
    }

    @Test func utf16WithBOM() throws {
        let dir = try TempDirectory("extract-utf16")
        defer { dir.remove() }
        let path = try dir.write("u.txt", Data([0xFF, 0xFE]) + "Får vi åka? 🇸🇪".data(using: .utf16LittleEndian)!)
        #expect(extractor.extract(fileAt: path, mediaType: "text/plain", originalName: "u.txt").text == "Får vi åka? 🇸🇪")
    }

    @Test func markdownByExtensionWhenTheMediaTypeIsGeneric() throws {
        let dir = try TempDirectory("extract-md")
        defer { dir.remove() }
        let path = try dir.write("blob", "# Rubrik\n\nText som får *betoning*.")
        let result = extractor.extract(fileAt: path, mediaType: "application/octet-stream", originalName: "Anteckning.MD")
        #expect(result.status == .extracted)
        #expect(result.extractor == "text")
        #expect(result.text == "# Rubrik\nText som får *betoning*.")
    }

    @Test func multiByteCharactersAcrossReadChunks() throws {
        let dir = try TempDirectory("extract-chunks")
        defer { dir.remove() }
        // Reads are 1 MiB; with a 6-byte prefix every chunk boundary falls inside an "å" (2 bytes).
        let text = "bbbbbb" + String(repeating: "aåäö ", count: 400_000)
        let path = try dir.write("stor.txt", text)
        let result = TextExtractor(maxTextBytes: 8 << 20).extract(fileAt: path, mediaType: "text/plain", originalName: "stor.txt")
        #expect(result.status == .extracted)
        #expect(result.text == text.trimmingCharacters(in: .whitespaces))
    }

    @Test func utf8WithBOMLongerThanOneRead() throws {
        let dir = try TempDirectory("extract-bom-chunks")
        defer { dir.remove() }
        let extractor = TextExtractor(maxTextBytes: 8 << 20)
        // Without the BOM's 3 bytes the first read looked short, as if it were the file's last.
        let body = "head " + String(repeating: "lorem ipsum ", count: 100_000) + "afterword"
        let long = try dir.write("lang.txt", "\u{FEFF}" + body)
        let result = extractor.extract(fileAt: long, mediaType: "text/plain", originalName: "lang.txt")
        #expect(result.status == .extracted)
        #expect(result.text == body.trimmingCharacters(in: .whitespaces))

        // "å" in file bytes 1,048,575 and 1,048,576: split by the first read.
        let straddling = String(repeating: "a", count: (1 << 20) - 4) + "å slut"
        let split = try dir.write("delad.txt", "\u{FEFF}" + straddling)
        #expect(extractor.extract(fileAt: split, mediaType: "text/plain", originalName: "delad.txt").text == straddling)
    }

    @Test func truncationKeepsValidUTF8AtCharacterBoundaries() throws {
        let dir = try TempDirectory("extract-truncate")
        defer { dir.remove() }
        let path = try dir.write("t.txt", "åäöåäöåäö")
        let result = TextExtractor(maxTextBytes: 11).extract(fileAt: path, mediaType: "text/plain", originalName: "t.txt")
        #expect(result.status == .truncated)
        #expect(result.text == "åäöåä")
        #expect(result.message?.contains("11 bytes") == true)

        let big = try dir.write("big.txt", String(repeating: "Får vi åka? ", count: 200_000))
        let long = TextExtractor().extract(fileAt: big, mediaType: "text/plain", originalName: "big.txt")
        #expect(long.status == .truncated)
        #expect(long.text.utf8.count <= 1 << 20)
        #expect(long.text.utf8.count > (1 << 20) - 20)
        #expect(String(validating: Array(long.text.utf8), as: UTF8.self) == long.text)
        #expect(long.text.hasPrefix("Får vi åka? Får"))
    }

    @Test func emptyAndWhitespaceOnly() throws {
        let dir = try TempDirectory("extract-empty")
        defer { dir.remove() }
        let empty = try dir.write("e.txt", "")
        #expect(extractor.extract(fileAt: empty, mediaType: "text/plain", originalName: "e.txt").status == .empty)
        let blank = try dir.write("b.txt", " \n\t \r\n ")
        let result = extractor.extract(fileAt: blank, mediaType: "text/plain", originalName: "b.txt")
        #expect(result == TextExtraction(status: .empty, extractor: "text", text: "", message: "no text found"))
    }

    @Test func binaryAndUnknownFilesAreUnsupported() throws {
        let dir = try TempDirectory("extract-binary")
        defer { dir.remove() }
        let path = try dir.write("data.bin", testBytes(count: 4096, seed: 9))
        let unknown = extractor.extract(fileAt: path, mediaType: "application/octet-stream", originalName: "data.bin")
        #expect(unknown.status == .unsupported)
        #expect(unknown.extractor == "none")
        #expect(unknown.text == "")
        #expect(unknown.message != nil)

        let image = extractor.extract(fileAt: path, mediaType: "image/png", originalName: "bild.png")
        #expect(image.status == .unsupported)
        #expect(image.message == "no text extraction for image/png")

        // Claimed text, but binary inside.
        let claimed = extractor.extract(fileAt: path, mediaType: "text/plain", originalName: "data.txt")
        #expect(claimed.status == .unsupported)
        #expect(claimed.message?.contains("binary") == true)
    }

    @Test func inputLimitAndMissingFile() throws {
        let dir = try TempDirectory("extract-limit")
        defer { dir.remove() }
        let path = try dir.write("a.txt", String(repeating: "x", count: 200))
        let result = TextExtractor(maxInputBytes: 100).extract(fileAt: path, mediaType: "text/plain", originalName: "a.txt")
        #expect(result.status == .unsupported)
        #expect(result.message?.contains("limit of 100 bytes") == true)

        let missing = extractor.extract(fileAt: dir.file("nope.txt"), mediaType: "text/plain", originalName: "nope.txt")
        #expect(missing.status == .failed)
        #expect(missing.message?.contains("cannot open") == true)
    }
}

@Suite struct MarkupExtractionTests {
    let extractor = TextExtractor()

    @Test func htmlShowsOnlyVisibleText() throws {
        let dir = try TempDirectory("extract-html")
        defer { dir.remove() }
        let path = try dir.write("sida.html", """
            <html><head><title>Kallelse</title><style>body { font: 12px }</style>
            <script>var dold = "syns inte";</script></head>
            <body><h1>Sammanträde</h1><p>Nämnden får besluta &mdash; <em>åäö</em>.</p>
            <table><tr><td>Plats</td><td>Rådhuset</td></tr></table><script>alert("nej")</script></body></html>
            """)
        let result = extractor.extract(fileAt: path, mediaType: "text/html", originalName: "sida.html")
        #expect(result == TextExtraction(
            status: .extracted, extractor: "html", text: "Kallelse\nSammanträde\nNämnden får besluta — åäö.\nPlats Rådhuset",
            message: nil))
    }

    @Test func legacyHTMLIsReadAsWindows1252AsBrowsersDo() throws {
        let dir = try TempDirectory("extract-html-cp1252")
        defer { dir.remove() }
        // "får – ”citat” €" in Windows-1252; 0x96, 0x94 and 0x80 are C1 controls in Latin-1.
        let body: [UInt8] = Array("<p>f".utf8) + [0xE5] + Array("r ".utf8) + [0x96, 0x20, 0x94] + Array("citat".utf8) + [0x94, 0x20, 0x80]
        let expected = "får – ”citat” €"
        let pages: [(String, [UInt8])] = [
            ("no declaration", Array("<html><body>".utf8) + body),
            ("declared Latin-1", Array(#"<html><head><meta http-equiv="Content-Type" content="text/html; CHARSET = ISO-8859-1"></head><body>"#.utf8) + body),
            ("declared windows-1252", Array("<html><head><meta charset='windows-1252'></head><body>".utf8) + body),
        ]
        for (name, page) in pages {
            let path = try dir.write("sida.html", Data(page))
            let result = extractor.extract(fileAt: path, mediaType: "text/html", originalName: "sida.html")
            #expect(result.text == expected, "\(name)")
        }
        // Another declared charset is still honoured: ISO-8859-15 has € at 0xA4, where Windows-1252 has ¤.
        let latin9 = Array(#"<meta charset="iso-8859-15"><p>"#.utf8) + [0xA4, 0x20, 0xE5]
        let path = try dir.write("latin9.html", Data(latin9))
        #expect(extractor.extract(fileAt: path, mediaType: "text/html", originalName: "latin9.html").text == "€ å")
        // UTF-16 with a byte order mark is not Windows-1252 even though it is not UTF-8.
        let utf16 = try dir.write("u16.html", Data([0xFF, 0xFE]) + "<p>Får – ja</p>".data(using: .utf16LittleEndian)!)
        #expect(extractor.extract(fileAt: utf16, mediaType: "text/html", originalName: "u16.html").text == "Får – ja")
        // Nor is UTF-8 with a byte order mark and one stray byte: the mark names the encoding.
        let marked = try dir.write("bom.html", Data([0xEF, 0xBB, 0xBF] + Array("<p>Får".utf8) + [0x96] + Array(" ja</p>".utf8)))
        #expect(extractor.extract(fileAt: marked, mediaType: "text/html", originalName: "bom.html").text.hasPrefix("Får"))
        #expect(HTMLCharset.declared(in: Array("<meta charset>".utf8)) == nil)
        #expect(HTMLCharset.declared(in: Array(#"<META CHARSET="UTF-8"/>"#.utf8)) == "utf-8")
    }

    @Test func xmlTextAndFailures() throws {
        let dir = try TempDirectory("extract-xml")
        defer { dir.remove() }
        let good = try dir.write("a.xml", """
            <?xml version="1.0" encoding="UTF-8"?>
            <ärende><titel>Detaljplan för Åby</titel><status>får överklagas</status></ärende>
            """)
        let result = extractor.extract(fileAt: good, mediaType: "application/xml", originalName: "a.xml")
        #expect(result == TextExtraction(status: .extracted, extractor: "xml", text: "Detaljplan för Åby får överklagas", message: nil))

        let bad = try dir.write("bad.xml", "<?xml version=\"1.0\"?>\n<a>\n  <b>oops</c>\n</a>\n")
        let malformed = extractor.extract(fileAt: bad, mediaType: "text/xml", originalName: "bad.xml")
        #expect(malformed.status == .failed)
        #expect(malformed.extractor == "xml")
        #expect(malformed.message?.contains("malformed XML at line 3") == true, "\(String(describing: malformed.message))")

        let xxe = try dir.write("xxe.xml", "<!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><x>&xxe;</x>")
        let refused = extractor.extract(fileAt: xxe, mediaType: "application/octet-stream", originalName: "xxe.xml")
        #expect(refused.status == .failed)
        #expect(refused.message?.contains("DOCTYPE") == true)
        #expect(!refused.text.contains("root:"))
    }
}

@Suite struct OfficeExtractionTests {
    let extractor = TextExtractor()

    @Test func docx() throws {
        let dir = try TempDirectory("extract-docx")
        defer { dir.remove() }
        let path = dir.file("protokoll.docx")
        try makePackage(docxParts(body: """
            <w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr><w:r><w:t>Protokoll från nämnden</w:t></w:r></w:p>
            <w:p><w:r><w:t xml:space="preserve">Sökanden </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>får</w:t></w:r><w:r><w:tab/><w:t>bygglov för åtgärden.</w:t></w:r></w:p>
            <w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>PAGE</w:instrText></w:r><w:r><w:delText>struken</w:delText></w:r></w:p>
            <w:tbl><w:tr><w:tc><w:p><w:r><w:t>Cell ett</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Cell två</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
            """), at: path)
        let result = extractor.extract(fileAt: path, mediaType: docxType, originalName: "protokoll.docx")
        #expect(result == TextExtraction(
            status: .extracted, extractor: "docx",
            text: "Protokoll från nämnden\nSökanden får bygglov för åtgärden.\nCell ett\nCell två", message: nil))
    }

    @Test func docxWithALegacyNamedEntry() throws {
        let dir = try TempDirectory("extract-docx-cp437")
        defer { dir.remove() }
        let path = dir.file("gammal.docx")
        try makePackage(docxParts(body: "<w:p><w:r><w:t>Texten finns kvar</w:t></w:r></w:p>"), at: path)
        try appendLegacyNamedZipEntry(path, name: "word/media/bild_ö.png", content: "inte en bild")
        let result = extractor.extract(fileAt: path, mediaType: docxType, originalName: "gammal.docx")
        #expect(result == TextExtraction(status: .extracted, extractor: "docx", text: "Texten finns kvar", message: nil))
    }

    @Test func xlsxSharedAndInlineStringsInSheetOrder() throws {
        let dir = try TempDirectory("extract-xlsx")
        defer { dir.remove() }
        let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        func sheet(_ cells: String) -> String {
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><worksheet xmlns=\"\(main)\"><sheetData><row r=\"1\">\(cells)</row></sheetData></worksheet>"
        }
        let path = dir.file("budget.xlsx")
        try makePackage([
            ("[Content_Types].xml", contentTypes),
            ("_rels/.rels", rootRelationships("xl/workbook.xml")),
            ("xl/workbook.xml", "<?xml version=\"1.0\"?><workbook xmlns=\"\(main)\"><sheets/></workbook>"),
            ("xl/sharedStrings.xml", """
                <?xml version="1.0" encoding="UTF-8"?>
                <sst xmlns="\(main)" count="3" uniqueCount="3">
                <si><t>Ärende</t></si>
                <si><t>Beslut får överklagas</t></si>
                <si><r><t>Del</t></r><r><rPr><b/></rPr><t>ning</t></r><rPh sb="0" eb="1"><t>フリガナ</t></rPh></si>
                </sst>
                """),
            ("xl/worksheets/sheet10.xml", sheet("<c r=\"A1\" t=\"inlineStr\"><is><t>Blad tio</t></is></c>")),
            ("xl/worksheets/sheet2.xml", sheet("<c r=\"A1\" t=\"inlineStr\"><is><t>Blad två</t></is></c>")),
            ("xl/worksheets/sheet1.xml", sheet("""
                <c r="A1" t="s"><v>0</v></c><c r="B1"><v>42</v></c><c r="C1"><f>B1*2</f><v>84</v></c>\
                <c r="D1" t="inlineStr"><is><t>Åtgärd i blad 1</t></is></c>
                """)),
        ], at: path)
        let result = extractor.extract(fileAt: path, mediaType: xlsxType, originalName: "budget.xlsx")
        #expect(result == TextExtraction(
            status: .extracted, extractor: "xlsx",
            text: "Ärende\nBeslut får överklagas\nDelning\nÅtgärd i blad 1\nBlad två\nBlad tio", message: nil))
    }

    @Test func pptxSlidesInNumericOrder() throws {
        let dir = try TempDirectory("extract-pptx")
        defer { dir.remove() }
        func slide(_ paragraphs: [String]) -> String {
            let body = paragraphs.map { "<a:p><a:r><a:rPr lang=\"sv-SE\"/><a:t>\($0)</a:t></a:r></a:p>" }.joined()
            return """
                <?xml version="1.0" encoding="UTF-8"?>
                <p:sld xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" \
                xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:cSld><p:spTree>\
                <p:sp><p:txBody><a:bodyPr/>\(body)</p:txBody></p:sp></p:spTree></p:cSld></p:sld>
                """
        }
        let path = dir.file("bilder.pptx")
        try makePackage([
            ("[Content_Types].xml", contentTypes),
            ("_rels/.rels", rootRelationships("ppt/presentation.xml")),
            ("ppt/presentation.xml", "<?xml version=\"1.0\"?><p:presentation xmlns:p=\"http://schemas.openxmlformats.org/presentationml/2006/main\"/>"),
            ("ppt/slides/slide10.xml", slide(["Sista bilden"])),
            ("ppt/slides/slide2.xml", slide(["Agenda", "Får vi åka?"])),
            ("ppt/slides/slide1.xml", slide(["Välkommen till nämnden"])),
        ], at: path)
        let result = extractor.extract(fileAt: path, mediaType: pptxType, originalName: "bilder.pptx")
        #expect(result == TextExtraction(
            status: .extracted, extractor: "pptx", text: "Välkommen till nämnden\nAgenda\nFår vi åka?\nSista bilden",
            message: nil))
    }

    @Test func odt() throws {
        let dir = try TempDirectory("extract-odt")
        defer { dir.remove() }
        let path = dir.file("plan.odt")
        try makePackage(openDocument("application/vnd.oasis.opendocument.text", body: """
            <office:text><text:h text:outline-level="1">Översiktsplan</text:h>
            <text:p>Kommunen får<text:s text:c="3"/>anta planen.<text:tab/>Slut</text:p>
            <text:p>Rad ett<text:line-break/>rad <text:span>två</text:span></text:p>
            <text:tracked-changes><text:changed-region><text:deletion><text:p>struken</text:p></text:deletion></text:changed-region></text:tracked-changes>
            </office:text>
            """), at: path)
        let result = extractor.extract(fileAt: path, mediaType: "application/vnd.oasis.opendocument.text", originalName: "plan.odt")
        #expect(result == TextExtraction(
            status: .extracted, extractor: "odt", text: "Översiktsplan\nKommunen får anta planen. Slut\nRad ett\nrad två",
            message: nil))
    }

    @Test func ods() throws {
        let dir = try TempDirectory("extract-ods")
        defer { dir.remove() }
        let path = dir.file("budget.ods")
        try makePackage(openDocument("application/vnd.oasis.opendocument.spreadsheet", body: """
            <office:spreadsheet><table:table table:name="Blad1">
            <table:table-row><table:table-cell office:value-type="string"><text:p>Budget för år 2026</text:p></table:table-cell>
            <table:table-cell office:value-type="float" office:value="1500"><text:p>1 500</text:p></table:table-cell></table:table-row>
            <table:table-row><table:table-cell><text:p>Summan får ej överskridas</text:p></table:table-cell></table:table-row>
            </table:table></office:spreadsheet>
            """), at: path)
        let result = extractor.extract(fileAt: path, mediaType: "application/octet-stream", originalName: "budget.ods")
        #expect(result == TextExtraction(
            status: .extracted, extractor: "ods", text: "Budget för år 2026\n1 500\nSumman får ej överskridas", message: nil))
    }

    @Test func odp() throws {
        let dir = try TempDirectory("extract-odp")
        defer { dir.remove() }
        let path = dir.file("bilder.odp")
        try makePackage(openDocument("application/vnd.oasis.opendocument.presentation", body: """
            <office:presentation><draw:page draw:name="1"><draw:frame><draw:text-box>
            <text:p>Välkommen</text:p><text:p>Vi får börja</text:p></draw:text-box></draw:frame></draw:page>
            </office:presentation>
            """), at: path)
        let result = extractor.extract(fileAt: path, mediaType: "application/vnd.oasis.opendocument.presentation", originalName: "bilder.odp")
        #expect(result.status == .extracted)
        #expect(result.extractor == "odp")
        #expect(result.text == "Välkommen\nVi får börja")
    }

    @Test func zipBombDocxFailsWithoutReadingItAll() throws {
        let dir = try TempDirectory("extract-bomb")
        defer { dir.remove() }
        let path = dir.file("bomb.docx")
        // 80 MB of text in word/document.xml: over the 64 MiB part cap, under 100 KB compressed.
        try writeDeflatedDocx(at: path, documentXML: #"'<w:document xmlns:w="urn:w"><w:body><w:p><w:r><w:t>' + "a" * 80_000_000 + "</w:t></w:r></w:p></w:body></w:document>""#)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? .max < 1_000_000)
        let result = extractor.extract(fileAt: path, mediaType: docxType, originalName: "bomb.docx")
        #expect(result.status == .failed)
        #expect(result.extractor == "docx")
        #expect(result.text == "")
        #expect(result.message?.contains("word/document.xml") == true, "\(String(describing: result.message))")
        #expect(result.message?.contains("larger than") == true, "\(String(describing: result.message))")
    }

    /// Under the part cap but millions of elements: streamed, so no tree of gigabytes is built, and the text at
    /// the end is still found.
    @Test func aPartOfMillionsOfEmptyElementsIsStreamed() throws {
        let dir = try TempDirectory("extract-elements")
        defer { dir.remove() }
        let path = dir.file("elements.docx")
        try writeDeflatedDocx(at: path, documentXML: #"'<w:document xmlns:w="urn:w"><w:body>' + "<w:p/>" * 10_000_000 + "<w:p><w:r><w:t>Slutet</w:t></w:r></w:p></w:body></w:document>""#)
        let result = extractor.extract(fileAt: path, mediaType: docxType, originalName: "elements.docx")
        #expect(result.status == .extracted && result.text == "Slutet", "\(String(describing: result.message))")
    }

    /// A DOCX whose document.xml is `expression` (Python, evaluated there): huge parts are built by the zip writer
    /// without the test holding them.
    func writeDeflatedDocx(at path: String, documentXML expression: String) throws {
        try runTool("/usr/bin/env", ["python3", "-c", """
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr("[Content_Types].xml", "<Types/>")
                z.writestr("word/document.xml", \(expression))
            """, path])
    }

    @Test func malformedAndFakePackagesFail() throws {
        let dir = try TempDirectory("extract-bad-docx")
        defer { dir.remove() }
        let path = dir.file("trasig.docx")
        try makePackage(docxParts(body: "<w:p><w:r><w:t>Text</w:t></w:r>\n<w:p>\n</w:body>"), at: path)
        let malformed = extractor.extract(fileAt: path, mediaType: docxType, originalName: "trasig.docx")
        #expect(malformed.status == .failed)
        // Line 1 is the XML declaration; libxml2 notices the unclosed w:p at </w:body> on line 4.
        #expect(malformed.message?.contains("word/document.xml: malformed XML at line 4") == true, "\(String(describing: malformed.message))")

        let fake = try dir.write("fake.docx", "not a zip at all")
        let notZip = extractor.extract(fileAt: fake, mediaType: docxType, originalName: "fake.docx")
        #expect(notZip.status == .failed)
        #expect(notZip.message?.contains("fake.docx") == true, "\(String(describing: notZip.message))")
        #expect(notZip.message?.contains(dir.path) == false)

        let other = dir.file("other.docx")
        try makePackage([("hej.txt", "inte en docx")], at: other)
        let missing = extractor.extract(fileAt: other, mediaType: docxType, originalName: "other.docx")
        #expect(missing.status == .failed)
        #expect(missing.message == "not a valid DOCX file: word/document.xml is missing")
    }

    @Test func truncationAcrossSlides() throws {
        let dir = try TempDirectory("extract-pptx-truncate")
        defer { dir.remove() }
        let path = dir.file("lång.pptx")
        let slides = (1...12).map { number in
            ("ppt/slides/slide\(number).xml", """
                <p:sld xmlns:a="urn:a" xmlns:p="urn:p"><a:p><a:r><a:t>Bild \(number) åäö</a:t></a:r></a:p></p:sld>
                """)
        }
        try makePackage([("ppt/presentation.xml", "<p:presentation xmlns:p=\"urn:p\"/>")] + slides.reversed(), at: path)
        let result = TextExtractor(maxTextBytes: 40).extract(fileAt: path, mediaType: pptxType, originalName: "lång.pptx")
        #expect(result.status == .truncated)
        #expect(result.text == "Bild 1 åäö\nBild 2 åäö\nBild 3 åä")
    }
}

@Suite struct PDFExtractionTests {
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/pdftotext"), "needs poppler-utils"))
    func pdftotextExtractsSwedishText() throws {
        let dir = try TempDirectory("extract-pdf")
        defer { dir.remove() }
        let path = try dir.write("plan.pdf", minimalPDF(text: "Handlingsplan för klimat"))
        let extractor = TextExtractor()
        #expect(extractor.canExtractPDF)
        let result = extractor.extract(fileAt: path, mediaType: "application/pdf", originalName: "plan.pdf")
        #expect(result == TextExtraction(status: .extracted, extractor: "pdftotext", text: "Handlingsplan för klimat", message: nil))

        let broken = try dir.write("trasig.pdf", testBytes(count: 2000, seed: 4))
        let failed = extractor.extract(fileAt: broken, mediaType: "application/octet-stream", originalName: "trasig.pdf")
        #expect(failed.status == .failed)
        #expect(failed.extractor == "pdftotext")
        #expect(failed.message?.contains("pdftotext") == true)
    }

    @Test func withoutPdftotextPDFsAreUnsupported() throws {
        let dir = try TempDirectory("extract-no-pdf")
        defer { dir.remove() }
        let path = try dir.write("plan.pdf", minimalPDF(text: "Handlingsplan för klimat"))
        let extractor = TextExtractor(pdftotextPath: dir.file("no-such-pdftotext"))
        #expect(!extractor.canExtractPDF)
        let result = extractor.extract(fileAt: path, mediaType: "application/pdf", originalName: "plan.pdf")
        #expect(result == TextExtraction(
            status: .unsupported, extractor: "none", text: "", message: "pdftotext is not installed: metadata only"))
    }
}

/// The subprocess handling, with stand-in executables: one that hangs and one that never stops writing.
@Suite struct PDFSubprocessTests {
    private func script(_ dir: TempDirectory, _ body: String) throws -> String {
        let path = try dir.write("pdftotext", "#!/bin/sh\n\(body)\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }

    /// The tool runs with an address-space limit, so a hostile PDF cannot take the server's memory until the timeout.
    @Test func theToolRunsWithAMemoryLimit() throws {
        let dir = try TempDirectory("extract-pdf-limit")
        defer { dir.remove() }
        let extractor = TextExtractor(pdftotextPath: try script(dir, "echo limit $(ulimit -v) args \"$1\" \"$5\""))
        let pdf = try dir.write("-a b.pdf", minimalPDF(text: "x"))
        let result = extractor.extract(fileAt: pdf, mediaType: "application/pdf", originalName: "a.pdf")
        #expect(result.text == "limit \(1 << 20) args -enc -", "\(result)")
    }

    @Test func aHangingToolIsKilledAtTheTimeout() throws {
        let dir = try TempDirectory("extract-pdf-hang")
        defer { dir.remove() }
        var extractor = TextExtractor(pdftotextPath: try script(dir, "echo started; exec sleep 60"))
        extractor.pdfTimeout = .milliseconds(500)
        let pdf = try dir.write("a.pdf", minimalPDF(text: "x"))
        let start = ContinuousClock.now
        let result = extractor.extract(fileAt: pdf, mediaType: "application/pdf", originalName: "a.pdf")
        #expect(ContinuousClock.now - start < .seconds(20))
        #expect(result.status == .failed)
        #expect(result.message?.contains("did not finish") == true, "\(String(describing: result.message))")
    }

    @Test func endlessOutputIsCutAtTheTextLimit() throws {
        let dir = try TempDirectory("extract-pdf-flood")
        defer { dir.remove() }
        let extractor = TextExtractor(maxTextBytes: 100_000, pdftotextPath: try script(dir, "exec yes 'får åäö'"))
        let pdf = try dir.write("a.pdf", minimalPDF(text: "x"))
        let result = extractor.extract(fileAt: pdf, mediaType: "application/pdf", originalName: "a.pdf")
        #expect(result.status == .truncated)
        #expect(result.text.utf8.count <= 100_000)
        #expect(result.text.hasPrefix("får åäö\nfår åäö\n"))
    }
}
