import DiariumCore
import DiariumServices
import DiariumStorage
import DiariumTesting
import Foundation
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
