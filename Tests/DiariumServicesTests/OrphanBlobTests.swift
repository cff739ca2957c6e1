import DiariumCore
import DiariumServices
import DiariumTesting
import Foundation
import GRDB
import Glibc
import Testing

/// Content files no catalog row names: a refused change takes its own away at once; `removeOrphanBlobs` removes
/// what crashes left, and never a file a row names or is about to name.
@Suite struct OrphanBlobTests {
    /// Makes the catalog refuse version rows with this comment or title, as a CHECK the rules missed would.
    func refuse(_ f: Fixture, when condition: String) throws {
        try f.rawCatalog().write { db in
            try db.execute(sql: """
                CREATE TRIGGER refuse_for_test BEFORE INSERT ON versions WHEN \(condition)
                BEGIN SELECT RAISE(ABORT, 'refused by the test'); END
                """)
        }
    }

    func storedFiles(_ f: Fixture) throws -> Set<String> {
        Set(try f.service.store.blobs.allStoredDigests())
    }

    /// A file in the store that no registration recorded, as a crash between publish and commit leaves it (the
    /// registration's reserve copy went with its process).
    func orphan(_ f: Fixture, _ text: String) throws -> String {
        let staged = try f.service.store.blobs.stage(bytes: Data(text.utf8))
        try f.service.store.blobs.publish([staged])
        f.service.store.blobs.publisher.release([staged])
        return staged.sha256
    }

