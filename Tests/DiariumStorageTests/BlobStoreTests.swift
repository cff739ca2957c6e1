@testable import DiariumStorage
import DiariumCore
import DiariumTesting
import Foundation
import Glibc
import Testing

@Suite struct BlobStoreTests {
    /// A batch is synced with `syncfs` only where it reports write-back errors (Linux 5.8 on); else file by file.
    @Test func batchesUseSyncfsOnlyWhereItReportsErrors() {
        #expect(BlobPublisher.Durability.syncfsReportsErrors(release: "5.8.0"))
        #expect(BlobPublisher.Durability.syncfsReportsErrors(release: "6.1.0-18-amd64"))
        #expect(!BlobPublisher.Durability.syncfsReportsErrors(release: "4.18.0-553.el8_10.x86_64"))
        #expect(!BlobPublisher.Durability.syncfsReportsErrors(release: "5.4.0"))
        #expect(!BlobPublisher.Durability.syncfsReportsErrors(release: "garbage"))
        #expect(BlobPublisher.Durability.batch(of: 1) == .eachFile)
        #expect(BlobPublisher.Durability.batch(of: 16) == (BlobPublisher.Durability.syncfsReportsErrors ? .fileSystem : .eachFile))
    }

    @Test func storesByDigestAndDeduplicates() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try Store.create(at: dir.file("store"), now: Date())
        let payload = testBytes(count: 3 * BlobStore.chunkSize + 17, seed: 1)   // spans several chunks
        let a = try dir.write("a.bin", payload)
        let b = try dir.write("b.bin", payload)

        let first = try store.blobs.stage(copying: a)
        let second = try store.blobs.stage(copying: b)
        #expect(first.sha256 == second.sha256)
        #expect(first.sha256 == (try sha256Hex(ofFile: a)), "the name is the SHA-256 an independent tool computes")
        #expect(first.size == Int64(payload.count))
        #expect(!store.blobs.contains(first.sha256), "nothing is visible before publish")
        try store.blobs.publish([first, second])
        store.blobs.publisher.release([first, second])   // the reserve copies, kept until a commit records them

