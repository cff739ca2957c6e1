@testable import DiariumStorage
import DiariumCore
import DiariumTesting
import Foundation
import Glibc
import Testing

@Suite struct BlobStoreTests {
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
}
