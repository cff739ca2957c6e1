import DiariumCore
import DiariumServices
import DiariumTesting
import Foundation
import GRDB
import Glibc
import Testing

@Suite struct VerifyTests {
    /// A store with a few documents, versions and a closed case.
    func populated() throws -> (Fixture, [DocumentRecord]) {
        let f = try Fixture()
        let docs = try (1...4).map { try f.register("d\($0).txt", "innehåll nummer \($0)") }
        _ = try f.service.addVersion(docs[0].number, file: try f.dir.write("d1b.txt", "andra versionen"), comment: nil, actor: "bo")
        _ = try f.service.finalise(docs[1].number, comment: nil, actor: "bo")
        #expect(try f.service.verify().ok)
        return (f, docs)
    }

    func codes(_ report: VerifyReport) -> Set<String> { Set(report.problems.map(\.code)) }

    @Test func cleanStoreVerifies() throws {
        let (f, _) = try populated()
        defer { f.dir.remove() }
        let report = try f.service.verify()
        #expect(report.problems == [])
        #expect(report.blobsChecked == 5)
        #expect(report.auditEventsChecked == Int(try f.service.counts().auditEvents))
    }

    /// What an auditor's account or a copy on read-only media gets: the same checks but the full-text index's, which
    /// the report names, and nothing written, not even the clean-up a normal open does.
    @Test func aReadOnlyOpenVerifiesAndWritesNothing() throws {
        let (f, docs) = try populated()
        defer { f.dir.remove() }
        try FileManager.default.createDirectory(atPath: f.storePath + "/tmp/left-by-a-dead-process", withIntermediateDirectories: false)
        let counts = try f.service.counts()
        let readOnly = try RecordsService.open(at: f.storePath, readOnly: true)
        #expect(readOnly.store.catalog.isReadOnly && !f.service.store.catalog.isReadOnly)
        let report = try readOnly.verify()
        #expect(report.problems == [] && report.blobsChecked == 5)
        #expect(report.auditEventsChecked == Int(counts.auditEvents))
        #expect(report.skipped.count == 1 && report.skipped[0].hasPrefix("search-index") && report.skipped[0].contains("write access"))
        #expect(try f.service.verify().skipped == [])
        #expect(try f.service.verify(checkingSearchIndex: false).skipped.first?.contains("--check-index") == true)
        #expect(FileManager.default.fileExists(atPath: f.storePath + "/tmp/left-by-a-dead-process"), "a read-only open removes nothing")

        // A write through it is refused, saying why, and changes nothing.
        #expect {
            _ = try readOnly.addVersion(docs[0].number, file: try f.dir.write("e.txt", "ändring"), comment: nil, actor: "bo")
        } throws: { error in
            (error as? DiariumError)?.message.contains("read-only") == true
        }
        #expect(try f.service.counts().auditEvents == counts.auditEvents)