        let path = store.blobs.path(of: first.sha256)
        #expect(path.hasSuffix("/objects/sha256/\(first.sha256.prefix(2))/\(first.sha256)"))
        #expect(FileManager.default.contents(atPath: path) == payload)
        #expect(try store.blobs.allStoredDigests() == [first.sha256], "stored once")
        #expect(try POSIX.listDirectory(dir.file("store/tmp")).allSatisfy { name in
            (try? POSIX.listDirectory(dir.file("store/tmp/\(name)")))?.allSatisfy { $0 == ".lock" } ?? true
        }, "no temp files remain")

        var read = Data()
        try store.blobs.read(first.sha256) { chunk in read.append(contentsOf: chunk) }
        #expect(read == payload)
    }

    @Test func adoptsAnUploadInTheTempAreaAndCopiesEverythingElse() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try Store.create(at: dir.file("store"), now: Date())
        let payload = testBytes(count: 2 * BlobStore.chunkSize + 5, seed: 7)

        // An upload received into the temp area is taken over: renamed into place, read-only, never copied.
        let upload = dir.file("store/tmp/upload-1.part")
        try Data(payload).write(to: URL(fileURLWithPath: upload))
        let adopted = try store.blobs.stage(adopting: upload)
        #expect(adopted.sha256 == (try sha256Hex(ofFile: upload)))
        #expect(adopted.size == Int64(payload.count))
        #expect(adopted.stagedPath == upload)
        try store.blobs.publish([adopted])
        let stored = store.blobs.path(of: adopted.sha256)
        var upload_ = stat(), stored_ = stat()
        #expect(stat(upload, &upload_) == 0 && stat(stored, &stored_) == 0 && upload_.st_ino == stored_.st_ino, "linked, not copied")
        store.blobs.publisher.release([adopted])
        #expect(!FileManager.default.fileExists(atPath: upload), "its temp name goes once the commit is done")
        #expect(FileManager.default.contents(atPath: stored) == Data(payload))
        var st = stat()
        #expect(stat(stored, &st) == 0 && st.st_mode & 0o777 == 0o444)

        // A user's file, a file with a second name and a path that only looks inside are copied and left alone.
        let own = try dir.write("own.bin", testBytes(count: 100, seed: 8))
        let linked = dir.file("store/tmp/linked.part")
        try Data(testBytes(count: 100, seed: 9)).write(to: URL(fileURLWithPath: linked))
        #expect(link(linked, dir.file("elsewhere")) == 0)
        let sneaky = dir.file("store/tmp/../own-too.bin")
        try Data(testBytes(count: 100, seed: 10)).write(to: URL(fileURLWithPath: sneaky))
        let symlink = dir.file("store/tmp/link.part")
        #expect(Glibc.symlink(own, symlink) == 0)
        let copies = try [own, linked, sneaky, symlink].map { try store.blobs.stage(adopting: $0) }
        try store.blobs.publish(copies)
        for path in [own, linked, sneaky, symlink] { #expect(FileManager.default.fileExists(atPath: path), "\(path) stays") }
        for blob in copies { #expect(store.blobs.contains(blob.sha256)) }

        // Discarding an adopted upload removes it, as discarding any staged content does.
        let other = dir.file("store/tmp/upload-2.part")
        try Data(testBytes(count: 10, seed: 11)).write(to: URL(fileURLWithPath: other))
        store.blobs.discard([try store.blobs.stage(adopting: other)])
        #expect(!FileManager.default.fileExists(atPath: other))
    }

    @Test func stagedContentPublishesAfterItsDescriptorIsLetGo() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try Store.create(at: dir.file("store"), now: Date())
        let payload = testBytes(count: BlobStore.chunkSize + 3, seed: 12)
        let file = try dir.write("c.bin", payload)
        let staged = try store.blobs.stage(copying: file).closingFile()
        #expect(staged.fd == -1)
        try store.blobs.publish([staged])
        #expect(FileManager.default.contents(atPath: store.blobs.path(of: staged.sha256)) == payload)
    }

    /// A batch is published alike whether each file is synced or the file system once: every file under its
    /// digest (the same bytes twice stored once), the temp names kept as reserves until released. A file that
    /// cannot be linked fails the publication, and its temp names go.
    @Test(arguments: [BlobPublisher.Durability.eachFile, .fileSystem])
    func publishesABatch(durability: BlobPublisher.Durability) throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try Store.create(at: dir.file("store"), now: Date())
        let payloads = [testBytes(count: 4096, seed: 31), testBytes(count: 4096, seed: 31), testBytes(count: 70_000, seed: 32)]
        let staged = [try store.blobs.stage(bytes: payloads[0]), try store.blobs.stage(bytes: payloads[1]),
                      try store.blobs.stage(bytes: payloads[2]).closingFile()]
        try store.blobs.publisher.publish(staged, durability: durability)
        for (blob, payload) in zip(staged, payloads) {
            #expect(FileManager.default.contents(atPath: store.blobs.path(of: blob.sha256)) == payload)
            #expect(FileManager.default.fileExists(atPath: blob.stagedPath), "the reserve stays until released")
        }
        #expect(try store.blobs.allStoredDigests().count == 2)
        store.blobs.publisher.release(staged)
        #expect(staged.allSatisfy { !FileManager.default.fileExists(atPath: $0.stagedPath) })

        let more = [try store.blobs.stage(bytes: testBytes(count: 10, seed: 33)), try store.blobs.stage(bytes: testBytes(count: 10, seed: 34))]
        try #require(more[0].sha256.prefix(2) != more[1].sha256.prefix(2))
        try FileManager.default.removeItem(atPath: dir.file("store/objects/sha256/\(more[1].sha256.prefix(2))"))
        let error = #expect(throws: DiariumError.self) { try store.blobs.publisher.publish(more, durability: durability) }
        #expect(error?.message.contains("cannot store") == true)
        #expect(more.allSatisfy { !FileManager.default.fileExists(atPath: $0.stagedPath) }, "the temp names went")
    }

    /// Bytes in memory are written from where they lie, in chunks: the same name and content as the same file copied.
    @Test func stagesBytesInMemoryLikeAFile() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try Store.create(at: dir.file("store"), now: Date())
        for (count, seed) in [(2 * BlobStore.chunkSize + 5, 21), (BlobStore.chunkSize, 22), (1, 23), (0, 24)] {
            let payload = testBytes(count: count, seed: UInt64(seed))
            let fromMemory = try store.blobs.stage(bytes: payload)
            let fromFile = try store.blobs.stage(copying: try dir.write("p\(seed).bin", payload))
            #expect(fromMemory.sha256 == fromFile.sha256, "\(count) bytes")
            #expect(fromMemory.size == Int64(count))
            try store.blobs.publish([fromMemory])
            store.blobs.publisher.release([fromMemory])
            store.blobs.discard([fromFile])
            #expect(FileManager.default.contents(atPath: store.blobs.path(of: fromMemory.sha256)) == payload, "\(count) bytes")
        }
    }

    @Test func emptyContent() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try Store.create(at: dir.file("store"), now: Date())
        let blob = try store.blobs.stage(copying: try dir.write("empty", ""))
        #expect(blob.sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        try store.blobs.publish([blob])
        #expect(store.blobs.contains(blob.sha256))
    }

    @Test func readDetectsDamage() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try Store.create(at: dir.file("store"), now: Date())
        let blob = try store.blobs.stage(copying: try dir.write("a", "original bytes"))
        try store.blobs.publish([blob])
        let path = store.blobs.path(of: blob.sha256)
        chmod(path, 0o644)
        try Data("Original bytes".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: DiariumError.self) { try store.blobs.read(blob.sha256) { _ in } }
        #expect(try store.blobs.rehash(blob.sha256)?.sha256 != blob.sha256)
    }

    @Test func refusesDirectoriesAndMissingFiles() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try Store.create(at: dir.file("store"), now: Date())
        for path in [dir.path, dir.file("missing")] {
            do {
                _ = try store.blobs.stage(copying: path)
                Issue.record("staged \(path)")
            } catch {
                #expect(error.code == .unreadableFile)
            }
        }
    }

    @Test func staleTempDirectoriesAreRemovedButLiveOnesKept() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let root = dir.file("tmp")
        try POSIX.makeDirectory(root)
        // A dead process's area: a lock file nobody holds, and a half-written file.
        try POSIX.makeDirectory(root + "/999999-dead")
        try dir.write("tmp/999999-dead/.lock", "")
        try dir.write("tmp/999999-dead/1.part", "half")
        // A live area (ours), holding its lock.
        let live = try TempArea(root: root)
        try dir.write("tmp/\(live.path.split(separator: "/").last!)/1.part", "in progress")

        #expect(TempArea.removeStale(in: root) == 1)
        #expect(!POSIX.fileExists(root + "/999999-dead"))
        #expect(POSIX.fileExists(live.path + "/1.part"), "a live process's temp files are never removed")
    }
}

