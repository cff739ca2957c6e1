@testable import DiariumStorage
import DiariumTesting
import Foundation
import GRDB
import Testing

@Suite struct CatalogConnectionTests {
    /// FULL: a number printed to a clerk survives power loss. GRDB sets `synchronous = NORMAL` when it sets up WAL
    /// mode, after the catalog's own connection set-up, so this checks what the writer really has.
    @Test func theWriterSyncsEveryCommit() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let created = try Store.create(at: dir.file("s"), now: Date())
        let reopened = try Store.open(at: dir.file("s"))
        for catalog in [created.catalog, reopened.catalog] {
            #expect(try catalog.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") } == 2)
            #expect(try catalog.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA journal_size_limit") } == Catalog.walSizeLimit)
        }
    }

    /// verify's check of the audit log against the versions reads each table once: no scan inside a subquery run per
    /// row (which took verify from a second to minutes at 20,000 versions, growing with the square).
    @Test func danglingEventsAreFoundWithoutAScanPerEvent() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try Store.create(at: dir.file("s"), now: Date())
        let plan = try store.catalog.pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + CatalogAccess.danglingSQL).map { $0["detail"] as String }
        }
        #expect(!plan.contains { $0.contains("CORRELATED") }, "\(plan)")
    }

    /// Content, temp files and the catalog (restricted metadata, partners' tokens) are nothing other local accounts
    /// may read; the account's group may (a read-only auditor's).
    @Test func aNewStoreKeepsOtherAccountsOut() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let root = dir.file("s")
        _ = try Store.create(at: root, now: Date())
        func mode(_ path: String) throws -> Int {
            try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
        }
        #expect(try mode(root + "/objects") == 0o750)
        #expect(try mode(root + "/tmp") == 0o750)
        #expect(try mode(root + "/catalog.sqlite") == 0o640)
    }

    /// A full disk at open is a storage failure, not "not a store"; a store's catalog that is no database any more
    /// (its header overwritten) is damaged, as one cut short is.
    @Test func aFullDiskAtOpenIsAStorageFailure() {
        #expect(Catalog.openFailure("/s/catalog.sqlite", DatabaseError(resultCode: .SQLITE_FULL, message: "database or disk is full")).code == .storage)
        #expect(Catalog.openFailure("/s/catalog.sqlite", DatabaseError(resultCode: .SQLITE_NOTADB, message: "file is not a database")).code == .integrity)
    }

    /// A store whose catalog's first page was overwritten: exit 1 and "restore", as for any damaged catalog.
    @Test func anOverwrittenHeaderIsDamage() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        _ = try Store.create(at: dir.file("s"), now: Date())
        let handle = try #require(FileHandle(forWritingAtPath: dir.file("s/catalog.sqlite")))
        try handle.write(contentsOf: Data(repeating: 0xDE, count: 100))
        try handle.close()
        do {
            _ = try Store.open(at: dir.file("s"))
            Issue.record("opened a catalog with an overwritten header")
        } catch {
            #expect(error.code == .integrity && error.message.contains("restore the store from a backup"), "\(error.message)")
        }
    }

    /// A disk failure in a write transaction leaves its outcome unknown; a refusal does not.
    @Test func diskFailuresAreOutcomeUnknown() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try Store.create(at: dir.file("s"), now: Date())
        do {
            try store.catalog.write { access in throw DatabaseError(resultCode: .SQLITE_IOERR, message: "disk I/O error") }
            Issue.record("no error")
        } catch {
            #expect(error.code == .storage && error.outcomeUnknown && error.message.contains("look before trying again"))
        }
        do {
            try store.catalog.write { access in throw DatabaseError(resultCode: .SQLITE_CONSTRAINT, message: "refused") }
        } catch {
            #expect(error.code == .storage && !error.outcomeUnknown)
        }
    }

    /// A cleanly closed copy in a read-only directory is opened as an immutable URI, which needs URI file names.
    @Test func thisSQLiteTakesURIFileNames() {
        #expect(Catalog.sqliteTakesURIs())
        #expect(Catalog.immutableURI("/srv/a b/100%?#.sqlite") == "file:/srv/a b/100%25%3F%23.sqlite?immutable=1")
    }
}
