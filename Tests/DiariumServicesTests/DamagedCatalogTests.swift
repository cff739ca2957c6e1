import DiariumCore
import DiariumServices
import DiariumTesting
import Foundation
import GRDB
import Testing

/// A catalog edited by hand or damaged on disk: a value of the wrong storage class in any column of any table. Every
/// read a clerk, an archivist, the public diarium or the exchange makes must answer with an error (or, where it does
/// not read that column, normally), never trap: a trap takes the whole server down for everyone, and GRDB's message
/// prints the whole row, restricted title and parties included. `verify` must name each damaged column.
@Suite struct DamagedCatalogTests {
    static let secretTitle = "Hemlig titel om skyddad person"
    static let secretSender = "Skyddad Avsändare"

    struct Template {
        let dir: TempDirectory
        let documents: [DocumentNumber]
        let caseNumber: CaseNumber
        let token: String
    }

    /// A store with something in every table: documents (one restricted, one final, one disposed of), versions, a
    /// closed case, legal holds, users, tokens, retention rules, classes, a party and an interchange written for other transport. Closed again, so its
    /// directory can be copied.
    func template() async throws -> Template {
        let f = try Fixture()
        let ks = SeriesCode(rawValue: "KS")!
        let open = try f.register("a.txt", "innehåll om budget")
        let restricted = try f.service.register([NewDocument(
            file: try f.dir.write("b.txt", "innehåll om en skyddad person"),
            metadata: DocumentMetadata(title: Self.secretTitle, publicTitle: "Skrivelse", recordType: .letter, direction: .incoming,
                                       sender: Self.secretSender,
                                       restriction: try AccessRestriction(kind: .secrecy, legalReference: "OSL 26 kap. 1 §",
                                                                         hides: [.content, .title, .parties])))],
            in: f.caseNumber, actor: "anna")[0]
        _ = try f.service.addVersion(open.number, file: try f.dir.write("a2.txt", "andra versionen om budget"), comment: "ny", actor: "anna")
        _ = try f.service.finalise(open.number, comment: nil, actor: "anna")
        // A classification structure whose every column is filled in; the closed case's class disposes of its documents.
        _ = try f.service.setClass(try ClassificationClass(code: "2", title: "Stödprocesser", description: "Stöd",
                                                           retention: try RetentionTerms(action: .keep, years: nil, mandate: "RA-FS 1991:6",
                                                                                         schedule: "IHP 2024")), actor: "admin")
        _ = try f.service.setClass(try ClassificationClass(code: "2.4", title: "Bygglov", description: "Lov enligt PBL",
                                                           retention: try RetentionTerms(action: .dispose, years: 0, mandate: "KS 2024 § 2",
                                                                                         schedule: "IHP 2024")), actor: "admin")
        _ = try f.service.setClassRule(code: "2", type: .decision, try RetentionTerms(action: .dispose, years: 3, mandate: "KS 2024 § 3",
                                                                                      schedule: "IHP 2024"), actor: "admin")
        let closed = try f.service.openCase(NewCase(series: ks, title: "Avslutat ärende", classification: "2.4"), actor: "anna").number
        let protocol_ = try f.service.register([try f.document("c.txt", "protokoll")], in: closed, actor: "anna")[0]
        _ = try f.service.register([try f.document("d.txt", "kvar")], in: closed, actor: "anna")
        _ = try f.service.closeCase(closed, actor: "anna")
        // A disposal whose every column is filled in, and a hold placed and released.
        _ = try f.service.setRetentionRule(try RetentionRule(series: ks, recordType: .actionPlan, action: .dispose, years: 0, mandate: "KS 2024 § 1",
                                                             schedule: "IHP KS 2024"), actor: "admin")
        let hold = try f.service.placeHold(on: .case(closed), reason: "Tvist", actor: "arkivarie")
        _ = try f.service.releaseHold(id: hold.id, reason: "Avgjort", actor: "arkivarie")
        _ = try f.service.placeHold(on: .document(DocumentNumber(caseNumber: closed, ordinal: 2)), reason: "Begäran", actor: "arkivarie")
        _ = try f.service.dispose(.documents([protocol_.number]), actor: "arkivarie")
        // A corrected case whose earlier description has every column filled in.
        let corrected = try f.service.openCase(NewCase(series: ks, title: "Ärende om \(Self.secretSender)", publicTitle: "Ärende",
                                                       restriction: try AccessRestriction(kind: .privacy, legalReference: "OSL 26 kap. 1 §",
                                                                                         until: CalendarDate(year: 2090, month: 1, day: 1), hides: [.title]),
                                                       classification: "2.4", department: "Socialtjänsten", officer: "anna"), actor: "anna").number
        var correction = CaseChange()
        correction.title = "Ärende om en enskild"
        _ = try f.service.updateCase(corrected, correction, actor: "anna")
        _ = try f.service.addUser(name: "bo", role: .clerk, departments: [Department(rawValue: "KS")!], actor: "admin")
        let token = try f.service.createToken(user: "bo", label: "skript", actor: "admin")
        _ = try f.service.setRetentionRule(try RetentionRule(series: ks, recordType: .letter, action: .dispose, years: 10, mandate: "RA-MS 2020:1"),
                                           actor: "admin")
        // Another municipality sends a case to this store and exports one it imports: interchanges with their
        // number links, a party on each side, a package import.
        let other = try Fixture()
        defer { other.dir.remove() }
        try other.register("x.txt", "skickad handling")
        let theirs = ExchangeService(records: other.service)
        try theirs.setIdentity(PartyID(rawValue: "timra-bun")!, actor: "admin")
        _ = try theirs.addParty(NewParty(id: PartyID(rawValue: "sundsvall-ks")!, name: "Sundsvall KS"), actor: "admin")
        let sent = try await theirs.send(SendRequest(selection: .caseFile(other.caseNumber), recipient: PartyID(rawValue: "sundsvall-ks")!,
                                                     output: other.dir.file("ut")), records: other.service, actor: "anna")
        let package = other.dir.file("paket.tar")
        _ = try other.service.exportPackage(ExportRequest(selection: .case(other.caseNumber), format: .earkTar, output: package), actor: "arkivarie")

        let exchange = ExchangeService(records: f.service)
        try exchange.setIdentity(PartyID(rawValue: "sundsvall-ks")!, actor: "admin")
        try f.service.setOrganisation(try Organisation(name: "Sundsvalls kommun", code: "212000-2411"), actor: "admin")
        _ = try exchange.addParty(NewParty(id: PartyID(rawValue: "timra-bun")!, name: "Timrå BUN", url: "https://diarium.timra.se/",
                                           outboundToken: String(repeating: "t", count: 40), receivingSeries: ks), actor: "admin")
        _ = try exchange.receiveFile(at: try #require(sent.files.first { $0.hasSuffix(".xml") }), from: PartyID(rawValue: "timra-bun")!,
                                     records: f.service, actor: "anna")
        _ = try f.service.importPackage(at: package, options: ImportOptions(numbering: .renumber(into: ks)), actor: "arkivarie")
        _ = try await exchange.send(SendRequest(selection: .documents([open.number]), recipient: PartyID(rawValue: "timra-bun")!,
                                                output: f.dir.file("ut")), records: f.service, actor: "anna")
        // One that could not be delivered, withdrawn from the outbox.
        let unreachable = InterchangeSender(transport: UnreachableInbox(), policy: RetryPolicy(maxAttempts: 1), pause: { _ in })
        let stuck = try await exchange.send(SendRequest(selection: .documents([open.number]), recipient: PartyID(rawValue: "timra-bun")!),
                                            records: f.service, transport: unreachable, actor: "anna")
        _ = try exchange.withdraw(stuck.record.controlReference, actor: "anna")
        #expect(try f.service.verify().ok)
        return Template(dir: f.dir, documents: [open.number, restricted.number], caseNumber: closed, token: token.token)
    }

