import CDiariumSearch
import DiariumCore
import Foundation
import GRDB

/// The SQLite catalog: cases, documents, versions, blobs and the audit log, in WAL mode.
///
/// Writes are IMMEDIATE transactions with a generous busy timeout, so several processes (CLI runs, the
/// server) can write to one store at once: they queue instead of failing with "database is locked".
public final class Catalog: Sendable {
    /// `PRAGMA application_id`: marks the file as a Diarium catalog ("Dia1").
    static let applicationID: Int32 = 0x4469_6131
    /// How long a write waits for another process's write to finish before it fails with "database is locked".
    static let busyTimeout: TimeInterval = 60

    /// The search's ranking functions (rank.c), its snippets (snippet.c) and its tokenizer (tokenizer.c), on one
    /// connection: without the tokenizer, the full-text index is read and written with SQLite's own unicode61, which
    /// is not how Diarium writes it. For every connection to a catalog, the tests' own too.
    public static func registerSearch(_ db: Database) throws {
        let code = ResultCode(rawValue: diarium_register_functions(db.sqliteConnection))
        guard code == .SQLITE_OK else { throw DatabaseError(resultCode: code, message: "cannot register the search functions") }
    }
    let pool: DatabasePool
    /// The store's folder, which holds the catalog: where to look when a write fails for want of space.
    let directory: String
    /// Opened read-only, asked for or because this process may not write the catalog or its directory: nothing is
    /// migrated or written, every write fails.
    public let isReadOnly: Bool

    /// `acceptingOlderSchema`: a read-only open of a catalog an older Diarium wrote, only to copy it whole (a restore
    /// of an old backup, whose copy is then upgraded); nothing may read its tables through the current schema.
    init(path: String, create: Bool, readOnly: Bool = false, acceptingOlderSchema: Bool = false) throws(DiariumError) {
        precondition(!(create && readOnly), "a catalog cannot be created read-only")
        // A catalog this process may not write (an auditor's account, read-only media) is opened read-only: opening
        // it read-write would fail, since GRDB writes to make sure a WAL file exists.
        let directory = Paths.parent(of: path)
        self.directory = directory
        isReadOnly = readOnly || (!create && !(POSIX.isWritable(path) && POSIX.isWritable(directory)))
        var config = Configuration()
        config.readonly = isReadOnly
        config.busyMode = .timeout(Self.busyTimeout)
        config.maximumReaderCount = 4
        config.label = "diarium.catalog"
        config.prepareDatabase { db in
            // Statement journals (each savepoint of a group commit), sorters and temp tables in memory: as files they
            // are created and deleted in /var/tmp per transaction, and on a busy file system each create costs more
            // than the whole registration. They are small: one transaction's undo pages, one query's sort.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            // Deleted content is overwritten with zeros, not left readable in free pages: a disposed document's text,
            // and the index segments a merge frees (`CatalogAccess.unpurgedDisposals`). Debian's SQLite is built with
            // this on; others are not. Every measurement in Benchmarks/RESULTS.md ran with it.
            try db.execute(sql: "PRAGMA secure_delete = ON")
            try Self.registerSearch(db)
        }
        // SQLite reads a WAL database through its `-shm` index, and a read-only connection cannot create one where the
        // directory is read-only: a cleanly closed copy on read-only media can then only be read as immutable. Safe,
        // since no process could write there either (one that could would have made the `-shm` as it opened).
        let immutable = isReadOnly && !POSIX.fileExists(path + "-shm") && !POSIX.fileExists(path + "-wal")
            && !POSIX.isWritable(directory)
        if immutable, !Self.sqliteTakesURIs() {
            throw DiariumError(.notAStore, "cannot open catalog \(path) read-only: its directory is read-only and it has no -shm file, "
                + "which this SQLite (built without URI file names) needs; copy the store somewhere writable")
        }
        do {
            pool = try DatabasePool(path: immutable ? Self.immutableURI(path) : path, configuration: config)
        } catch {
            throw Catalog.openFailure(path, error)
        }
        do {
            // FULL: a number printed to a clerk survives power loss, not only a crash. Set here, on the pool's one
            // writer connection, because GRDB sets NORMAL when it sets up WAL mode, after `prepareDatabase`.
            // The WAL grows while a long read (verify, an export) keeps checkpoints from starting it over; without a
            // limit it stays at that size until the server stops. 64 MiB: truncated back to that after a checkpoint.
            if !isReadOnly {
                try pool.writeWithoutTransaction { db in
                    try db.execute(sql: "PRAGMA synchronous = FULL")
                    try db.execute(sql: "PRAGMA journal_size_limit = \(Self.walSizeLimit)")
                }
            }
        } catch {
            throw Catalog.openFailure(path, error)
        }
        do {
            if create {
                try pool.writeWithoutTransaction { db in
                    try db.execute(sql: "PRAGMA application_id = \(Self.applicationID)")
                }
            } else {
                let id = try pool.read { db in try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0 }
                guard id == Self.applicationID else {
                    throw DiariumError(.notAStore, "\(path) is not a Diarium catalog")
                }
            }
            let migrator = Migrations.migrator
            if try pool.read({ db in try migrator.hasBeenSuperseded(db) }) {
                throw DiariumError(.unsupportedStore, "the store at \(path) was written by a newer Diarium; upgrade before using it")
            }
            if isReadOnly {
                guard try acceptingOlderSchema || pool.read({ db in try migrator.hasCompletedMigrations(db) }) else {
                    throw DiariumError(.unsupportedStore, "the store at \(path) was written by an older Diarium: open it once with write access to upgrade it")
                }
            } else {
                let applied = try pool.read { db in try migrator.appliedIdentifiers(db) }
                try migrator.migrate(pool)
                try Self.logUpgrade(pool, migrator, appliedBefore: applied)
                // Full-text tables a migration made again are rebuilt here, each index in one statement of a
                // transaction of its own (minutes for a million documents).
                if try pool.read({ db in try CatalogAccess(db: db).info("search_index_version") == SearchIndex.pendingRebuild }) {
                    _ = try pool.write { db in try CatalogAccess(db: db).rebuildPendingFullText() }
                }
            }
        } catch let error as DiariumError {
            throw error
        } catch {
            throw Catalog.damage(path, error) ?? DiariumError(.notAStore, "\(path) is not a usable Diarium catalog: \(Catalog.describe(error))")
        }
    }

