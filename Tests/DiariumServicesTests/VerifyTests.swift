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
        #expect(codes(report) == ["audit-event-altered"])
        #expect(report.problems[0].object == "audit event 5")
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
        #expect(codes(report) == ["audit-chain-broken"], "the next event no longer links to it")
        #expect(report.problems[0].object == "audit event 6")
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
        #expect(codes(try f.service.verify()) == ["audit-unrecorded"])
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
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try! process.run()
        input.fileHandleForWriting.write(Data(fields.joined(separator: "\u{1F}").utf8))
        try! input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(String(decoding: data, as: UTF8.self).prefix(64))
    }
}