    /// Every column Diarium declares INTEGER or TEXT, from the schema itself.
    func columns(_ path: String) throws -> [(table: String, column: String)] {
        try DatabaseQueue(path: path).read { db in
            try Row.fetchAll(db, sql: """
                SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
                WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite%' AND m.name NOT LIKE 'search_fts%' AND m.name NOT LIKE 'case_fts%'
                  AND m.name != 'grdb_migrations'
                  AND p.type IN ('INTEGER', 'TEXT')
                ORDER BY m.name, p.cid
                """).map { ($0[0], $0[1]) }
        }
    }

    /// Sets `column` of every row to a blob, past triggers, CHECKs and foreign keys, as a hand edit would.
    func damage(_ path: String, _ table: String, _ column: String) throws {
        var config = Configuration()
        config.foreignKeysEnabled = false
        try DatabaseQueue(path: path, configuration: config).writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
            try db.inTransaction {
                let triggers = try Row.fetchAll(db, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
                for trigger in triggers { try db.execute(sql: "DROP TRIGGER \(trigger[0] as String)") }
                // Random (unique columns stay unique) but never valid UTF-8, as 0xFF cannot occur in it: GRDB reads a
                // blob that is as a string, and a wholly random one sometimes was, leaving a column unread in a run.
                try db.execute(sql: "UPDATE \(table) SET \(column) = CAST(X'FF' || randomblob(8) AS BLOB)")
                for trigger in triggers { try db.execute(sql: trigger[1] as String) }
                return .commit
            }
        }
    }

