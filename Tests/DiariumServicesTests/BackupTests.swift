import DiariumCore
import DiariumServices
import DiariumStorage
import DiariumTesting
import Foundation
import GRDB
import Glibc
import Testing

/// `diarium backup`: a complete store of its own, taken while the store is in use, or nothing at all.
@Suite struct BackupTests {
    func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    func leftovers(in dir: TempDirectory) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".partial-") }
    }

    @Test func aBackupIsACompleteStoreOfItsOwn() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let before = try f.service.audit(limit: 100_000)
        let target = f.dir.file("copy")
        let result = try f.service.backup(to: target + "/", actor: "drift")
        #expect(result.destination == target)
        #expect(result.contentFiles == (try f.service.counts()).blobs && result.contentFiles > 0)
        #expect(result.auditHead == before.last?.sequence && result.auditHeadHash == before.last?.hash)
        #expect(try leftovers(in: f.dir).isEmpty)

        let copy = try RecordsService.open(at: target)
        #expect(try copy.verify().ok)
        #expect(try ArchiveImportTests().records(copy) == (try ArchiveImportTests().records(f.service)))
        #expect(try copy.audit(limit: 100_000).map(\.hash) == before.map(\.hash))
        #expect(try copy.search("enskild", view: .full).total == 1)
        // Restricted content inside: no access for other local accounts.
        #expect(try mode(target) & 0o007 == 0 && (try mode(target + "/objects")) & 0o007 == 0)
        #expect(try mode(target + "/catalog.sqlite") & 0o007 == 0)

        // The source logs who copied everything, and how far the copy goes.
        let logged = try #require(try f.service.audit(limit: 100_000).last)
        #expect(logged.action == .storeBackup && logged.actor == "drift")
        #expect(logged.details.contains("\"auditHead\":\(result.auditHead)") && logged.details.contains("\"files\":\(result.contentFiles)"))
        #expect(logged.details.contains(target))
        #expect(try f.service.verify().ok)
    }

    /// `diarium restore`: a new store from a backup, verified before it appears, the backup only read, the restore logged.
    @Test func aRestoreMakesAVerifiedStoreFromABackupAndLogsItself() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let backup = f.dir.file("backup")
        let made = try f.service.backup(to: backup, actor: "drift")
        _ = try f.service.register([try f.document("sen.txt", "registrerad efter kopian")], in: f.caseNumber, actor: "anna")
        let untouched = try snapshotOfTree(backup)

        let target = f.dir.file("restored")
        let result = try RecordsService.restore(from: backup, to: target, actor: "drift")
        #expect(result.destination == target && result.backup == backup)
        #expect(result.contentFiles == made.contentFiles && result.contentBytes == made.contentBytes)
        #expect(result.backupAuditHead == made.auditHead && result.backupAuditHeadAt != nil)
        #expect(try snapshotOfTree(backup) == untouched, "the backup is only read")

        let restored = try RecordsService.open(at: target)
        #expect(try restored.verify().ok)
        #expect(try ArchiveImportTests().records(restored) == (try ArchiveImportTests().records(RecordsService.open(at: backup))))
        #expect(try restored.search("enskild", view: .full).total == 1)
        let log = try restored.audit(limit: 100_000)
        #expect(log.count == Int(made.auditHead) + 1 && log.last?.sequence == result.auditSequence)
        let event = try #require(log.last)
        #expect(event.action == .storeRestore && event.actor == "drift" && event.previousHash == made.auditHeadHash)
        #expect(event.details.contains("\"backupAuditHead\":\(made.auditHead)") && event.details.contains(backup))
        #expect(try mode(target) & 0o007 == 0 && (try mode(target + "/catalog.sqlite")) & 0o007 == 0)

        // Never over anything; not from what is no store.
        #expect { try RecordsService.restore(from: backup, to: target, actor: "drift") } throws: {
            ($0 as? DiariumError)?.code == .alreadyExists
        }
        #expect { try RecordsService.restore(from: f.dir.file("nothing"), to: f.dir.file("other"), actor: "drift") } throws: {
            ($0 as? DiariumError)?.code == .notAStore
        }
        #expect(!FileManager.default.fileExists(atPath: f.dir.file("other")))
    }

    /// A backup an older Diarium made is restored too: it is only read, and its copy is upgraded before it is read.
    @Test func aBackupAnOlderDiariumMadeIsRestoredUpgraded() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let backup = f.dir.file("backup")
        let made = try f.service.backup(to: backup, actor: "drift")
        // As the Diarium before class rules left it.
        try DatabaseQueue(path: backup + "/catalog.sqlite").write { db in
            try db.execute(sql: "DROP TABLE class_rules")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v19-class-rules'")
            try db.execute(sql: "DELETE FROM store_info WHERE key = 'logged_migrations'")
        }
        #expect { _ = try RecordsService.open(at: backup, readOnly: true) } throws: { ($0 as? DiariumError)?.code == .unsupportedStore }
        let untouched = try snapshotOfTree(backup)
        let target = f.dir.file("restored")
        let result = try RecordsService.restore(from: backup, to: target, actor: "drift")
        #expect(try snapshotOfTree(backup) == untouched)
        // Everything in the catalog file itself when it was published.
        let wal = (try? FileManager.default.attributesOfItem(atPath: target + "/catalog.sqlite-wal")[.size] as? Int) ?? 0
        #expect(wal == 0)
        let restored = try RecordsService.open(at: target)
        #expect(try restored.verify().ok)
        #expect(try restored.classification().count == (try f.service.classification()).count)
        #expect(try restored.audit(limit: 100_000).last?.sequence == result.auditSequence)
        // The backup's own last event is named, not the upgrade its copy logged; the upgrade is in the log.
        #expect(result.backupAuditHead == made.auditHead, "\(result.backupAuditHead) vs \(made.auditHead)")
        #expect(try restored.audit(limit: 100_000).contains { $0.action == .storeUpgrade && $0.details.contains("v19-class-rules") })
    }

    @Test func aBackupThatDoesNotVerifyIsNotRestored() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let backup = f.dir.file("backup")
        _ = try f.service.backup(to: backup, actor: "drift")
        // An audit event edited in the backup: its chain no longer holds.
        try DatabaseQueue(path: backup + "/catalog.sqlite").write { db in
            try db.execute(sql: "DROP TRIGGER audit_no_update")
            try db.execute(sql: "UPDATE audit_events SET actor = 'mallory' WHERE seq = 3")
        }
        let target = f.dir.file("restored")
        #expect { try RecordsService.restore(from: backup, to: target, actor: "drift") } throws: { error in
            let error = error as? DiariumError
            return error?.code == .integrity && error?.message.contains("does not verify") == true
                && error?.message.contains("audit event 3") == true
        }
        #expect(!FileManager.default.fileExists(atPath: target))
        #expect(try leftovers(in: f.dir).isEmpty)

        // A damaged content file is named as it is copied.
        let clean = f.dir.file("clean")
        _ = try f.service.backup(to: clean, actor: "drift")
        let sha256 = try #require(try f.service.document(DocumentNumber(caseNumber: f.caseNumber, ordinal: 1)).current.content?.sha256)
        let file = clean + "/objects/sha256/\(sha256.prefix(2))/\(sha256)"
        chmod(file, 0o644)
        try Data("ändrad".utf8).write(to: URL(fileURLWithPath: file))
        #expect { try RecordsService.restore(from: clean, to: target, actor: "drift") } throws: { error in
            let error = error as? DiariumError
            return error?.field == "backup" && error?.message.hasPrefix("the backup at \(clean): ") == true
                && error?.message.contains(sha256) == true && error?.message.contains("diarium verify --store \(clean)") == true
        }
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    /// Every file under `root` with its size and modification time: what a read-only use must leave as it was.
    func snapshotOfTree(_ root: String) throws -> [String] {
        try FileManager.default.subpathsOfDirectory(atPath: root).sorted().map { path in
            let attributes = try FileManager.default.attributesOfItem(atPath: root + "/" + path)
            return "\(path) \(attributes[.size] ?? "-") \((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
        }
    }

    @Test func aRefusedOrFailedBackupLeavesNothing() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let events = try f.service.counts().auditEvents
        let existing = f.dir.file("existing")
        try FileManager.default.createDirectory(atPath: existing, withIntermediateDirectories: false)
        do {
            _ = try f.service.backup(to: existing, actor: "drift")
            Issue.record("backed up into an existing directory")
        } catch {
            #expect(error.code == .alreadyExists && error.field == "destination")
        }
        do {
            _ = try f.service.backup(to: f.dir.file("no/such/folder"), actor: "drift")
            Issue.record("backed up into a missing folder")
        } catch {
            #expect(error.code == .notFound)
        }

        // A content file damaged on disk (same size, other bytes): the backup fails naming it, and leaves nothing.
        let document = try #require(try f.service.caseDetails(f.caseNumber).documents.first { $0.current.content != nil })
        let sha256 = try #require(document.current.content?.sha256)
        let path = f.dir.file("store/objects/sha256/\(sha256.prefix(2))/\(sha256)")
        let size = try #require(document.current.content?.size)
        chmod(path, 0o644)
        try Data(repeating: 0x21, count: Int(size)).write(to: URL(fileURLWithPath: path))
        let target = f.dir.file("copy")
        do {
            _ = try f.service.backup(to: target, actor: "drift")
            Issue.record("a damaged file was backed up")
        } catch {
            #expect(error.code == .integrity && error.message.contains(sha256), "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: target))
        #expect(try leftovers(in: f.dir).isEmpty)
        #expect(try f.service.counts().auditEvents == events)
    }

    /// A backup killed part way leaves `DEST.partial-PID-N`, with restricted content in it. The next backup to the same
    /// destination removes it when its process is gone; one whose process still runs, a symbolic link of that name,
    /// and other names are left.
    @Test func aKilledBackupsLeftoverGoesWithTheNextBackup() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let target = f.dir.file("copy")
        let dead = target + Store.partialSuffix(pid: gone.processIdentifier, random: 17)
        try FileManager.default.createDirectory(atPath: dead + "/objects/sha256/ab", withIntermediateDirectories: true)
        try Data("sekretess".utf8).write(to: URL(fileURLWithPath: dead + "/catalog.sqlite"))
        let alive = target + Store.partialSuffix(pid: getpid(), random: 18)
        let otherHost = target + ".partial-00000000-\(gone.processIdentifier)-21"
        try FileManager.default.createDirectory(atPath: otherHost, withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: alive, withIntermediateDirectories: false)
        let elsewhere = f.dir.file("elsewhere")
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: false)
        // Inside the leftover, a link out: removed as a link, what it points to stays.
        try FileManager.default.createSymbolicLink(atPath: dead + "/objects/out", withDestinationPath: elsewhere)
        try Data("behålls".utf8).write(to: URL(fileURLWithPath: elsewhere + "/keep.txt"))
        let link = target + Store.partialSuffix(pid: gone.processIdentifier, random: 19)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: elsewhere)
        let other = f.dir.file("copy2" + Store.partialSuffix(pid: gone.processIdentifier, random: 20))
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: false)

        let result = try f.service.backup(to: target, actor: "drift")
        #expect(result.removedLeftovers == [dead])
        #expect(!FileManager.default.fileExists(atPath: dead))
        #expect(FileManager.default.fileExists(atPath: alive) && FileManager.default.fileExists(atPath: elsewhere))
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == elsewhere)
        #expect(FileManager.default.fileExists(atPath: other), "another destination's")
        #expect(FileManager.default.fileExists(atPath: otherHost), "another machine's (its process number means nothing here)")
        #expect(FileManager.default.contents(atPath: elsewhere + "/keep.txt") == Data("behålls".utf8))
        #expect(try RecordsService.open(at: target).verify().ok)
        let logged = try #require(try f.service.audit(limit: 100_000).last)
        #expect(logged.action == .storeBackup && logged.details.contains(dead), "\(logged.details)")
    }

    /// The copy is logged before it is published: when the log cannot take the entry (here a trigger refuses it; in
    /// life a full disk, a lock held past the timeout, an account that may only read) there is no copy either.
    /// Neither is there one inside the store, and the outbox's files come along.
    @Test func aCopyThatCannotBeLoggedIsNotMade() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let outbox = f.dir.file("store/exchange/outbox")
        try FileManager.default.createDirectory(atPath: outbox, withIntermediateDirectories: true)
        let pending = Data(testBytes(count: 3_000_000, seed: 3))
        try pending.write(to: URL(fileURLWithPath: outbox + "/REF1.tar"))

        try f.rawCatalog().write { db in
            try db.execute(sql: """
                CREATE TRIGGER refuse_backup_entry BEFORE INSERT ON audit_events WHEN NEW.action = 'store.backup'
                BEGIN SELECT RAISE(ABORT, 'the log is full'); END
                """)
        }
        let target = f.dir.file("copy")
        #expect(throws: DiariumError.self) { try f.service.backup(to: target, actor: "drift") }
        let left = try leftovers(in: f.dir)
        #expect(!FileManager.default.fileExists(atPath: target) && left.isEmpty)
        try f.rawCatalog().write { db in try db.execute(sql: "DROP TRIGGER refuse_backup_entry") }

        let readOnly = try RecordsService.open(at: f.storePath, readOnly: true)
        do {
            _ = try readOnly.backup(to: target, actor: "revisor")
            Issue.record("an unlogged backup was made")
        } catch {
            #expect(error.code == .storage && error.message.contains("could not be logged"))
        }
        do {
            _ = try f.service.backup(to: f.dir.file("store/tmp/copy"), actor: "drift")
            Issue.record("a backup inside the store was made")
        } catch {
            #expect(error.code == .invalidField && error.field == "destination")
        }
        #expect(!FileManager.default.fileExists(atPath: target))

        let result = try f.service.backup(to: target, actor: "drift")
        #expect(result.outboxFiles == 1)
        #expect(FileManager.default.contents(atPath: target + "/exchange/outbox/REF1.tar") == pending)
        #expect(try RecordsService.open(at: target).verify().ok)
    }

    /// Registrations go on while the backup runs; the copy holds a consistent moment: every file its catalog
    /// names, and verify finds nothing wrong.
    @Test func aBackupTakenWhileRegistrationsGoOnIsConsistent() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        for i in 0 ..< 40 { try f.register("doc\(i).txt", "Dokument \(i) " + String(repeating: "text ", count: i * 50)) }
        let storePath = f.storePath
        let caseNumber = f.caseNumber
        let files = try (0 ..< 200).map { i in try f.dir.write("ny\(i).txt", "Ny handling \(i) " + String(repeating: "ord ", count: 300)) }
        let done = DispatchSemaphore(value: 0)
        let failure = ThreadFailure()
        Thread {
            do {
                // Another opening of the store, as another process would have.
                let writer = try RecordsService.open(at: storePath)
                for chunk in stride(from: 0, to: files.count, by: 10) {
                    _ = try writer.register(files[chunk ..< chunk + 10].map { NewDocument(file: $0, metadata: DocumentMetadata(title: "Ny", recordType: .letter)) },
                                            in: caseNumber, actor: "anna")
                }
            } catch { failure.set("\(error)") }
            done.signal()
        }.start()
        var results: [BackupResult] = []
        for round in 0 ..< 3 { results.append(try f.service.backup(to: f.dir.file("copy\(round)"), actor: "drift")) }
        done.wait()
        #expect(failure.value == nil)
        for (round, result) in results.enumerated() {
            let copy = try RecordsService.open(at: f.dir.file("copy\(round)"))
            let report = try copy.verify()
            #expect(report.ok, "\(report.problems)")
            #expect(try copy.counts().blobs == result.contentFiles)
        }
    }
}

/// A value set on one thread and read on another after a semaphore.
final class ThreadFailure: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: String?
    func set(_ value: String) { lock.withLock { stored = value } }
    var value: String? { lock.withLock { stored } }
}