        // Damage is still found.
        let path = f.service.store.blobs.path(of: docs[2].current.content!.sha256)
        chmod(path, 0o644)
        try Data("skadad".utf8).write(to: URL(fileURLWithPath: path))
        #expect(codes(try readOnly.verify()).contains("blob-damaged"))
    }

    /// A read-only open cannot upgrade an older store's catalog, so it says so instead of reading a schema it does not know.
    @Test func aReadOnlyOpenRefusesAStoreThatNeedsUpgrading() throws {
        let (f, _) = try populated()
        defer { f.dir.remove() }
        try f.rawCatalog().write { db in
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE rowid = (SELECT max(rowid) FROM grdb_migrations)")
        }
        #expect {
            _ = try RecordsService.open(at: f.storePath, readOnly: true)
        } throws: { error in
            guard let error = error as? DiariumError else { return false }
            return error.code == .unsupportedStore && error.message.contains("older Diarium")
        }
    }

    @Test func theStoresOrganisationIsHeldToTheLog() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        try f.rawCatalog().write { db in try db.execute(sql: "INSERT INTO store_info(key, value) VALUES ('organisation_name', 'Annan kommun')") }
        #expect(try f.service.verify().problems.map(\.message).contains("the store's organisation is Annan kommun, but the log says none was set"))
        try f.service.setOrganisation(try Organisation(name: "Exempelby kommun", code: "212000-1355"), actor: "admin")
        #expect(try f.service.verify().ok)
        try f.rawCatalog().write { db in try db.execute(sql: "UPDATE store_info SET value = 'ORG:2021003062' WHERE key = 'organisation_code'") }
        #expect(try f.service.verify().problems.map(\.message)
                .contains("the store's organisation is Exempelby kommun (ORG:2021003062), but the log says Exempelby kommun (ORG:2120001355)"))
    }

    @Test func theStoresPartyIdIsHeldToTheLog() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        try ExchangeService(records: f.service).setIdentity(PartyID(rawValue: "sundsvall-ks")!, actor: "admin")
        #expect(try f.service.verify().ok)
        try f.rawCatalog().write { db in try db.execute(sql: "UPDATE store_info SET value = 'timra-bun' WHERE key = 'exchange_party_id'") }
        #expect(try f.service.verify().problems.map(\.message).contains("this store is party timra-bun in exchanges, but the log says party sundsvall-ks"))
        try f.rawCatalog().write { db in try db.execute(sql: "DELETE FROM store_info WHERE key = 'exchange_party_id'") }
        #expect(try f.service.verify().problems.map(\.message).contains("this store is no party in exchanges, but the log says party sundsvall-ks"))
    }

    @Test func detectsAFlippedByte() throws {
        let (f, docs) = try populated()
        defer { f.dir.remove() }
        let path = f.service.store.blobs.path(of: docs[2].current.content!.sha256)
        chmod(path, 0o644)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[3] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: path))
        let report = try f.service.verify()
        #expect(codes(report) == ["blob-damaged"])
        #expect(report.problems[0].object == docs[2].current.content!.sha256)
        // Named by the record whose content it is, not only by its digest.
        #expect(report.problems[0].message.hasSuffix(": the content of \(docs[2].number) v1"), "\(report.problems[0].message)")
    }

    @Test func detectsADeletedBlob() throws {
        let (f, docs) = try populated()
        defer { f.dir.remove() }
        unlink(f.service.store.blobs.path(of: docs[3].current.content!.sha256))
        #expect(codes(try f.service.verify()) == ["blob-missing"])
    }

    @Test func detectsAnEditedAuditRow() throws {
        let (f, _) = try populated()
        defer { f.dir.remove() }
        try f.rawCatalog().write { db in
            try db.execute(sql: "DROP TRIGGER audit_no_update")
            try db.execute(sql: "UPDATE audit_events SET actor = 'mallory' WHERE seq = 5")
        }
        let report = try f.service.verify()
        #expect(codes(report) == ["audit-event-altered", "catalog-trigger-missing"])
        #expect(report.problems.contains { $0.object == "audit event 5" })
    }

    /// Details that are not JSON stopped every check that reads them with SQLite's JSON functions ("malformed JSON",
    /// exit 7, no report): now each such event is named, the comparisons that read details are skipped (and said so),
    /// and everything else is still checked.
    @Test func reportsAuditDetailsThatAreNotJSON() throws {
        let (f, docs) = try populated()
        defer { f.dir.remove() }
        try f.rawCatalog().write { db in
            try db.execute(sql: "DROP TRIGGER audit_no_update")
            try db.execute(sql: #"UPDATE audit_events SET details = '{"sha256":"abc' WHERE seq IN (3, 9)"#)
        }
        unlink(f.service.store.blobs.path(of: docs[3].current.content!.sha256))
        let report = try f.service.verify()
        #expect(codes(report) == ["audit-details-malformed", "audit-event-altered", "blob-missing", "catalog-trigger-missing"])
        #expect(report.problems.filter { $0.code == "audit-details-malformed" }.map(\.object) == ["audit event 3", "audit event 9"])
        #expect(report.skipped.contains { $0.hasPrefix("audit-mismatch") })
    }

    @Test func detectsAnEditedAuditRowWithARecomputedHash() throws {
        let (f, _) = try populated()
        defer { f.dir.remove() }
        try f.rawCatalog().write { db in
            try db.execute(sql: "DROP TRIGGER audit_no_update")
            let row = try Row.fetchOne(db, sql: "SELECT * FROM audit_events WHERE seq = 5")!
            let hash = AuditChainForTests.hash(row, actor: "mallory")
            try db.execute(sql: "UPDATE audit_events SET actor = 'mallory', hash = ? WHERE seq = 5", arguments: [hash])
        }
        let report = try f.service.verify()
        #expect(codes(report) == ["audit-chain-broken", "catalog-trigger-missing"], "the next event no longer links to it")
        #expect(report.problems.contains { $0.object == "audit event 6" })
    }

    @Test func detectsADeletedAuditRowInTheMiddle() throws {
        let (f, _) = try populated()
        defer { f.dir.remove() }
        try f.rawCatalog().write { db in
            try db.execute(sql: "DROP TRIGGER audit_no_delete")
            try db.execute(sql: "DELETE FROM audit_events WHERE seq = 6")
        }
        let found = codes(try f.service.verify())
        #expect(found.contains("audit-gap"))
        #expect(found.contains("audit-chain-broken"))
        #expect(found.contains("audit-unrecorded"), "the version it recorded has no event now")
    }

    @Test func detectsTheLastAuditRowDeleted() throws {
        let (f, _) = try populated()
        defer { f.dir.remove() }
        try f.rawCatalog().write { db in
            try db.execute(sql: "DROP TRIGGER audit_no_delete")
            try db.execute(sql: "DELETE FROM audit_events WHERE seq = (SELECT max(seq) FROM audit_events)")
        }
        #expect(codes(try f.service.verify()) == ["audit-unrecorded", "catalog-trigger-missing"])
    }

    @Test func detectsADeletedVersion() throws {
        let (f, docs) = try populated()
        defer { f.dir.remove() }
        try f.rawCatalog().write { db in
            try db.execute(sql: "DROP TRIGGER versions_no_delete")
            try db.execute(sql: "DELETE FROM versions WHERE n = 2 AND document_id = 1")
        }
        let report = try f.service.verify()
        #expect(codes(report).contains("audit-dangling"))
        #expect(report.problems.contains { $0.object.hasPrefix(docs[0].number.description) })
    }

    /// Runs `sql` on the raw catalog with the immutability triggers out of the way, then puts them back, so a test
    /// sees what the rows alone give away.
    func tamper(_ f: Fixture, _ sql: String...) throws {
        try f.rawCatalog().write { db in
            let triggers = try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'trigger'")
            for name in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger'") {
                try db.execute(sql: "DROP TRIGGER \(name)")
            }
            for statement in sql { try db.execute(sql: statement) }
            for statement in triggers { try db.execute(sql: statement) }
        }
    }

    func mismatches(_ report: VerifyReport) -> [String] {
        report.problems.filter { $0.code == "audit-mismatch" }.map(\.message)
    }

    @Test func aMissingImmutabilityTriggerIsAProblem() throws {
        let (f, _) = try populated()
        defer { f.dir.remove() }
        try f.rawCatalog().write { db in try db.execute(sql: "DROP TRIGGER versions_no_update") }
        let report = try f.service.verify()
        #expect(codes(report) == ["catalog-trigger-missing"])
        #expect(report.problems[0].object == "versions_no_update")
    }

    @Test func detectsAVersionWhoseContentWasSwapped() throws {
        let (f, docs) = try populated()
        defer { f.dir.remove() }
        let other = docs[3].current.content!
        // Version 1 of the first document now names another document's bytes: `get` would serve them.
        try tamper(f, "UPDATE versions SET blob_sha256 = '\(other.sha256)', content_size = \(other.size) WHERE document_id = 1 AND n = 1")
        let report = try f.service.verify()
        #expect(codes(report) == ["audit-mismatch"])
        #expect(mismatches(report).contains { $0.hasPrefix("\(docs[0].number) version 1: content is \(other.sha256), the log says") })
    }

    @Test func detectsAnEditedTitleInAnOlderVersion() throws {
        let (f, docs) = try populated()
        defer { f.dir.remove() }
        // Version 2 of the first document added content; its metadata must equal version 1's.
        try tamper(f, "UPDATE versions SET title = 'Något annat' WHERE document_id = 1 AND n = 2")
        let report = try f.service.verify()
        #expect(mismatches(report) == ["\(docs[0].number) version 2: metadata changed (title) in a document.version",
                                       "\(docs[0].number) version 2: its stored description (title, parties, class, …) is not what the event that made it sealed"])
    }

    /// An upgrade is part of the store's record: the migrations a newer build ran are logged as `store.upgrade`
    /// (a new store's are its creation, and an open that runs none logs nothing).
    @Test func anUpgradeIsLogged() throws {
        let (f, _) = try populated()
        defer { f.dir.remove() }
        #expect(try !f.service.audit().contains { $0.action == .storeUpgrade })
        // As the build before v30 left it (also before the log's account of migrations was kept).
        try f.rawCatalog().write { db in
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v30-description-seal-key'")
            try db.execute(sql: "DELETE FROM store_info WHERE key = 'logged_migrations'")
        }
        let upgraded = try RecordsService.open(at: f.storePath, clock: f.clock)
        let event = try #require(try upgraded.audit().last)
        #expect(event.action == .storeUpgrade && event.actor == "diarium" && event.object == "store"
                && event.details == #"{"migrations":["v30-description-seal-key"]}"#, "\(event)")
        _ = try RecordsService.open(at: f.storePath, clock: f.clock)
        #expect(try upgraded.audit().filter { $0.action == .storeUpgrade }.count == 1)
        #expect(try upgraded.verify().ok, "the key the store had is kept: every seal still holds")
    }

    /// The migrator commits each migration on its own: a build stopped after the migrations and before their event
    /// leaves the event to the next open, which still logs it (from what the store says the log accounts for).
    @Test func anUpgradeStoppedBeforeItsEventIsLoggedAtTheNextOpen() throws {
        let (f, _) = try populated()
        defer { f.dir.remove() }
        // As a crash would leave it: v30 ran (grdb_migrations has it), the log never heard of it.
        try f.rawCatalog().write { db in
            let logged = try String.fetchOne(db, sql: "SELECT value FROM store_info WHERE key = 'logged_migrations'") ?? ""
            #expect(logged.contains("v30-description-seal-key"))
            try db.execute(sql: "UPDATE store_info SET value = ? WHERE key = 'logged_migrations'",
                           arguments: [logged.split(separator: "\n").filter { $0 != "v30-description-seal-key" }.joined(separator: "\n")])
        }
        let reopened = try RecordsService.open(at: f.storePath, clock: f.clock)
        let events = try reopened.audit().filter { $0.action == .storeUpgrade }
        #expect(events.map(\.details) == [#"{"migrations":["v30-description-seal-key"]}"#], "\(events)")
        _ = try RecordsService.open(at: f.storePath, clock: f.clock)
        #expect(try reopened.audit().filter { $0.action == .storeUpgrade }.count == 1, "logged once")
    }

    /// Titles and parties rewritten in every version at once leave the versions agreeing with each other: the seal
    /// each version's event carries is what finds it.
    @Test func detectsATitleAndPartiesRewrittenInEveryVersion() throws {
        let (f, docs) = try populated()
        defer { f.dir.remove() }
        try tamper(f, "UPDATE versions SET title = 'Förfalskad', sender = 'X' WHERE document_id = 1")
        let report = try f.service.verify()
        #expect(codes(report) == ["audit-mismatch", "search-index"], "\(report.problems)")
        #expect(mismatches(report) == [1, 2].map { "\(docs[0].number) version \($0): its stored description (title, parties, class, …) is not what the event that made it sealed" })
        // The event carries the seal, never the title it covers.
        let event = try #require(try f.service.audit(object: docs[0].number.description).first)
        #expect(event.details.firstMatch(of: /"seal":"[0-9a-f]{32}"/) != nil && !event.details.contains(docs[0].current.metadata.title),
                "\(event.details)")
    }

    /// A case's title and class are rewritten in its row (a class decides which retention rule applies), and a kept
    /// earlier description too: each is held to the seal of the event that made it.
    @Test func detectsACaseDescriptionRewritten() throws {
        let (f, _) = try populated()
        defer { f.dir.remove() }
        var change = CaseChange()
        change.title = "Rättad titel"
        _ = try f.service.updateCase(f.caseNumber, change, actor: "bo")
        #expect(try f.service.verify().ok)
        try tamper(f, "UPDATE cases SET title = 'Falsk titel', department = 'X' WHERE serial = \(f.caseNumber.serial)",
                   "UPDATE case_revisions SET title = 'Falsk äldre titel'")
        #expect(mismatches(try f.service.verify()) == [
            "case \(f.caseNumber): its description (title, class, department, …) is not what its last description event sealed",
            "case \(f.caseNumber) (description 1): the earlier description a correction kept is not what the event that made it sealed",
        ])
        // Removing the key would leave nothing to compare: that is a finding too.
        try tamper(f, "DELETE FROM store_info WHERE key = 'description_seal_key'")
        #expect(mismatches(try f.service.verify()).contains { $0.hasPrefix("the store's seal key") })
    }

    @Test func detectsALiftedRestrictionAndAStatusFlip() throws {
        let (f, docs) = try populated()
        defer { f.dir.remove() }
        let secret = try f.service.register([f.document("hemlig.txt", "hemligt", type: .letter,
                                                         restriction: AccessRestriction(kind: .secrecy, legalReference: "OSL 21 kap. 1 §"))],
                                            in: f.caseNumber, actor: "anna")[0]
        let id = try f.rawCatalog().read { db in try Int64.fetchOne(db, sql: "SELECT max(id) FROM documents")! }
        try tamper(f, "UPDATE versions SET restriction_kind = NULL, restriction_legal = NULL, restriction_hides = NULL WHERE document_id = \(id)",
                   // The finalised document back to a draft, head row and version alike.
                   "UPDATE versions SET status = 'draft' WHERE document_id = 2 AND n = 2",
                   "UPDATE documents SET status = 'draft' WHERE id = 2")
        let found = mismatches(try f.service.verify())
        #expect(found.contains("\(secret.number) version 1: restriction is none, the log says secrecy (OSL 21 kap. 1 §)"), "\(found)")
        #expect(found.contains("\(docs[1].number) version 2: status is draft, the log says final"), "\(found)")
    }

    @Test func detectsADocumentHeadThatDisagreesWithItsVersions() throws {
        let (f, docs) = try populated()
        defer { f.dir.remove() }
        try tamper(f, "UPDATE documents SET current_version = 99 WHERE id = 3", "UPDATE documents SET status = 'draft' WHERE id = 2")
        let report = try f.service.verify()
        #expect(codes(report).contains("document-head"))
        let heads = report.problems.filter { $0.code == "document-head" }.map(\.message)
        #expect(heads.contains("\(docs[2].number): current version 99, but its last version is 1"), "\(heads)")
        #expect(heads.contains("\(docs[1].number): status draft, but its current version says final"), "\(heads)")
    }

    @Test func detectsAReopenedCase() throws {
        let (f, _) = try populated()
        defer { f.dir.remove() }
        _ = try f.service.closeCase(f.caseNumber, actor: "anna")
        try tamper(f, "UPDATE cases SET status = 'open', closed_at = NULL")
        #expect(mismatches(try f.service.verify()).contains { $0.hasPrefix("case \(f.caseNumber) is open, but the log closed it") })
    }

    /// A verification is logged with what it checked and the codes of what it found (never the messages, which name
    /// documents); the next verification holds that event to the chain like any other.
    @Test func aVerificationIsLogged() throws {
        let (f, docs) = try populated()
        defer { f.dir.remove() }
        let report = try f.service.verify()
        try f.service.recordVerification(report, actor: "arkivarie")
        let event = try #require(try f.service.audit(object: "store").last)
        #expect(event.action == .storeVerify && event.actor == "arkivarie")
        #expect(event.details.contains(#""ok":true"#) && event.details.contains(#""files":\#(report.blobsChecked)"#), "\(event.details)")
        try tamper(f, "UPDATE versions SET title = 'Något annat' WHERE document_id = 1 AND n = 2")
        let failed = try f.service.verify()
        #expect(failed.ok == false)
        try f.service.recordVerification(failed, actor: "arkivarie")
        let logged = try #require(try f.service.audit(object: "store").last)
        #expect(logged.details.contains(#""codes":["audit-mismatch""#) && logged.details.contains(#""ok":false"#), "\(logged.details)")
        #expect(!logged.details.contains(docs[0].number.description), "\(logged.details)")
    }

    /// Opened again through the log, a case verifies open; closed behind the log's back after that, it does not.
    @Test func aCaseOpenedAgainIsHeldToTheLogsLastWord() throws {
        let (f, _) = try populated()
        defer { f.dir.remove() }
        _ = try f.service.closeCase(f.caseNumber, actor: "anna")
        _ = try f.service.reopenCase(f.caseNumber, actor: "anna")
        #expect(try f.service.verify().ok)
        try tamper(f, "UPDATE cases SET status = 'closed', closed_at = '2026-03-02T08:00:00.000Z'")
        let report = try f.service.verify()
        #expect(report.problems.contains { $0.message.contains("closing of case \(f.caseNumber)") }, "\(report.problems)")
    }

    /// A restriction's end date is in the log of each version since it was kept there: moved behind the log's back,
    /// it is found.
    @Test func detectsAMovedRestrictionEnd() throws {
        let (f, _) = try populated()
        defer { f.dir.remove() }
        let until = try CalendarDate(parsing: "2031-12-31", field: "until")
        let secret = try f.service.register([f.document("hemlig.txt", "hemligt", type: .letter,
                                                         restriction: AccessRestriction(kind: .secrecy, legalReference: "OSL 21 kap. 1 §", until: until))],
                                            in: f.caseNumber, actor: "anna")[0]
        #expect(try f.service.verify().ok)
        let id = try f.rawCatalog().read { db in try Int64.fetchOne(db, sql: "SELECT max(id) FROM documents")! }
        try tamper(f, "UPDATE versions SET restriction_until = '2026-04-01' WHERE document_id = \(id)")
        let found = mismatches(try f.service.verify())
        #expect(found.contains("\(secret.number) version 1: the restriction ends 2026-04-01, the log says 2031-12-31"), "\(found)")
        // An end given to a restriction that had none: restricted content would become public on that day.
        let open = try f.service.register([f.document("tills-vidare.txt", "hemligt", type: .letter,
                                                       restriction: AccessRestriction(kind: .secrecy, legalReference: "OSL 21 kap. 1 §"))],
                                          in: f.caseNumber, actor: "anna")[0]
        try tamper(f, "UPDATE versions SET restriction_until = '2026-04-01' WHERE document_id = \(id + 1)")
        let again = mismatches(try f.service.verify())
        #expect(again.contains("\(open.number) version 1: the restriction ends 2026-04-01, the log says never"), "\(again)")
    }

    /// A token issued for a time is accepted until then and refused after, as a revoked one; its validity is in its
    /// token.create event, and one lengthened behind the log's back (or given to a token issued without one) is found.
    @Test func aTokenIssuedForATimeExpiresAndItsValidityIsHeldToTheLog() throws {
        let (f, _) = try populated()
        defer { f.dir.remove() }
        _ = try f.service.addUser(name: "bo", role: .clerk, departments: [Department(rawValue: "KS")!], actor: "admin")
        let limited = try f.service.createToken(user: "bo", label: "en månad", validDays: 30, actor: "admin")
        let lasting = try f.service.createToken(user: "bo", label: nil, actor: "admin")
        #expect(Timestamp.format(try #require(limited.info.expiresAt)) == "2026-03-31T09:00:00.\(Timestamp.format(limited.info.createdAt).suffix(4))")
        #expect(try f.service.listTokens(user: "bo").map(\.expiresAt) == [limited.info.expiresAt, nil])
        #expect(try f.service.authenticate(token: limited.token)?.name == "bo")
        #expect { try f.service.createToken(user: "bo", label: nil, validDays: 0, actor: "admin") } throws: { ($0 as? DiariumError)?.field == "validDays" }
        #expect { try f.service.createToken(user: "bo", label: nil, validDays: 3651, actor: "admin") } throws: { ($0 as? DiariumError)?.field == "validDays" }
        f.clock.set("2026-04-01T09:00:00.000Z")
        #expect(try f.service.authenticate(token: limited.token) == nil, "expired")
        #expect(try f.service.authenticate(token: lasting.token)?.name == "bo")
        #expect(try f.service.verify().ok)
        // Compared as text: any other form would sort after every date and never expire, so the catalog refuses it.
        #expect(throws: DatabaseError.self) {
            try f.rawCatalog().write { db in try db.execute(sql: "UPDATE tokens SET expires_at = '9' WHERE id = \(limited.info.id)") }
        }
        try tamper(f, "UPDATE tokens SET expires_at = '2036-01-01T00:00:00.000Z' WHERE id = \(limited.info.id)",
                   "UPDATE tokens SET expires_at = '2027-01-01T00:00:00.000Z' WHERE id = \(lasting.info.id)")
        let found = mismatches(try f.service.verify()) + (try f.service.verify()).problems.map(\.message)
        #expect(found.contains { $0.contains("token \(limited.info.id) expires 2036-01-01T00:00:00.000Z, but the log issued it to expire 2026-03-31") }, "\(found)")
        #expect(found.contains { $0.contains("token \(lasting.info.id) expires 2027-01-01T00:00:00.000Z, but the log issued it to expire never") }, "\(found)")
    }

    @Test func detectsAccountsTokensAndRulesTheLogNeverRecorded() throws {
        let (f, _) = try populated()
        defer { f.dir.remove() }
        let ks = SeriesCode(rawValue: "KS")!
        _ = try f.service.addUser(name: "bo", role: .clerk, departments: [Department(rawValue: "KS")!], actor: "admin")
        _ = try f.service.addUser(name: "eva", role: .clerk, departments: [], actor: "admin")
        let token = try f.service.createToken(user: "bo", label: nil, actor: "admin")
        let revoked = try f.service.createToken(user: "eva", label: nil, actor: "admin")
        _ = try f.service.revokeToken(id: revoked.info.id, actor: "admin")
        _ = try f.service.setRetentionRule(try RetentionRule(series: ks, recordType: nil, action: .keep, years: nil, mandate: "RA-MS 2020:1"), actor: "admin")
        _ = try f.service.setRetentionRule(try RetentionRule(series: ks, recordType: .letter, action: .dispose, years: 10, mandate: "RA-MS 2020:1"), actor: "admin")
        #expect(try f.service.verify().ok)
        try tamper(f, "UPDATE users SET role = 'admin' WHERE name = 'bo'",
                   "INSERT INTO users(name, role, created_at) VALUES ('mallory', 'admin', '2026-03-01T09:00:00.000Z')",
                   "INSERT INTO tokens(user_id, sha256, prefix, created_at) SELECT id, '\(String(repeating: "a", count: 64))', 'dia_x', '2026-03-01T09:00:00.000Z' FROM users WHERE name = 'mallory'",
                   "UPDATE tokens SET revoked_at = NULL WHERE id = \(revoked.info.id)",
                   // Someone's own secret under bo's token, prefix kept: it would let them act as bo.
                   "UPDATE tokens SET sha256 = '\(String(repeating: "b", count: 64))' WHERE id = \(token.info.id)",
                   "UPDATE retention_rules SET years = 0 WHERE record_type = 'letter'",
                   "DELETE FROM retention_rules WHERE record_type = ''",
                   // BUN's clerks would read KS's restricted documents.
                   "UPDATE series SET department = 'BUN' WHERE code = 'KS'",
                   "INSERT INTO series(code, name, created_at) VALUES ('SN', 'Socialnämnden', '2026-03-01T09:00:00.000Z')")
        let report = try f.service.verify()
        let found = mismatches(report)
        #expect(found.contains("series KS is kept by BUN, but the log says KS"), "\(found)")
        #expect(report.problems.contains { $0.code == "audit-unrecorded" && $0.object == "series SN" })
        #expect(!found.contains { $0.contains("SN") }, "a series without an event is audit-unrecorded, not a mismatch too")
        #expect(found.contains("user bo: role admin, departments KS, enabled; the log says role clerk, departments KS, enabled"), "\(found)")
        #expect(found.contains("user mallory has no audit event"), "\(found)")
        #expect(found.contains { $0.hasSuffix("of mallory has no token.create event") }, "\(found)")
        #expect(found.contains("token \(revoked.info.id) is active, but the log revoked it"), "\(found)")
        #expect(found.contains("retention rule KS/letter: dispose 0 years, but the log says dispose 10 years"), "\(found)")
        #expect(found.contains("retention rule KS is in the log but not in the catalog"), "\(found)")
        #expect(found.contains("token \(token.info.id) of bo is not the token its token.create event recorded: its digest was replaced"), "\(found)")
        #expect(found.filter { $0.contains("token \(token.info.id) ") }.count == 1, "\(found)")
    }

    @Test func aDamagedValueIsReportedNotATrap() throws {
        let (f, _) = try populated()
        defer { f.dir.remove() }
        // Text where an integer belongs (SQLite's CHECK compares it and lets it pass), and a sequence number at the
        // end of the range, which the next append would overflow.
        try tamper(f, "UPDATE documents SET ordinal = 'x' WHERE id = 2",
                   "UPDATE audit_events SET seq = 9223372036854775807 WHERE seq = (SELECT max(seq) FROM audit_events)")
        let report = try f.service.verify()
        #expect(codes(report) == ["catalog-type"])
        #expect(report.problems.contains { $0.message == "documents 2: ordinal holds text" }, "\(report.problems)")
        #expect(report.problems.contains { $0.message.hasSuffix("seq out of range") }, "\(report.problems)")
        // A write refuses instead of overflowing.
        #expect(throws: DiariumError.self) { try f.service.closeCase(f.caseNumber, actor: "anna") }
    }

    /// An event whose details say `"status": null` makes the SQL that describes the mismatch NULL: still a line in
    /// the report, not an error that loses it.
    @Test func aDamagedEventIsDescribedNotThrown() throws {
        let (f, docs) = try populated()
        defer { f.dir.remove() }
        try tamper(f, """
            UPDATE audit_events SET details = json_set(details, '$.status', json('null'), '$.size', json('null'))
            WHERE object = '\(docs[2].number)' AND version = 1
            """)
        let report = try f.service.verify()
        #expect(codes(report) == ["audit-event-altered", "audit-mismatch"])
        #expect(mismatches(report).contains { $0.contains("the log says null") }, "\(report.problems)")

        // A token's fingerprint that is not text (a number, null) is a finding, never a failed verify.
        _ = try f.service.addUser(name: "bo", role: .clerk, departments: [], actor: "admin")
        let numbered = try f.service.createToken(user: "bo", label: nil, actor: "admin").info.id
        let nulled = try f.service.createToken(user: "bo", label: nil, actor: "admin").info.id
        try tamper(f, "UPDATE audit_events SET details = json_set(details, '$.fingerprint', 5) WHERE action = 'token.create' AND json_extract(details, '$.token') = \(numbered)",
                   "UPDATE audit_events SET details = json_set(details, '$.fingerprint', json('null')) WHERE action = 'token.create' AND json_extract(details, '$.token') = \(nulled)")
        let again = mismatches(try f.service.verify())
        for id in [numbered, nulled] {
            #expect(again.contains("token \(id) of bo is not the token its token.create event recorded: its digest was replaced"), "\(again)")
        }
    }

    /// A title stored in NFD (by a build from before text was normalised) is rewritten in NFC by the next
    /// correction of any field: the log says the title changed too, so verify agrees with the rows.
    @Test func aCorrectionThatNormalisesOldTextIsLoggedAsSuch() throws {
        let (f, _) = try populated()
        defer { f.dir.remove() }
        // Such a build sealed nothing either: a document registered while the store had no seal key (put back after).
        let key = try f.rawCatalog().read { db in try String.fetchOne(db, sql: "SELECT value FROM store_info WHERE key = 'description_seal_key'")! }
        try tamper(f, "DELETE FROM store_info WHERE key = 'description_seal_key'")
        let old = try f.register("d5.txt", "innehåll nummer 5")
        try tamper(f, "INSERT INTO store_info(key, value) VALUES ('description_seal_key', '\(key)')")
        let decomposed = "Titel d5.txt (fo\u{308}r\u{308}a\u{30A})"
        try tamper(f, "UPDATE versions SET title = '\(decomposed)' WHERE document_id = 5",
                   "INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
        #expect(try f.service.verify().ok)
        var change = MetadataChange()
        change.sender = .some("Miljöförvaltningen")
        _ = try f.service.update(old.number, change, comment: nil, actor: "bo")
        let report = try f.service.verify()
        #expect(report.ok, "\(report.problems)")
        let event = try #require(try f.service.audit(object: old.number.description).last)
        #expect(event.details.contains(#""fields":["title","sender"]"#), "\(event.details)")
    }

    @Test func unreadableContentIsReportedNotThrown() throws {
        let (f, docs) = try populated()
        defer { f.dir.remove() }
        let path = f.service.store.blobs.path(of: docs[2].current.content!.sha256)
        unlink(path)
        mkdir(path, 0o755)
        let report = try f.service.verify()
        #expect(codes(report) == ["blob-unreadable"])
        #expect(report.problems[0].object == docs[2].current.content!.sha256)
    }

    @Test func orphanBlobsAreNotesNotProblems() throws {
        let (f, _) = try populated()
        defer { f.dir.remove() }
        let staged = try f.service.store.blobs.stage(copying: try f.dir.write("orphan.txt", "never registered"))
        try f.service.store.blobs.publish([staged])
        let report = try f.service.verify()
        #expect(report.ok)
        #expect(report.orphanBlobs == [staged.sha256])
    }
}

/// Recomputes an event hash the way `Storage/README.md` documents it, independently of the product code.
enum AuditChainForTests {
    static func hash(_ row: Row, actor: String) -> String {
        let version = (row["version"] as Int?).map(String.init) ?? ""
        let fields: [String] = [String(row["seq"] as Int64), row["at"], actor, row["action"], row["object"], version,
                                row["details"], row["prev_hash"]]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        let (input, output) = Spawning.serially {
            let input = Pipe(), output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            try! process.run()
            return (input, output)
        }
        input.fileHandleForWriting.write(Data(fields.joined(separator: "\u{1F}").utf8))
        try! input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(String(decoding: data, as: UTF8.self).prefix(64))
    }
}
