import DiariumCore
import DiariumExchange
import DiariumPackage
import DiariumTesting
import Foundation
import Testing

@Suite struct PackageFormatTests {
    func sample() throws -> RecordsTransfer {
        let number = try CaseNumber(parsing: "KS 2026/7")
        let at = Timestamp.parse("2026-03-01T09:00:00.000Z")!
        let restriction = try AccessRestriction(kind: .privacy, legalReference: "OSL 26 kap. 1 §", hides: [.title, .parties])
        let v1 = DocumentVersion(number: 1, change: .registered, author: "anna", createdAt: at, comment: nil, status: .draft,
                                 metadata: DocumentMetadata(title: "Yttrande <&> \"citat\"", publicTitle: "Yttrande", recordType: .letter,
                                                            direction: .outgoing, documentDate: CalendarDate(year: 2026, month: 2, day: 28),
                                                            recipient: "Länsstyrelsen", restriction: restriction),
                                 content: ContentReference(sha256: String(repeating: "ab", count: 32), size: 12, mediaType: "text/plain",
                                                           originalName: "yttrande å.txt"))
        let v2 = DocumentVersion(number: 2, change: .status, author: "bo", createdAt: at.addingTimeInterval(60), comment: "klar",
                                 status: .final, metadata: v1.metadata, content: v1.content)
        let document = TransferDocument(number: DocumentNumber(caseNumber: number, ordinal: 1), registeredAt: at, registeredBy: "anna",
                                        versions: [TransferVersion(version: v1, contentPath: nil), TransferVersion(version: v2, contentPath: nil)])
        let record = CaseRecord(number: number, title: "Remiss", publicTitle: nil, classification: "1.2", status: .closed,
                                department: "Kansli", officer: nil, openedAt: at, closedAt: at.addingTimeInterval(3600), documentCount: 1)
        var transfer = RecordsTransfer(series: [Series(code: number.series, name: "Kommunstyrelsen", createdAt: at)],
                                       cases: [TransferCase(record: record, openedBy: "anna", externalReference: "BUN 2025/3",
                                                            documents: [document])])
        PackageNaming.assignContentPaths(&transfer)
        return transfer
    }