    /// Runs every read; returns the errors. A trap ends the test process, which is the failure this test exists for.
    func readEverything(_ store: String, _ t: Template, scratch: TempDirectory) async -> [DiariumError] {
        var errors: [DiariumError] = []
        func attempt(_ body: () throws -> Void) {
            do { try body() } catch let error as DiariumError { errors.append(error) } catch { Issue.record("not a DiariumError: \(error)") }
        }
        let service: RecordsService
        do { service = try RecordsService.open(at: store) } catch { return [error] }
        let exchange = ExchangeService(records: service)
        attempt { _ = try service.listSeries() }
        attempt { _ = try service.listCases() }
        attempt { _ = try service.caseDetails(t.caseNumber) }
        attempt { for c in try service.listCases() { _ = try service.caseHistory(c.number) } }
        attempt { _ = try service.counts() }
        attempt { _ = try service.audit() }
        for number in t.documents {
            attempt { _ = try service.document(number) }
            attempt { _ = try service.documentForAccess(number) }
            attempt { _ = try service.history(number) }
            attempt { _ = try service.audit(object: number.description) }
            attempt { _ = try service.publicEntry(number) }
            attempt { _ = try service.publicContent(number) }
            attempt {
                if let content = try service.document(number).current.content {
                    _ = try service.textRendition(of: content)
                    try service.readContent(content) { _ in }
                }
            }
        }
        for view in [SearchView.full, .public, .cleared([SeriesCode(rawValue: "KS")!])] {
            for query in ["innehåll", "budg*", "type:letter", "status:final year:2026", "\"skyddad person\""] {
                attempt { _ = try service.search(query, view: view, options: SearchOptions(facets: true, snippets: true)) }
            }
        }
        attempt { _ = try service.publicDiarium() }
        attempt { _ = try service.listUsers() }
        attempt { _ = try service.user("bo") }
        attempt { _ = try service.listTokens(user: nil) }
        attempt { _ = try service.authenticate(token: t.token) }
        attempt { _ = try service.retentionSchedule() }
        attempt { _ = try service.classification() }
        attempt { _ = try service.backups() }
        attempt { _ = try service.disposalDue() }
        attempt { _ = try service.legalHolds(includingReleased: true) }
        attempt { _ = try service.indexStatus(check: false) }
        attempt { _ = try service.formatReport() }
        attempt { _ = try exchange.identity() }
        attempt { _ = try service.organisation() }
        attempt { _ = try exchange.parties() }
        attempt { _ = try exchange.interchanges() }
        // Writes read too (the last audit event's hash, the case's status, the next number).
        attempt { _ = try service.openCase(NewCase(series: SeriesCode(rawValue: "KS")!, title: "Nytt ärende"), actor: "anna") }
        attempt {
            _ = try service.register([NewDocument(data: Data("ny".utf8), originalName: "ny.txt",
                                                  metadata: DocumentMetadata(title: "Ny", recordType: .letter))],
                                     in: t.documents[0].caseNumber, actor: "anna")
        }
        attempt {
            _ = try service.exportPackage(ExportRequest(selection: .case(t.caseNumber), format: .earkTar,
                                                        output: scratch.file("export.tar")), actor: "arkivarie")
        }
        return errors
    }

    @Test func everyDamagedColumnIsAnErrorNeverATrapAndVerifyNamesIt() async throws {
        let t = try await template()
        defer { t.dir.remove() }
        let columns = try columns(t.dir.file("store/catalog.sqlite"))
        #expect(columns.count > 100, "the whole schema: \(columns.count) columns")
        var readers: Set<String> = []
        for (table, column) in columns {
            let scratch = try TempDirectory()
            defer { scratch.remove() }
            let store = scratch.file("store")
            try FileManager.default.copyItem(atPath: t.dir.file("store"), toPath: store)
            do {
                try damage(store + "/catalog.sqlite", table, column)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_MISMATCH {
                continue   // an INTEGER PRIMARY KEY is the rowid: SQLite itself keeps it an integer
            }

            let errors = await readEverything(store, t, scratch: scratch)
            for error in errors {
                #expect(!error.message.contains(Self.secretTitle) && !error.message.contains(Self.secretSender),
                        "\(table).\(column): \(error.message)")
            }
            if errors.contains(where: { $0.message.contains("invalid value in column") }) { readers.insert("\(table).\(column)") }

            guard let service = try? RecordsService.open(at: store) else { continue }
            let report = try service.verify()
            #expect(report.problems.contains { $0.code == "catalog-type" && $0.message.contains(": \(column) holds blob") && $0.message.hasPrefix(table + " ") },
                    "\(table).\(column): \(report.problems.map(\.message))")
        }
        // Not vacuous: the reads did decode the damaged values (the core columns at least).
        for column in ["versions.title", "versions.sender", "documents.ordinal", "cases.year", "audit_events.actor", "audit_events.hash",
                       "users.role", "tokens.prefix", "content_formats.puid", "content_formats.basis"] {
            #expect(readers.contains(column), "\(column) was read: \(readers.sorted())")
        }
    }
}

/// An inbox that cannot be reached.
private struct UnreachableInbox: InterchangeTransport {
    func send(_ delivery: OutboundDelivery) async -> Result<[UInt8], TransportFailure> {
        .failure(TransportFailure(message: "connection refused", retryable: true))
    }
}