    /// Whether this SQLite reads `file:` URIs as such (SQLITE_USE_URI; Debian's does), asked of an in-memory database.
    static func sqliteTakesURIs() -> Bool {
        (try? DatabaseQueue().read { db in try Bool.fetchOne(db, sql: "SELECT sqlite_compileoption_used('USE_URI')") }) == true
    }

    /// `file:` URI of `path` with `immutable=1`, for a SQLite that `sqliteTakesURIs`.
    static func immutableURI(_ path: String) -> String {
        var uri = "file:"
        for scalar in path.unicodeScalars {
            switch scalar {
            case "%": uri += "%25"
            case "?": uri += "%3F"
            case "#": uri += "%23"
            default: uri.unicodeScalars.append(scalar)
            }
        }
        return uri + "?immutable=1"
    }

    /// Writes a consistent copy of the whole catalog to `path`, which must not exist: SQLite's `VACUUM INTO`, on a
    /// reader outside any transaction (VACUUM runs in its own), so writers go on meanwhile.
    func snapshot(to path: String) throws(DiariumError) {
        do {
            try pool.unsafeRead { db in try db.execute(sql: "VACUUM INTO ?", arguments: [path]) }
        } catch {
            throw Catalog.map(error)
        }
    }

    public func read<T>(_ body: (CatalogAccess) throws -> T) throws(DiariumError) -> T {
        do {
            return try pool.read { db in try body(CatalogAccess(db: db)) }
        } catch {
            throw Catalog.map(error)
        }
    }

