import DiariumTesting
import Foundation

/// A real zip package made with the `zip` tool from the given parts, in order. An ODF `mimetype` part goes first
/// and uncompressed, as the spec requires.
func makePackage(_ parts: [(name: String, content: String)], at path: String) throws {
    let staging = try TempDirectory("package-parts")
    defer { staging.remove() }
    for part in parts {
        let file = staging.file(part.name)
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try staging.write(part.name, part.content)
    }
    var names = parts.map(\.name)
    if names.first == "mimetype" {
        try runTool("/usr/bin/zip", ["-q", "-X", "-0", path, "mimetype"], in: staging.path)
        names.removeFirst()
    }
    try runTool("/usr/bin/zip", ["-q", "-X", path] + names, in: staging.path)
}

let contentTypes = """
    <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
    <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
    <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
    <Default Extension="xml" ContentType="application/xml"/>
    </Types>
    """

func rootRelationships(_ target: String) -> String {
    """
    <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
    <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
    <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="\(target)"/>
    </Relationships>
    """
}

let wordNamespace = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

func docxParts(body: String) -> [(name: String, content: String)] {
    [
        ("[Content_Types].xml", contentTypes),
        ("_rels/.rels", rootRelationships("word/document.xml")),
        ("word/document.xml", """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <w:document xmlns:w="\(wordNamespace)"><w:body>\(body)</w:body></w:document>
            """),
    ]
}

func openDocument(_ mimeType: String, body: String) -> [(name: String, content: String)] {
    [
        ("mimetype", mimeType),
        ("META-INF/manifest.xml", """
            <?xml version="1.0" encoding="UTF-8"?>
            <manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
             <manifest:file-entry manifest:full-path="/" manifest:media-type="\(mimeType)"/>
             <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
            </manifest:manifest>
            """),
        ("content.xml", """
            <?xml version="1.0" encoding="UTF-8"?>
            <office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
              xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
              xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
              xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
              xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" office:version="1.2">
            <office:body>\(body)</office:body></office:document-content>
            """),
    ]
}

/// A minimal valid one-page PDF showing `text` in Helvetica (WinAnsiEncoding, so "ö" is byte 0xF6), with a correct
/// cross-reference table.
func minimalPDF(text: String) -> Data {
    let escaped = text.unicodeScalars.map { scalar -> String in
        switch scalar {
        case "(", ")", "\\": return "\\" + String(scalar)
        case _ where scalar.value > 0x7E: return "\\" + String(scalar.value, radix: 8)  // Latin-1 = WinAnsi here
        default: return String(scalar)
        }
    }.joined()
    let stream = "BT /F1 24 Tf 72 720 Td (\(escaped)) Tj ET"
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        "<< /Length \(stream.utf8.count) >>\nstream\n\(stream)\nendstream",
    ]
    var pdf = "%PDF-1.4\n"
    var offsets: [Int] = []
    for (index, object) in objects.enumerated() {
        offsets.append(pdf.utf8.count)
        pdf += "\(index + 1) 0 obj\n\(object)\nendobj\n"
    }
    let xref = pdf.utf8.count
    pdf += "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
    for offset in offsets {
        let digits = String(offset)
        pdf += String(repeating: "0", count: 10 - digits.count) + digits + " 00000 n \n"
    }
    pdf += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
    return Data(pdf.utf8)
}
