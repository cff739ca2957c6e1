import DiariumCore
import DiariumExtraction
import DiariumServices
import DiariumTesting
import Foundation
import GRDB
import Testing

/// Each content's PRONOM format is found at registration, from the bytes, and kept beside its text; `formatReport`
/// counts a store's content by format without reading a file; `identifyFormats` looks at what was stored before.
@Suite struct FormatReportTests {
    let ks = SeriesCode(rawValue: "KS")!
    let bun = SeriesCode(rawValue: "BUN")!
    static let pdf = Data("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".utf8)

    /// A store with, in KS, two PDFs (one given a later text version), a text file, bytes no signature matches and a
    /// paper letter; in BUN, one text file.
    func fixture() throws -> (Fixture, [DocumentRecord]) {
        let f = try Fixture()
        _ = try f.service.addSeries(code: bun, name: "Barn- och utbildningsnämnden", actor: "admin")
        func new(_ name: String, _ data: Data) throws -> NewDocument {
            NewDocument(file: try f.dir.write(name, data), metadata: DocumentMetadata(title: name, recordType: .letter))
        }
        let registered = try f.service.register([
            try new("beslut.pdf", Self.pdf), try new("yttrande.pdf", Self.pdf + Data(" ".utf8)), try new("anteckning.txt", Data("Anteckning.\n".utf8)),
            try new("okänd.bin", Data([0, 1, 2, 3, 0xFF])),
            NewDocument(file: nil, metadata: DocumentMetadata(title: "Brev på papper", recordType: .letter)),
        ], in: f.caseNumber, actor: "anna")
        _ = try f.service.addVersion(registered[1].number, file: try f.dir.write("yttrande.txt", "Yttrandet som text.\n"), comment: nil, actor: "anna")
        let bunCase = try f.service.openCase(NewCase(series: bun, title: "Skolskjuts"), actor: "anna").number
        _ = try f.service.register([try new("ansökan.txt", Data("Ansökan om skolskjuts.\n".utf8))], in: bunCase, actor: "anna")
        return (f, registered)
    }

    func lines(_ tallies: [FormatTally]) -> [String] {
        tallies.map { "\($0.series) \($0.state.rawValue) \($0.format?.puid ?? $0.mediaType ?? "-") \($0.documents) \($0.bytes)" }
    }