    /// Runs `body` in one IMMEDIATE transaction: all of it commits, or none of it. A disk failure is an error whose
    /// outcome is unknown (`DiariumError.outcomeUnknown`): SQLite may have written the commit to the WAL before the
    /// failing sync, and it is replayed when the catalog is next opened.
    @discardableResult
    public func write<T>(_ body: (CatalogAccess) throws -> T) throws(DiariumError) -> T {
        do {
            return try pool.write { db in try body(CatalogAccess(db: db)) }
        } catch {
            throw Catalog.mapWrite(error, directory: directory)
        }
    }

    static let walSizeLimit = 64 << 20

    /// A catalog that cannot be opened: a full or failing disk is a storage failure (exit 7), not "not a store".
    /// `store_info` key: the migrations the log accounts for (a new store's, then each `store.upgrade`'s), one per line.
    static let loggedMigrationsInfo = "logged_migrations"

    /// An upgrade is part of the store's record: the migrations not yet accounted for are logged as `store.upgrade`
    /// (a new store's first migrations are its creation). The migrator commits each migration on its own, so the
    /// event cannot share their transaction; what it accounts for is kept with it instead, and an event lost to a
    /// crash after the migrations is written at the next open. A store from before that key counts what it had.
    private static func logUpgrade(_ pool: DatabasePool, _ migrator: DatabaseMigrator, appliedBefore: Set<String>) throws {
        func logged(_ access: CatalogAccess) throws -> Set<String>? {
            try access.info(loggedMigrationsInfo).map { Set($0.split(separator: "\n").map(String.init)) }
        }
        let now = try pool.read { db in try migrator.appliedIdentifiers(db) }
        // Every open asks; only one that ran migrations (or follows one a crash cut short) writes.
        if try pool.read({ db in try logged(CatalogAccess(db: db)) }) == now { return }
        try pool.write { db in
            let access = CatalogAccess(db: db)
            let accounted = try logged(access) ?? appliedBefore
            let unlogged = now.subtracting(accounted)
            if !accounted.isEmpty && !unlogged.isEmpty {
                let details = "{\"migrations\":[" + unlogged.sorted().map { "\"\($0)\"" }.joined(separator: ",") + "]}"
                try access.appendAudit(at: Date(), actor: "diarium", action: .storeUpgrade, object: "store", version: nil, details: details)
            }
            try access.setInfo(loggedMigrationsInfo, now.sorted().joined(separator: "\n"))
        }
    }

    static func openFailure(_ path: String, _ error: any Error) -> DiariumError {
        if let failure = error as? DatabaseError, [ResultCode.SQLITE_FULL, .SQLITE_IOERR].contains(failure.resultCode) {
            return DiariumError(.storage, "cannot open catalog \(path): \(describe(failure))\(fullness(Paths.parent(of: path)))")
        }
        if let damaged = damage(path, error) { return damaged }
        return DiariumError(.notAStore, "cannot open catalog \(path): \(describe(error))")
    }

