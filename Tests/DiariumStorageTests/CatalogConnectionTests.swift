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
        }
    }

    /// A cleanly closed copy in a read-only directory is opened as an immutable URI, which needs URI file names.
    @Test func thisSQLiteTakesURIFileNames() {
        #expect(Catalog.sqliteTakesURIs())
        #expect(Catalog.immutableURI("/srv/a b/100%?#.sqlite") == "file:/srv/a b/100%25%3F%23.sqlite?immutable=1")
    }
}