    @Test func registrationIdentifiesAndTheReportCountsCurrentContentBySeries() throws {
        let (f, registered) = try fixture()
        defer { f.dir.remove() }
        let content = try #require(registered[0].current.content)
        let identified = try #require(try f.service.contentFormat(of: content))
        #expect(identified.format?.puid == "fmt/18" && identified.format?.basis == .signature && identified.current)
        // The second PDF's current content is its text version: the report counts what each document is now.
        #expect(lines(try f.service.formatReport()) == [
            "BUN identified x-fmt/111 1 24",
            "KS identified x-fmt/111 2 32",
            "KS identified fmt/18 1 45",
            "KS unidentified application/octet-stream 1 5",
        ])
        #expect(lines(try f.service.formatReport(series: bun)) == ["BUN identified x-fmt/111 1 24"])
        #expect { try f.service.formatReport(series: SeriesCode(rawValue: "SBN")!) } throws: { ($0 as? DiariumError)?.code == .notFound }

        // The documents behind the unidentified line, by number; none pending; identified ones are counted, not listed.
        let unidentified = try f.service.formatlessDocuments(state: .unidentified)
        #expect(unidentified == [FormatlessDocument(number: registered[3].number, state: .unidentified, mediaType: "application/octet-stream",
                                                    originalName: "okänd.bin", size: 5)])
        #expect(try f.service.formatlessDocuments(state: .pending).isEmpty)
        #expect(try f.service.formatlessDocuments(state: .unidentified, series: bun).isEmpty)
        #expect { try f.service.formatlessDocuments(state: .identified) } throws: { ($0 as? DiariumError)?.field == "state" }
        #expect { try f.service.formatlessDocuments(state: .pending, limit: 0) } throws: { ($0 as? DiariumError)?.field == "limit" }
    }

    /// However the bytes arrive (in memory, a file copied in small or in large chunks, a new version), their format is
    /// told as they go by.
    @Test func everyWayOfStagingIdentifies() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        // 2 MiB of comment lines inside: copied in chunks large enough for the write lane.
        let large = Data("%PDF-1.4\n".utf8) + Data(repeating: UInt8(ascii: "%"), count: 2 << 20) + Self.pdf.dropFirst(8)
        let registered = try f.service.register([
            NewDocument(data: Self.pdf, originalName: "i minnet.pdf", metadata: DocumentMetadata(title: "I minnet", recordType: .letter)),
            NewDocument(file: try f.dir.write("stor.pdf", large), metadata: DocumentMetadata(title: "Stor", recordType: .letter)),
        ], in: f.caseNumber, actor: "anna")
        let changed = try f.service.addVersion(registered[0].number, file: try f.dir.write("ny.txt", "Ny version.\n"), comment: nil, actor: "anna")
        for (record, puid) in [(registered[0], "fmt/18"), (registered[1], "fmt/18"), (changed, "x-fmt/111")] {
            let content = try #require(record.current.content)
            let identified = try #require(try f.service.contentFormat(of: content))
            #expect(identified.format?.puid == puid && identified.current, "\(record.number): \(String(describing: identified.format))")
        }
    }

    /// PDF/A's identification near the end of a large file, found through the write lane's chunks in order; the same
    /// bytes under another name do not change the format every document with them shows; and disposed content keeps
    /// no format until it is stored again.
    @Test func formatsAreKeptPerContentAndGoWithIt() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let xmp = """
            <?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\
            <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" pdfaid:part="1" pdfaid:conformance="B"/>\
            </rdf:RDF></x:xmpmeta><?xpacket end="w"?>
            """
        let pdfa = Data("%PDF-1.4\n".utf8) + Data(repeating: UInt8(ascii: "%"), count: (3 << 20) + 17) + Data("\n\(xmp)\ntrailer<<>>\n%%EOF\n".utf8)
        let csv = Data("år;belopp\n2026;100\n".utf8)
        let registered = try f.service.register([
            NewDocument(file: try f.dir.write("arkiv.pdf", pdfa), metadata: DocumentMetadata(title: "PDF/A", recordType: .report)),
            NewDocument(file: try f.dir.write("tabell.csv", csv), metadata: DocumentMetadata(title: "Tabell", recordType: .report)),
        ], in: f.caseNumber, actor: "anna")
        func puid(_ record: DocumentRecord) throws -> String? {
            let content = try #require(record.current.content)
            return try #require(try f.service.contentFormat(of: content)).format?.puid
        }
        #expect(try puid(registered[0]) == "fmt/354")
        let csvFormat = try puid(registered[1])
        #expect(csvFormat == "x-fmt/18")
        // The table's bytes again, as a text file: the content's format stays what it was found to be.
        let again = try f.service.addVersion(registered[0].number, file: try f.dir.write("tabell.txt", csv), comment: nil, actor: "anna")
        #expect(try puid(again) == csvFormat)
        #expect(try puid(registered[1]) == csvFormat)

        // Disposed of, the content keeps no format (verify holds it to that); stored again, it is identified again.
        _ = try f.service.setRetentionRule(try RetentionRule(series: ks, recordType: nil, action: .dispose, years: 0, mandate: "KS 2024 § 1"),
                                           actor: "arkivarie")
        _ = try f.service.closeCase(f.caseNumber, actor: "anna")
        f.clock.set("2026-03-02T08:00:00.000Z")
        _ = try f.service.dispose(.documents([registered[0].number]), actor: "arkivarie")
        let pdfaContent = try #require(registered[0].current.content)
        #expect(try f.service.contentFormat(of: pdfaContent) == nil)
        #expect(try f.service.verify().ok)
        let other = try f.service.openCase(NewCase(series: ks, title: "Arkivet"), actor: "anna").number
        let stored = try f.service.register([NewDocument(file: try f.dir.write("igen.pdf", pdfa),
                                                         metadata: DocumentMetadata(title: "Igen", recordType: .report))],
                                            in: other, actor: "anna")[0]
        #expect(try puid(stored) == "fmt/354")
        #expect(try f.service.verify().ok)
    }

    /// A store from before formats were identified: its content is pending until `identifyFormats` reads it, which
    /// leaves an unreadable file to be looked at again and, run again, finds nothing to do. Content without a
    /// rendition and content identified with earlier signatures are looked at too.
    @Test func contentStoredBeforeIsIdentifiedAfterwards() throws {
        let (f, registered) = try fixture()
        defer { f.dir.remove() }
        let unknown = try #require(registered[3].current.content)
        // As the Diarium before v20 left it: no formats; and one content without a rendition (a store from before search).
        try f.rawCatalog().write { db in
            try db.execute(sql: "DROP TABLE content_formats")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v20-content-formats'")
            try db.execute(sql: "DELETE FROM renditions WHERE sha256 = ?", arguments: [unknown.sha256])
        }
        let service = try RecordsService.open(at: f.storePath)
        #expect(lines(try service.formatReport(series: ks)) == [
            "KS pending text/plain; charset=utf-8 2 32", "KS pending application/octet-stream 1 5", "KS pending application/pdf 1 45",
        ])
        // Listed by number, paged; the paper letter has no content to identify.
        let pending = try service.formatlessDocuments(state: .pending).map(\.number)
        #expect(pending.count == 5 && pending.first?.caseNumber.series == bun && !pending.contains(registered[4].number))
        let first = try service.formatlessDocuments(state: .pending, series: ks, limit: 2).map(\.number)
        let rest = try service.formatlessDocuments(state: .pending, series: ks, after: first.last, limit: 100).map(\.number)
        #expect(first + rest == Array(pending.suffix(4)) && first == [registered[0].number, registered[1].number])
        let text = try #require(registered[2].current.content)
        let stored = f.dir.file("store/objects/sha256/\(text.sha256.prefix(2))/\(text.sha256)")
        try FileManager.default.moveItem(atPath: stored, toPath: f.dir.file("aside"))
        var seen: [[Int]] = []
        let report = try service.identifyFormats { seen.append([$0, $1]) }
        // Six stored files (the second PDF's first version too), one moved aside.
        #expect(report == FormatIdentificationReport(identified: 4, unidentified: 1, unreadable: 1), "\(report)")
        #expect(seen.last == [6, 6])
        #expect(lines(try service.formatReport(series: ks)) == [
            "KS identified fmt/18 1 45", "KS identified x-fmt/111 1 20", "KS unidentified application/octet-stream 1 5",
            "KS pending text/plain; charset=utf-8 1 12",
        ])
        try FileManager.default.moveItem(atPath: f.dir.file("aside"), toPath: stored)
        #expect(try service.identifyFormats() == FormatIdentificationReport(identified: 1, unidentified: 0, unreadable: 0))
        #expect(try service.identifyFormats() == FormatIdentificationReport())
        #expect(!lines(try service.formatReport()).contains { $0.contains("pending") })

        // Signatures revised since: what the earlier ones found is pending again, and looked at again.
        let pdf = try #require(registered[0].current.content)
        try f.rawCatalog().write { db in
            try db.execute(sql: "UPDATE content_formats SET identified_with = 'diarium-pronom-v108-1' WHERE sha256 = ?", arguments: [pdf.sha256])
        }
        #expect(lines(try service.formatReport(series: ks)).contains("KS pending application/pdf 1 45"))
        let earlier = try #require(try service.contentFormat(of: pdf))
        #expect(earlier.format?.puid == "fmt/18" && !earlier.current)
        #expect(try service.identifyFormats() == FormatIdentificationReport(identified: 1, unidentified: 0, unreadable: 0))
        let nowIsCurrent = try service.contentFormat(of: pdf)?.current
        #expect(nowIsCurrent == true)
        #expect(try service.verify().ok)
    }

    /// Content stored before formats were identified and registered again (a copy of a letter filed in a second
    /// case) is identified then, though its text is known and not extracted again: by a batch, through the group
    /// commit (uploads) and as a new version.
    @Test func knownContentRegisteredAgainIsIdentified() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let bytes = [Self.pdf, Self.pdf + Data("\n".utf8), Self.pdf + Data("\n\n".utf8)]
        let first = try f.service.register(bytes.indices.map { i in
            NewDocument(file: try f.dir.write("brev\(i).pdf", bytes[i]), metadata: DocumentMetadata(title: "Brev \(i)", recordType: .letter))
        }, in: f.caseNumber, actor: "anna")
        try f.rawCatalog().write { db in try db.execute(sql: "DELETE FROM content_formats") }
        let contents = try first.map { try #require($0.current.content) }
        #expect(try contents.allSatisfy { try f.service.contentFormat(of: $0) == nil })

        let other = try f.service.openCase(NewCase(series: ks, title: "Kopior"), actor: "anna").number
        _ = try f.service.register([NewDocument(file: try f.dir.write("kopia.pdf", bytes[0]),
                                                metadata: DocumentMetadata(title: "Kopia", recordType: .letter))], in: other, actor: "anna")
        _ = try GroupCommitter().register(NewDocument(data: bytes[1], originalName: "uppladdad.pdf",
                                                      metadata: DocumentMetadata(title: "Uppladdad", recordType: .letter)),
                                          in: other, actor: "anna", using: f.service)
        _ = try f.service.addVersion(first[0].number, file: try f.dir.write("igen.pdf", bytes[2]), comment: nil, actor: "anna")
        for content in contents {
            let identified = try #require(try f.service.contentFormat(of: content))
            #expect(identified.format?.puid == "fmt/18" && identified.current)
        }
        #expect(try f.service.verify().ok)
    }

    /// Re-extraction and an import find formats as registration does; a file that cannot be read on re-extraction
    /// keeps the format found before.
    @Test func reextractionAndImportIdentifyToo() throws {
        let (f, registered) = try fixture()
        defer { f.dir.remove() }
        try f.rawCatalog().write { db in try db.execute(sql: "DELETE FROM content_formats") }
        _ = try f.service.rebuildIndex(reextract: .all)
        let before = lines(try f.service.formatReport())
        #expect(!before.contains { $0.contains("pending") } && before.contains("KS identified fmt/18 1 45"), "\(before)")

        let pdf = try #require(registered[0].current.content)
        let stored = f.dir.file("store/objects/sha256/\(pdf.sha256.prefix(2))/\(pdf.sha256)")
        try FileManager.default.moveItem(atPath: stored, toPath: f.dir.file("aside"))
        _ = try f.service.rebuildIndex(reextract: .all)
        #expect(lines(try f.service.formatReport()) == before)
        try FileManager.default.moveItem(atPath: f.dir.file("aside"), toPath: stored)

        let package = f.dir.file("ks.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: package), actor: "arkivarie")
        let other = try RecordsService.createStore(at: f.dir.file("other"), actor: "admin")
        _ = try other.importPackage(at: package, actor: "arkivarie")
        #expect(lines(try other.formatReport()) == before.filter { $0.hasPrefix("KS ") })
    }
}