    @Test func aRefusedVersionLeavesTheStoreAsItWas() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let doc = try f.register("plan.txt", "första versionen")
        try refuse(f, when: "NEW.comment = 'vägras'")
        let before = try f.snapshot()
        expectFailure("refused by the test") {
            try f.service.addVersion(doc.number, file: try f.dir.write("ny.txt", "helt nytt innehåll"), comment: "vägras", actor: "anna")
        }
        #expect(try f.snapshot() == before, "no new file under objects/")
        #expect(try f.service.verify().orphanBlobs == [])
        // Content the store already holds stays, whoever fails to add it again.
        expectFailure("refused by the test") {
            try f.service.addVersion(doc.number, file: try f.dir.write("samma.txt", "första versionen"), comment: "vägras", actor: "anna")
        }
        #expect(try f.snapshot() == before)
        #expect(try f.service.verify().ok)
    }

    @Test func aRefusedBatchTakesAwayOnlyItsOwnFiles() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let earlier = try f.register("tidigare.txt", "delat innehåll")
        try refuse(f, when: "NEW.title = 'Titel d3.txt'")
        let filesBefore = try storedFiles(f)
        // Batches of two: d1–d2 commit, d3–d4 are refused, d5–d6 never commit after a failed batch. d4 holds content
        // the store already had, which must stay; d5 and d6 the same new bytes, placed once.
        let documents = try [
            f.document("d1.txt", "ett"), f.document("d2.txt", "två"), f.document("d3.txt", "tre"),
            f.document("d4.txt", "delat innehåll"), f.document("d5.txt", "fem"), f.document("d6.txt", "fem"),
        ]
        var committed: [DocumentRecord] = []
        expectFailure("refused by the test") {
            try f.service.register(documents, in: f.caseNumber, actor: "anna", batchSize: 2, committed: { committed += $0 })
        }
        #expect(committed.map(\.number.ordinal) == [2, 3])
        let kept = Set(committed.compactMap { $0.current.content?.sha256 })
        #expect(try storedFiles(f) == filesBefore.union(kept), "the refused batches' new files are gone")
        #expect(try storedFiles(f).contains(earlier.current.content!.sha256))
        let report = try f.service.verify()
        #expect(report.ok && report.orphanBlobs == [], "\(report.problems)")
    }

    @Test func aRefusedImportLeavesTheStoreAsItWas() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        let package = f.dir.file("p.tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: package), actor: "arkivarie")
        let other = try RecordsService.createStore(at: f.dir.file("other"), actor: "admin", clock: FixedClock("2027-01-10T10:00:00.000Z"))
        try DatabaseQueue(path: f.dir.file("other/catalog.sqlite")).write { db in
            try db.execute(sql: """
                CREATE TRIGGER refuse_for_test BEFORE INSERT ON audit_events WHEN NEW.action = 'package.import'
                BEGIN SELECT RAISE(ABORT, 'refused by the test'); END
                """)
        }
        expectFailure("refused by the test") { try other.importPackage(at: package, actor: "arkivarie") }
        #expect(try other.store.blobs.allStoredDigests() == [], "the package's files went with the refused import")
        #expect(try other.counts().documents == 0)
    }

    /// Two registrations of the same bytes: the first places the file and fails, taking it away; the second, which
    /// found it in place, still commits, putting its own reserve copy back. Nothing depends on timing.
    @Test func aFileTakenAwayComesBackForTheRegistrationThatRecordsIt() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let blobs = f.service.store.blobs
        let publisher = blobs.publisher
        let bytes = Data("samma bytes i två registreringar".utf8)
        let first = try blobs.stage(bytes: bytes)
        try blobs.publish([first])
        let second = try blobs.stage(bytes: bytes)
        try blobs.publish([second])

        publisher.removeUnrecorded([first], catalog: f.service.store.catalog)
        publisher.release([first])
        #expect(!blobs.contains(first.sha256), "nothing named it, so the failed registration took it away")
        try f.service.store.catalog.write { access in try access.insertBlob(second, at: Date(), publishedIn: publisher) }
        publisher.release([second])
        var read = Data()
        try blobs.read(second.sha256) { read.append(contentsOf: $0) }
        #expect(read == bytes, "the second registration's copy is in place, checked against its digest")
        // Once a row names it, no failed registration of the same bytes takes it away.
        let third = try blobs.stage(bytes: bytes)
        try blobs.publish([third])
        publisher.removeUnrecorded([third], catalog: f.service.store.catalog)
        publisher.release([third])
        #expect(blobs.contains(second.sha256))

        // Without a reserve (released, or a process that died) the commit fails cleanly and records nothing.
        let alone = try blobs.stage(bytes: Data("utan reserv".utf8))
        try blobs.publish([alone])
        publisher.release([alone])
        publisher.removeUnrecorded([alone], catalog: f.service.store.catalog)
        expectFailure("was removed before it was recorded") {
            try f.service.store.catalog.write { access in try access.insertBlob(alone, at: Date(), publishedIn: publisher) }
        }
        #expect(try f.service.store.catalog.read { access in try access.blobExists(alone.sha256) } == false)
        #expect(try f.service.verify().ok)
    }

    @Test func removesOrphansOnlyAfterACleanVerifyAndLogsIt() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let doc = try f.register("plan.txt", "registrerat innehåll")
        let a = try orphan(f, "kvarlämnad fil ett")
        let b = try orphan(f, "kvarlämnad fil två, längre")
        let report = try f.service.verify()
        #expect(report.ok && Set(report.orphanBlobs) == [a, b])
        let eventsBefore = try f.service.counts().auditEvents

        let removed = try f.service.removeOrphanBlobs(found: report, actor: "drift")
        #expect(removed == OrphanRemoval(files: 2, bytes: Int64("kvarlämnad fil ett".utf8.count + "kvarlämnad fil två, längre".utf8.count)))
        #expect(try f.service.counts().auditEvents == eventsBefore + 1)
        #expect(try storedFiles(f) == [doc.current.content!.sha256])
        let event = try #require(try f.service.audit(object: "store").last)
        #expect(event.action == .storePrune && event.actor == "drift")
        let details = try JSONSerialization.jsonObject(with: Data(event.details.utf8)) as? [String: Any]
        #expect(details?["files"] as? Int == 2 && details?["bytes"] as? Int == Int(removed.bytes))
        let after = try f.service.verify()
        #expect(after.ok && after.orphanBlobs == [], "\(after.problems)")

        // A report that is out of date names files that rows now hold: they stay.
        let c = try orphan(f, "snart registrerad")
        let stale = try f.service.verify()
        let registered = try f.register("sen.txt", "snart registrerad")
        #expect(registered.current.content?.sha256 == c)
        #expect(try f.service.removeOrphanBlobs(found: stale, actor: "drift") == OrphanRemoval(files: 0, bytes: 0))
        #expect(try f.service.counts().auditEvents == eventsBefore + 2, "the registration's event only: nothing removed, nothing logged")
        #expect(try f.service.verify().ok)
    }

    @Test func aDamagedStoreKeepsItsOrphans() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let doc = try f.register("plan.txt", "registrerat innehåll")
        let a = try orphan(f, "kvarlämnad")
        // The catalog lost a blob row (and the foreign key is off, as a damaged copy may have it): its file now looks
        // unreferenced by the blobs table, but a version names it.
        try f.rawCatalog().writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            try db.execute(sql: "DELETE FROM blobs WHERE sha256 = ?", arguments: [doc.current.content!.sha256])
        }
        let report = try f.service.verify()
        #expect(!report.ok)
        #expect(report.orphanBlobs == [a], "a file a version names is not an orphan")
        expectFailure("problem(s)") { try f.service.removeOrphanBlobs(found: report, actor: "drift") }
        #expect(try storedFiles(f) == [doc.current.content!.sha256, a])
    }


    /// A publication that fails half-way (here the second file's shard directory is gone, so it cannot be linked)
    /// takes the first file, already linked into place, away again: the refused registration leaves nothing.
    @Test func aPublicationFailingHalfWayLeavesNothingBehind() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let documents = [try f.document("a.txt", "första filen i partiet"), try f.document("b.txt", "andra filen i partiet")]
        let (a, b) = (try sha256Hex(ofFile: documents[0].file!), try sha256Hex(ofFile: documents[1].file!))
        try #require(a.prefix(2) != b.prefix(2), "two shards")
        let objects = f.dir.file("store/objects/sha256")
        try FileManager.default.removeItem(atPath: "\(objects)/\(b.prefix(2))")
        expectFailure("cannot store") { try f.service.register(documents, in: f.caseNumber, actor: "anna") }
        #expect(!FileManager.default.fileExists(atPath: "\(objects)/\(a.prefix(2))/\(a)"), "the linked first file went again")
        #expect(try f.service.counts().documents == 0)
    }

    /// A change that failed because another process held the write lock for the catalog's whole minute must not
    /// hold its caller a second minute to take its file away: the clean-up gives up after a short wait of its own and
    /// leaves an orphan for `verify` to report; the catalog's own wait is back for the next write.
    @Test func cleanUpAfterAFailureWaitsOnlyBrieflyForTheLock() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let blobs = f.service.store.blobs
        let staged = try blobs.stage(bytes: Data("fick aldrig skrivlåset".utf8))
        try blobs.publish([staged])
        // Another process's connection, holding the write lock across calls.
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true
        let other = try DatabaseQueue(path: f.dir.file("store/catalog.sqlite"), configuration: configuration)
        try other.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
        let started = ContinuousClock.now
        blobs.publisher.removeUnrecorded([staged], catalog: f.service.store.catalog, busyTimeout: 0.05)
        // A bound on the wait, not a speed goal: the catalog's own 60 s would exceed it, a 50 ms wait never will.
        #expect(ContinuousClock.now - started < .seconds(30), "gave up after its own wait, not the catalog's minute")
        #expect(blobs.contains(staged.sha256), "the lock stayed taken: the file stays")

        // Released while the next write waits: that write gets the store's 60 s, not the clean-up's 50 ms.
        Thread {
            usleep(300_000)
            try? other.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") }
        }.start()
        try f.register("efteråt.txt", "skrivs när låset släpps")
        blobs.publisher.release([staged])
        #expect(try f.service.verify().orphanBlobs == [staged.sha256])
    }

    /// A large removal goes in batches, one transaction and one logged event each, so the write lock is never held
    /// for the whole of it.
    @Test func removalGoesInBatchesEachLogged() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let digests = try (1...5).map { try orphan(f, "kvarlämnad \($0)") }
        var batches: [Int] = []
        let removed = try f.service.store.blobs.publisher.removeUnreferenced(digests, catalog: f.service.store.catalog,
                                                                             batchSize: 2) { _, batch in batches.append(batch.files) }
        #expect(batches == [2, 2, 1])
        #expect(removed.files == 5)
        #expect(try storedFiles(f).isDisjoint(with: digests))
    }
}