@Suite struct CatalogTests {
    @Test func refusesWhatIsNotAStore() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        #expect(throws: DiariumError.self) { try Store.open(at: dir.file("nothing")) }
        #expect(throws: DiariumError.self) { try Store.open(at: dir.path) }

        // Right layout, but the catalog is some other SQLite file.
        try FileManager.default.createDirectory(atPath: dir.file("fake/objects/sha256"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir.file("fake/tmp"), withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [dir.file("fake/catalog.sqlite"), "CREATE TABLE t(x);"]
        try process.run()
        process.waitUntilExit()
        do {
            _ = try Store.open(at: dir.file("fake"))
            Issue.record("opened a foreign SQLite file")
        } catch {
            #expect(error.code == .notAStore)
        }
    }

    @Test func refusesToCreateOverAStore() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        _ = try Store.create(at: dir.file("s"), now: Date())
        #expect(throws: DiariumError.self) { try Store.create(at: dir.file("s"), now: Date()) }
    }

    @Test func versionsAndAuditRowsCannotBeChangedThroughSQL() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try Store.create(at: dir.file("s"), now: Date())
        try store.catalog.write { access in
            try access.appendAudit(at: Date(), actor: "anna", action: .storeInit, object: "store", version: nil, details: "{}")
        }
        for sql in ["UPDATE audit_events SET actor = 'eve'", "DELETE FROM audit_events"] {
            #expect(throws: DiariumError.self) { try store.catalog.write { access in try access.db.execute(sql: sql) } }
        }
        #expect(try store.catalog.read { try $0.counts().auditEvents } == 1)
    }

    @Test func auditChainLinksEvents() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try Store.create(at: dir.file("s"), now: Date())
        let (first, second) = try store.catalog.write { access in
            (try access.appendAudit(at: Date(), actor: "anna", action: .storeInit, object: "store", version: nil, details: "{}"),
             try access.appendAudit(at: Date(), actor: "anna", action: .seriesAdd, object: "KS", version: nil, details: "{}"))
        }
        #expect(first.sequence == 1)
        #expect(first.previousHash == AuditChain.genesisHash)
        #expect(second.previousHash == first.hash)
        #expect(second.hash == AuditChain.hash(sequence: 2, at: Timestamp.format(second.at), actor: "anna", action: "series.add",
                                               object: "KS", version: nil, details: "{}", previousHash: first.hash))
        #expect(throws: DiariumError.self) {
            try store.catalog.write { access in
                try access.appendAudit(at: Date(), actor: "an\u{1F}na", action: .seriesAdd, object: "KS", version: nil, details: "{}")
            }
        }
    }

    /// A stopping server's scratch area: jobs still writing are told to stop and waited for (within the patience
    /// given), no new job starts, and then the area goes.
    @Test func anUploadAreaWaitsForItsJobsThenGoes() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try Store.create(at: dir.file("store"), now: Date())
        let area = try UploadArea(store: store.shared)
        #expect(area.beginJob() && !area.isClosed)
        let ended = DispatchSemaphore(value: 0)
        let job = Thread {
            while !area.isClosed { usleep(1_000) }
            usleep(100_000)   // the job's last file
            try? Data("sista".utf8).write(to: URL(fileURLWithPath: area.newFilePath()))
            area.endJob()
            ended.signal()
        }
        job.start()
        area.removeAll(patience: .seconds(30))
        #expect(ended.wait(timeout: .now()) == .success, "removeAll returned only after the job ended")
        #expect(try POSIX.listDirectory(dir.file("store/tmp")) == [], "nothing the job wrote is left")
        #expect(!area.beginJob(), "no job starts once the server stops")

        // A job that does not stop in time does not keep the server from stopping.
        let stuck = try UploadArea(store: store.shared)
        #expect(stuck.beginJob())
        let start = ContinuousClock.now
        stuck.removeAll(patience: .milliseconds(100))
        #expect(ContinuousClock.now - start < .seconds(10))
    }
}