    /// A catalog SQLite finds damaged (cut short, pages overwritten, its header overwritten): an integrity problem
    /// (exit 1), not "no store". Only a store's own catalog file is opened this way (`Store` names it), so a file there
    /// that is no database at all is a damaged catalog too.
    static func damage(_ path: String, _ error: any Error) -> DiariumError? {
        guard let failure = error as? DatabaseError, [ResultCode.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(failure.resultCode) else {
            return nil
        }
        return DiariumError(.integrity, "the catalog \(path) is damaged (\(describe(failure))): restore the store from a backup "
                            + "(`diarium restore`)")
    }

    /// `map`, for a write transaction: a disk failure leaves its outcome unknown.
    static func mapWrite(_ error: any Error, directory: String) -> DiariumError {
        guard let failure = error as? DatabaseError, diskFailures.contains(failure.resultCode) else { return map(error) }
        return DiariumError(.storage, "catalog error: \(describe(failure))\(fullness(directory)); whether the change was saved is "
                                + "not known until the store is opened again: look before trying again, and run `diarium verify`",
                            outcomeUnknown: true)
    }

    /// SQLite reports a full disk as a disk I/O error when the WAL index or a journal cannot grow, which sends an
    /// operator looking for failing hardware: say so when the file system has no room.
    static func fullness(_ directory: String) -> String {
        POSIX.isFull(directory) == true ? " (the file system holding \(directory) has no space left)" : ""
    }

    /// Result codes of a failing disk (as opposed to a refused statement, a busy lock or a read-only store).
    static let diskFailures: [ResultCode] = [.SQLITE_IOERR, .SQLITE_FULL, .SQLITE_CORRUPT, .SQLITE_CANTOPEN, .SQLITE_NOTADB]

    /// `write`, waiting at most `busyTimeout` seconds (not the store's 60) for another writer's lock: for best-effort
    /// clean-up after a change failed, which may have failed because the lock did not come, and must not then hold
    /// its caller as long again.
    @discardableResult
    public func write<T>(busyTimeout: TimeInterval, _ body: (CatalogAccess) throws -> T) throws(DiariumError) -> T {
        do {
            return try pool.writeWithoutTransaction { db in
                try Self.waiting(busyTimeout, on: db) {
                    var result: T?
                    try db.inTransaction(.immediate) {
                        result = try body(CatalogAccess(db: db))
                        return .commit
                    }
                    return result!
                }
            }
        } catch {
            throw Catalog.map(error)
        }
    }

    /// Copies the WAL into the catalog and truncates it to nothing. After a purge: page images written before it
    /// (text since removed) must not stay in the WAL file, which is otherwise reused from its start and kept at up to
    /// `walSizeLimit`. It holds off writers while it waits for readers on older snapshots, so it waits at most
    /// `busyTimeout` seconds (not the store's 60) and then fails, for the next purge to try again.
    public func checkpointTruncating(busyTimeout: TimeInterval = 5) throws(DiariumError) {
        do {
            try pool.writeWithoutTransaction { db in
                try Self.waiting(busyTimeout, on: db) { _ = try db.checkpoint(.truncate) }
            }
        } catch {
            throw Catalog.map(error)
        }
    }

    /// Runs `body` on the writer with SQLite waiting at most `seconds` for a lock, then the store's usual wait again.
    private static func waiting<T>(_ seconds: TimeInterval, on db: Database, _ body: () throws -> T) throws -> T {
        try db.execute(sql: "PRAGMA busy_timeout = \(Int(seconds * 1000))")
        defer { try? db.execute(sql: "PRAGMA busy_timeout = \(Int(busyTimeout * 1000))") }
        return try body()
    }

    /// `PRAGMA integrity_check` and `foreign_key_check`; each problem as a line.
    public func integrityProblems() throws(DiariumError) -> [String] {
        try read { access in
            var problems = try String.fetchAll(access.db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
            let rows = try Row.fetchAll(access.db, sql: "PRAGMA foreign_key_check")
            problems += rows.map { row in "foreign key violation in \(row[0] as String? ?? "?") row \(row[1] as Int64? ?? 0) → \(row[2] as String? ?? "?")" }
            return problems
        }
    }

    static func map(_ error: any Error) -> DiariumError {
        if let error = error as? DiariumError { return error }
        if let error = error as? DatabaseError, error.resultCode == .SQLITE_CORRUPT {
            return DiariumError(.integrity, "the catalog is damaged (\(describe(error))): run `diarium verify`, and restore the "
                                + "store from a backup (`diarium restore`)")
        }
        if let error = error as? DatabaseError, error.resultCode == .SQLITE_READONLY {
            return DiariumError(.storage, "cannot write: the store is open read-only (\(describe(error)))")
        }
        return DiariumError(.storage, "catalog error: \(describe(error))")
    }

    /// A database error without its SQL arguments (they may hold restricted metadata).
    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            return "\(error.resultCode): \(error.message ?? "unknown")"
        }
        return String(describing: error)
    }
}
