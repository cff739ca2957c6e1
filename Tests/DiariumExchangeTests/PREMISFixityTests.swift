import DiariumCore
import DiariumExchange
import Testing

/// PREMIS objects held to the files they name, as other tools write them: identifiers relative to a representation,
/// `./` and surrounding whitespace, several composition levels, digests in upper case or by other algorithms.
@Suite struct PREMISFixityTests {
    static let sha = String(repeating: "ab", count: 32), other = String(repeating: "cd", count: 32)
    let files: [String: ReadPackage.FileDigest] = [
        "METS.xml": .init(sha256: Self.other, size: 10),
        "representations/rep1/METS.xml": .init(sha256: Self.sha, size: 20),
        "representations/rep1/data/a.pdf": .init(sha256: Self.sha, size: 30),
    ]

    func premis(_ objects: String) -> [UInt8] {
        Array("""
            <?xml version="1.0" encoding="UTF-8"?>
            <premis:premis xmlns:premis="http://www.loc.gov/premis/v3" version="3.0">\(objects)
            <premis:event><premis:eventIdentifier><premis:eventIdentifierType>local</premis:eventIdentifierType>
            <premis:eventIdentifierValue>METS.xml</premis:eventIdentifierValue></premis:eventIdentifier></premis:event>
            </premis:premis>
            """.utf8)
    }

    func object(_ identifier: String, _ characteristics: [(algorithm: String, digest: String, size: String)]) -> String {
        "\n<premis:object><premis:objectIdentifier><premis:objectIdentifierType>local</premis:objectIdentifierType>"
            + "<premis:objectIdentifierValue>\(identifier)</premis:objectIdentifierValue></premis:objectIdentifier>"
            + characteristics.map { c in
                "<premis:objectCharacteristics><premis:fixity><premis:messageDigestAlgorithm>\(c.algorithm)</premis:messageDigestAlgorithm>"
                    + "<premis:messageDigest>\(c.digest)</premis:messageDigest></premis:fixity><premis:size>\(c.size)</premis:size>"
                    + "</premis:objectCharacteristics>"
            }.joined() + "</premis:object>"
    }

    @Test func objectsAreHeldToTheFilesTheyName() {
        let repFile = "representations/rep1/metadata/preservation/premis.xml"
        // A representation's METS.xml is its own, not the package's (whose digest differs).
        var result = PREMISFixity.check(premis(object("METS.xml", [("SHA-256", Self.sha, "20")])), file: repFile, files: files)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        result = PREMISFixity.check(premis(object(" ./data/a.pdf\n", [("sha256", Self.sha.uppercased(), "30")])), file: repFile, files: files)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        // One composition level describing the file as it is is enough; another algorithm is not checked.
        result = PREMISFixity.check(premis(object("representations/rep1/data/a.pdf", [("SHA-256", Self.other, "99"), ("SHA-256", Self.sha, "30"),
                                                                                      ("MD5", "00", "30")])),
                                    file: "metadata/preservation/premis.xml", files: files)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        // Identifiers that name no file are left alone; the package's own files are reached from a representation
        // only by a path that says so.
        result = PREMISFixity.check(premis(object("urn:uuid:1", [("SHA-256", Self.other, "1")]) + object("../../METS.xml", [("SHA-256", "x", "1")])),
                                    file: repFile, files: files)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")

        result = PREMISFixity.check(premis(object("representations/rep1/data/a.pdf", [("SHA-256", Self.other, "31")])),
                                    file: "metadata/preservation/premis.xml", files: files)
        #expect(result.diagnostics.map(\.line) == [3, 3] && result.contradicted == ["representations/rep1/data/a.pdf", "representations/rep1/data/a.pdf"])
        #expect(result.diagnostics.map(\.message) == ["representations/rep1/data/a.pdf has SHA-256 \(Self.sha), PREMIS says \(Self.other)",
                                                      "representations/rep1/data/a.pdf is 30 bytes, PREMIS says 31"])

        // A PREMIS that is not XML, or has a DOCTYPE, is a problem of its own, not a contradiction.
        result = PREMISFixity.check(Array("<!DOCTYPE x [<!ENTITY e \"y\">]><x>&e;</x>".utf8), file: repFile, files: files)
        #expect(result.diagnostics.count == 1 && result.contradicted.isEmpty)
    }
}