    @Test func ermsRoundTripsEveryVersion() throws {
        let transfer = try sample()
        #expect(transfer.cases[0].documents[0].versions.map(\.contentPath) == [
            "representations/rep1/data/KS-2026-7/KS-2026-7-1-v1.txt", "representations/rep1/data/KS-2026-7/KS-2026-7-1-v1.txt",
        ])
        let bytes = ERMS.write(transfer, packageID: "uuid-1", createdAt: Date(timeIntervalSince1970: 0),
                               creator: PackageCreator(archivalCreator: try Organisation(name: "Kommunen"), person: "arkivarie"))
        let (read, diagnostics) = ERMS.read(bytes, file: "erms.xml")
        #expect(diagnostics == [])
        #expect(read == transfer)
    }

    /// Each earlier description a case brings is listed in its import's event: a case with more than anyone would make
    /// is refused, naming the first one past the limit.
    @Test func aCaseBringsAtMostTenThousandEarlierDescriptions() throws {
        var transfer = try sample()
        let opened = transfer.cases[0].record.openedAt
        transfer.cases[0].revisions = (1...(ERMS.maxRevisionsPerCase + 1)).map { n in
            CaseRevision(n: n, replacedAt: opened.addingTimeInterval(Double(n)), replacedBy: "anna", title: "Remiss \(n)", publicTitle: nil,
                         restriction: nil, classification: nil, department: nil, officer: nil)
        }
        let creator = PackageCreator(archivalCreator: nil, person: "arkivarie")
        let (read, diagnostics) = ERMS.read(ERMS.write(transfer, packageID: "uuid-1", createdAt: opened, creator: creator), file: "erms.xml")
        #expect(read == nil)
        #expect(diagnostics.contains { $0.element == "revision" && $0.message == "case KS 2026/7 has 10001 earlier descriptions, more than the 10000 a case may bring" },
                "\(diagnostics.prefix(3))")
        transfer.cases[0].revisions.removeLast()
        let (kept, none) = ERMS.read(ERMS.write(transfer, packageID: "uuid-1", createdAt: opened, creator: creator), file: "erms.xml")
        #expect(none == [] && kept?.cases[0].revisions.count == ERMS.maxRevisionsPerCase)
    }

    @Test func ermsProblemsNameTheLineAndElement() throws {
        let text = String(decoding: ERMS.write(try sample(), packageID: "uuid-1", createdAt: Date(timeIntervalSince1970: 0),
                                               creator: PackageCreator(archivalCreator: try Organisation(name: "K"), person: "a")), as: UTF8.self)
            .replacingOccurrences(of: "recordType=\"letter\" direction", with: "recordType=\"poem\" direction")
        let (read, diagnostics) = ERMS.read(Array(text.utf8), file: "metadata/descriptive/erms.xml")
        #expect(read == nil)
        let line = text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("recordType=\"poem\"") }! + 1
        #expect(diagnostics.map(\.description).contains("metadata/descriptive/erms.xml:\(line) <metadata>: unknown recordType 'poem'"))
    }

    @Test func metsReaderTakesTheHeadersAgentsAsTheyAreNamed() throws {
        let mets = """
            <?xml version="1.0"?>
            <mets:mets xmlns:mets="http://www.loc.gov/METS/" xmlns:csip="https://DILCIS.eu/XML/METS/CSIPExtensionMETS" OBJID="p">
              <mets:metsHdr CREATEDATE="2026-01-01T00:00:00Z">
                <mets:agent ROLE="CREATOR" TYPE="OTHER" OTHERTYPE="SOFTWARE"><mets:name>Verktyg</mets:name>
                  <mets:note csip:NOTETYPE="SOFTWARE VERSION">2.0</mets:note></mets:agent>
                <mets:agent ROLE="ARCHIVIST" TYPE="ORGANIZATION"><mets:name>
                    Exempelby
                    kommun </mets:name><mets:note>Telefon 010-123</mets:note>
                  <mets:note csip:NOTETYPE="IDENTIFICATIONCODE"> ORG:2120001355 </mets:note></mets:agent>
                <mets:agent ROLE="OTHER" OTHERROLE="SUBMITTER" TYPE="ORGANIZATION"><mets:name>Kommunstyrelsen</mets:name></mets:agent>
                <mets:agent ROLE="PRESERVATION" TYPE="ORGANIZATION"><mets:name> </mets:name></mets:agent>
            \(String(repeating: #"<mets:agent ROLE="EDITOR" TYPE="INDIVIDUAL"><mets:name>x</mets:name></mets:agent>"#, count: 40))
              </mets:metsHdr>
              <mets:fileSec/>
              <mets:structMap/>
            </mets:mets>
            """
        let (manifest, diagnostics) = METSManifest.read(Array(mets.utf8))
        #expect(diagnostics.filter { $0.severity == .error } == [])
        let agents = try #require(manifest?.agents)
        // A nameless agent is left out; no more than maxAgents are kept.
        #expect(agents.count == METSManifest.maxAgents)
        #expect(Array(agents.prefix(3)) == [PackageAgent(role: "CREATOR", type: "SOFTWARE", name: "Verktyg"),
                                            PackageAgent(role: "ARCHIVIST", type: "ORGANIZATION", name: "Exempelby kommun", code: "ORG:2120001355"),
                                            PackageAgent(role: "SUBMITTER", type: "ORGANIZATION", name: "Kommunstyrelsen")])
        #expect(agents[3] == PackageAgent(role: "EDITOR", type: "INDIVIDUAL", name: "x"))
    }

    @Test func metsReaderRefusesUnsafeLocationsAndMissingChecksums() throws {
        let mets = """
            <?xml version="1.0"?>
            <mets:mets xmlns:mets="http://www.loc.gov/METS/" xmlns:xlink="http://www.w3.org/1999/xlink" OBJID="p">
              <mets:fileSec>
                <mets:fileGrp USE="Representations">
                  <mets:file ID="a" SIZE="1"><mets:FLocat xlink:href="../../etc/passwd"/></mets:file>
                  <mets:file ID="b" SIZE="1"><mets:FLocat xlink:href="representations/rep1/data/x.txt"/></mets:file>
                  <mets:file ID="c" SIZE="1" CHECKSUM="00" CHECKSUMTYPE="MD5"><mets:FLocat xlink:href="https://example.org/x"/></mets:file>
                  <mets:file ID="b" SIZE="1" CHECKSUM="00" CHECKSUMTYPE="SHA-256"><mets:FLocat xlink:href="representations/rep1/data/y.txt"/></mets:file>
                </mets:fileGrp>
              </mets:fileSec>
              <mets:structMap/>
            </mets:mets>
            """
        let (manifest, diagnostics) = METSManifest.read(Array(mets.utf8))
        #expect(manifest == nil)
        let lines = diagnostics.filter { $0.severity == .error }.map(\.description)
        #expect(lines.contains { $0.hasPrefix("METS.xml:5 <mets:file>: malformed METS: unsafe location '../../etc/passwd'") })
        #expect(lines.contains("METS.xml:6 <mets:file>: CHECKSUM is missing for representations/rep1/data/x.txt"))
        #expect(lines.contains { $0.hasPrefix("METS.xml:7 <mets:file>: malformed METS: 'https://example.org/x' is not a path") })
        #expect(lines.contains("METS.xml:8 <mets:file>: malformed METS: ID 'b' is used twice"), "\(lines)")

        // Streamed, a METS is read no further than a package could hold (entries), nor past a thousand problems.
        let many = try #require(try? METSManifest.read(.bytes(Array(mets.utf8)), maxEntries: 0))
        #expect(many.diagnostics.last?.message == "malformed METS: it lists more than 0 files, more than a package may hold")
        let broken = mets.replacingOccurrences(of: "<mets:fileGrp USE=\"Representations\">",
                                               with: "<mets:fileGrp USE=\"Representations\">" + String(repeating: "<mets:file/>", count: 1500))
        let stopped = try #require(try? METSManifest.read(.bytes(Array(broken.utf8))))
        #expect(stopped.diagnostics.count == PackageDiagnostic.maxPerDocument + 2, "\(stopped.diagnostics.count)")
        #expect(stopped.diagnostics.last?.message == "more than 1000 problems in METS.xml: read no further")
    }

    /// An export too large for an import's default limits says which `--max-files` would take it.
    @Test func anExportPastTheImportLimitsSaysWhatWouldTakeIt() {
        let limits = ArchiveLimits(maxEntries: 100, maxTotalBytes: 1000)
        func needed(files: Int, cases: Int = 1, versions: Int, bytes: Int64 = 10) -> ArchiveLimits? {
            PackageReader.limitsNeeded(files: files, cases: cases, versions: versions, bytes: bytes, limits: limits)
        }
        #expect(needed(files: 83, versions: 400) == nil)
        // Its folders (at most twelve, and one per case) and a bag's four tag files count.
        #expect(needed(files: 80, cases: 9, versions: 80) == ArchiveLimits(maxEntries: 105, maxTotalBytes: 1000))
        #expect(needed(files: 10, versions: 401) == ArchiveLimits(maxEntries: 101, maxTotalBytes: 1000))
        #expect(needed(files: 10, versions: 10, bytes: 1001) == ArchiveLimits(maxEntries: 100, maxTotalBytes: 1001))
        #expect(PackageReader.limitsNeeded(files: 90_005, cases: 9, versions: 90_000, bytes: 700 << 20) == nil)
    }

    /// Streamed, an ERMS is read no further than a package could hold: past `maxVersions` it is refused as a whole.
    @Test func ermsDescribingMoreThanAPackageHoldsIsRefused() throws {
        let text = try ERMSReaderTests().sample()
        let whole = try ERMS.read(.bytes(Array(text.utf8)), file: "erms.xml")
        #expect(whole.transfer?.versionCount == 2 && whole.isDiarium && !whole.isUnreadable)
        let cut = try ERMS.read(.bytes(Array(text.utf8)), file: "erms.xml", maxVersions: 1)
        #expect(cut.transfer == nil && cut.isUnreadable)
        #expect(cut.diagnostics.last?.message == "erms.xml describes more than 1 versions, more than a package may hold", "\(cut.diagnostics)")
    }

    @Test func metsObjectIDMustBeALine() {
        // The OBJID names the package in the audit log and in package_imports, whose CHECK refuses a blank one (which
        // the import then reported as a storage failure).
        for objid in [" ", "a&#10;b"] {
            let mets = """
                <?xml version="1.0"?>
                <mets:mets xmlns:mets="http://www.loc.gov/METS/" OBJID="\(objid)"><mets:metsHdr/><mets:fileSec/><mets:structMap/></mets:mets>
                """
            let (manifest, diagnostics) = METSManifest.read(Array(mets.utf8))
            #expect(manifest == nil)
            #expect(diagnostics.contains { $0.description.hasPrefix("METS.xml:2 <mets:mets>: malformed METS: OBJID") }, "\(diagnostics)")
        }
    }

    @Test func compressionFollowsTheMediaType() {
        #expect(PackageNaming.compresses("text/plain; charset=utf-8"))
        #expect(PackageNaming.compresses("application/xml"))
        #expect(!PackageNaming.compresses("application/pdf"))
        #expect(!PackageNaming.compresses("application/vnd.openxmlformats-officedocument.wordprocessingml.document"))
        #expect(!PackageNaming.compresses("image/jpeg"))
    }

    @Test func metadataHeldInMemoryIsBounded() throws {
        // Every *.xml under a metadata/ folder stays in memory until METS is checked: their total is bounded, from a
        // directory and from an archive alike (12 such files of 60 MiB once took 803 MB, even for a dry run).
        let dir = try TempDirectory()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.file("p/metadata/other"), withIntermediateDirectories: true)
        try dir.write("p/METS.xml", "<mets/>")
        for i in 0..<4 { try dir.write("p/metadata/other/m\(i).xml", String(repeating: "<a/>", count: 256)) }
        try runTool("/usr/bin/tar", ["-cf", dir.file("p.tar"), "-C", dir.path, "p"])
        let sink: PackageReader.ContentSink = { _, produce throws(DiariumError) in
            var size: Int64 = 0
            try produce { chunk throws(DiariumError) in size += Int64(chunk.count) }
            return ReadPackage.FileDigest(sha256: String(repeating: "0", count: 64), size: size)
        }
        for path in [dir.file("p"), dir.file("p.tar")] {
            do {
                _ = try PackageReader.read(path, options: PackageReader.Options(maxMetadataBytes: 3000), content: sink)
                Issue.record("\(path) was read whole")
            } catch {
                #expect(error.message.contains("more than 3000 bytes of metadata"), "\(error.message)")
            }
        }
        #expect(PackageReader.Options().maxMetadataBytes < 12 * 60 << 20)

        // Given a scratch directory, documents past `spillAbove` go there instead: the limits bound memory only, so
        // the same package is read (and refused for its METS, which is no METS), and the files go with the read.
        let scratch = dir.file("scratch")
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: false)
        for path in [dir.file("p"), dir.file("p.tar")] {
            do {
                let options = PackageReader.Options(maxMetadataBytes: 3000, scratchDirectory: scratch, spillAbove: 100)
                _ = try PackageReader.read(path, options: options, content: sink)
                Issue.record("\(path) was accepted")
            } catch {
                #expect(error.message.contains("the root element must be <mets>"), "\(error.message)")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).isEmpty)
        }
    }
}
