import DiariumCore
import Foundation
import GRDB

/// A Diarium store on disk: `catalog.sqlite`, `objects/sha256/…`, `tmp/`. See `Storage/README.md`.
public final class Store {
    public static let formatVersion = "1"

    public let root: String
    public let catalog: Catalog
    public let blobs: BlobStore

    private init(root: String, catalog: Catalog, tempArea: TempArea? = nil) {
        self.root = root
        self.catalog = catalog
        self.blobs = BlobStore(objectsPath: root + "/objects/sha256", tempRoot: root + "/tmp", tempArea: tempArea)
    }

    static func catalogPath(_ root: String) -> String { root + "/catalog.sqlite" }

    /// No access for other local accounts (see `create`); the exchange folders are made so too.
    public static let privateDirectoryMode: mode_t = 0o750
    static let privateFileMode: mode_t = 0o640

    /// Whether `path` (which need not exist yet, nor the folders it would be made in) lies in this store, links
    /// resolved as far as they exist. What a command writes for the user must not: a package named `catalog.sqlite`
    /// replaced the catalog, one under `objects/` a content file, one under `tmp/` was swept by the next command, and
    /// a backup would copy itself.
    public func holds(_ path: String) -> Bool {
        func resolved(_ path: String) -> String? {
            guard let real = realpath(path, nil) else { return nil }
            defer { free(real) }
            return String(cString: real)
        }
        guard let store = resolved(root) else { return false }
        var folder = Paths.parent(of: Paths.absolute(path))
        var found = resolved(folder)
        while found == nil && folder != "/" {
            folder = Paths.parent(of: folder)
            found = resolved(folder)
        }
        guard let found else { return false }
        return found == store || found.hasPrefix(store + "/")
    }

    /// Whether `root` holds a store (it may still fail to open if damaged).
    public static func exists(at root: String) -> Bool {
        POSIX.fileExists(catalogPath(root))
    }

    /// Creates a new store. Refuses a directory that already holds one; one whose creation was cut short (a killed
    /// `init`: a catalog without its format, and no content) is made again. `initialise` runs in the transaction that
    /// marks the store finished (the first audit event), so that a store is either whole or recognisably unfinished.
    public static func create(at root: String, now: Date,
                              initialise: (CatalogAccess) throws -> Void = { _ in }) throws(DiariumError) -> Store {
        // A missing parent folder is a mistyped path (not found, as backup and restore say it), not a failing disk.
        var trimmed = root
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        let parent = Paths.parent(of: Paths.absolute(trimmed))
        guard POSIX.isDirectory(parent) else {
            throw DiariumError(.notFound, "the folder \(parent) does not exist (a store is made in an existing folder)", field: "store")
        }
        try POSIX.makeDirectory(root)
        // One init at a time: a second one, seeing the first's catalog before its format is written, would take it
        // for a killed one and remove it. The lock goes with the process, so a killed init leaves none.
        let lock = Glibc.open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard lock >= 0 else { throw POSIX.storageError("cannot open", root) }
        defer { close(lock) }
        guard flock(lock, LOCK_EX | LOCK_NB) == 0 else {
            throw DiariumError(.alreadyExists, "another process is making a store at \(root)")
        }
        if exists(at: root) {
            guard isUnfinished(root) else { throw DiariumError(.alreadyExists, "a Diarium store already exists at \(root)") }
            for suffix in ["", "-wal", "-shm"] { unlink(catalogPath(root) + suffix) }
        } else {
            // A mistyped --store must not put a catalog among someone's documents. A README (the repository's
            // Storage/ has one), dotfiles and what a killed init left are no reason to refuse.
            let own: Set<String> = ["README.md", "objects", "tmp", "exchange", "catalog.sqlite", "catalog.sqlite-wal", "catalog.sqlite-shm"]
            let others = try POSIX.listDirectory(root).filter { !$0.hasPrefix(".") && !own.contains($0) }.sorted()
            guard others.isEmpty else {
                throw DiariumError(.alreadyExists, "\(root) already holds other files (\(others.prefix(3).joined(separator: ", "))"
                                   + "\(others.count > 3 ? ", …" : "")): a store is made in a new or empty folder", field: "store")
            }
        }
        // Restricted content and metadata, and partners' tokens, are for this account (and its group, e.g. a read-only
        // auditor's), never for every local account: the content and temp folders and the catalog have no bits for
        // others. (SQLite gives the catalog's -wal and -shm the catalog's own mode.)
        try POSIX.makeDirectory(root + "/objects", mode: privateDirectoryMode)
        try BlobStore.createLayout(objectsPath: root + "/objects/sha256")
        try POSIX.makeDirectory(root + "/tmp", mode: privateDirectoryMode)
        try POSIX.fsyncDirectory(root + "/objects")
        // Made with its mode before SQLite opens it (and its -wal and -shm take that mode): a catalog left by a killed
        // init is as private as a finished one, whatever the umask.
        let fd = Glibc.open(catalogPath(root), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, privateFileMode)
        guard fd >= 0 else { throw POSIX.storageError("cannot create", catalogPath(root)) }
        fchmod(fd, privateFileMode)
        close(fd)
        let catalog = try Catalog(path: catalogPath(root), create: true)
        try catalog.write { access in
            try access.setInfo("format", "diarium-store")
            try access.setInfo("format_version", formatVersion)
            try access.setInfo("created_at", Timestamp.format(now))
            try initialise(access)
        }
        try POSIX.fsyncDirectory(root)
        return Store(root: root, catalog: catalog)
    }

    /// What keeps the store from working though its catalog answers (for `/health`): its content folder gone (a
    /// volume unmounted after the server opened the store) or its file system full. Nil when neither.
    public func unavailability() -> String? {
        let objects = root + "/objects/sha256"
        guard POSIX.isDirectory(objects) else { return "its content folder \(objects) is missing (a volume not mounted?)" }
        if POSIX.isFull(root) == true { return "the file system holding \(root) has no space left" }
        return nil
    }

    /// Opens an existing store and removes temp files left by processes that died (e.g. killed mid-import).
    /// `readOnly` writes nothing at all (no migration, no clean-up), for a copy on read-only media or a user who may
    /// only read; SQLite may still leave an empty `-wal` and `-shm` beside the catalog where it can. A store this
    /// process may not write opens so by itself (`catalog.isReadOnly`).
    /// `acceptingOlderSchema` (with `readOnly`): only to copy a store an older Diarium wrote (`copy(to:)`).
    public static func open(at root: String, readOnly: Bool = false, acceptingOlderSchema: Bool = false) throws(DiariumError) -> Store {
        guard POSIX.isDirectory(root), exists(at: root) else {
            throw DiariumError(.notAStore, "no Diarium store at \(root) (create one with `diarium init --store \(root)`)")
        }
        // The content folder: a catalog without it is a store whose content is elsewhere (a volume not mounted), and
        // nothing may be registered until it is back.
        let objects = root + "/objects/sha256"
        guard POSIX.isDirectory(objects) else {
            var st = stat()
            let reason = stat(objects, &st) == 0 ? "is not a folder" : String(cString: strerror(errno))
            throw DiariumError(.integrity, "the store at \(root) has its catalog but not its content folder \(objects) (\(reason)): "
                               + "is a volume not mounted, or its permissions changed? Nothing was opened")
        }
        let unfinished = DiariumError(.notAStore, "the store at \(root) was never finished: its creation was cut short. Nothing was "
                                      + "stored in it; `diarium init --store \(root)` makes it again")
        let catalog: Catalog
        do {
            catalog = try Catalog(path: catalogPath(root), create: false, readOnly: readOnly, acceptingOlderSchema: acceptingOlderSchema)
        } catch {
            throw error.code == .notAStore && isUnfinished(root) ? unfinished : error
        }
        // The format is written last, with the first audit event (`create`). Without it and without records, the
        // creation was cut short; without it but with records, something removed it.
        guard try catalog.read({ try $0.info("format") }) != nil else {
            if isUnfinished(root) { throw unfinished }
            throw DiariumError(.integrity, "the store at \(root) has records but no format in its catalog (store_info): "
                               + "restore it from a backup, or set it back with sqlite3 after checking the rest")
        }
        if !catalog.isReadOnly {
            // Scratch space, not part of the record (Storage/README.md): an operator may remove it, and it comes back.
            if !POSIX.isDirectory(root + "/tmp") { try POSIX.makeDirectory(root + "/tmp", mode: privateDirectoryMode) }
            TempArea.removeStale(in: root + "/tmp")
        }
        return Store(root: root, catalog: catalog)
    }

    /// A store whose creation was cut short: its catalog is empty or has no format yet (written last, with the first
    /// audit event), and no content was stored. Read through a read-only connection: nothing migrated or changed.
    static func isUnfinished(_ root: String) -> Bool {
        var st = stat()
        guard stat(catalogPath(root), &st) == 0 else { return false }
        if st.st_size > 0 {
            var config = Configuration()
            config.readonly = true
            // No store_info table (migrations not run yet) is unfinished too; any other failure (a locked or damaged
            // file) is not taken for one.
            // Nothing recorded either: a store an older build made without its format (it wrote the format in a
            // transaction of its own, and never checked it) may hold a whole register, and is never taken for one.
            let recorded = try? DatabaseQueue(path: catalogPath(root), configuration: config).read { db -> Int in
                guard try db.tableExists("store_info") else { return 0 }
                var count = try Int.fetchOne(db, sql: "SELECT count(*) FROM store_info WHERE key = 'format'") ?? 0
                for table in ["audit_events", "cases"] where try db.tableExists(table) {
                    count += try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0
                }
                return count
            }
            guard recorded == 0 else { return false }
        }
        let objects = root + "/objects/sha256"
        guard POSIX.isDirectory(objects) else { return true }
        return ((try? POSIX.listDirectory(objects)) ?? []).allSatisfy { shard in
            shard.utf8.count != 2 || ((try? POSIX.listDirectory(objects + "/" + shard)) ?? [""]).isEmpty
        }
    }

    /// What several threads may share: the root and the opened catalog (opening is costly, so a server opens once).
    public var shared: Shared { Shared(root: root, catalog: catalog) }

    /// An opened store's thread-safe part. Each thread or job makes its own cheap `Store` from it: a `Store`'s
    /// `BlobStore` has a buffer and a temp area that must not be shared.
    public struct Shared: Sendable {
        public let root: String
        public let catalog: Catalog
        let tempArea: TempArea?

        init(root: String, catalog: Catalog, tempArea: TempArea? = nil) {
            self.root = root
            self.catalog = catalog
            self.tempArea = tempArea
        }

        /// A fresh `Store` over the same root and catalog, with its own `BlobStore`. No I/O.
        public func makeStore() -> Store {
            Store(root: root, catalog: catalog, tempArea: tempArea)
        }

        /// The same, with every job staging into `uploads`' directory instead of making (and removing) a temp
        /// directory of its own: for a server, where that would cost several file-system operations per request.
        public func sharingTempArea(_ uploads: UploadArea) -> Shared {
            Shared(root: root, catalog: catalog, tempArea: uploads.area)
        }
    }
}

import Synchronization

/// A server's scratch directory for request bodies being received (uploads), under the store's `tmp/` so that a
/// finished upload is on the same file system as the objects, and so that a killed server's partial uploads are
/// removed by the next open, like any dead process's temp files.
public final class UploadArea: Sendable {
    let area: TempArea
    private let next = Atomic<Int>(0)
    /// Whether the server has stopped, and how many jobs (exports) still write here.
    private let jobs = Mutex<(closed: Bool, running: Int)>((false, 0))

    public init(store: Store.Shared) throws(DiariumError) {
        area = try TempArea(root: store.root + "/tmp")
    }

    /// For work that goes on writing here after its request was answered (an export job): `false` once the server
    /// has stopped. Each `true` must be followed by `endJob()`.
    public func beginJob() -> Bool {
        jobs.withLock { state in
            guard !state.closed else { return false }
            state.running += 1
            return true
        }
    }

    public func endJob() {
        jobs.withLock { $0.running -= 1 }
    }

    /// True once `removeAll` has begun: jobs writing here should stop (an export checks it between files).
    public var isClosed: Bool { jobs.withLock { $0.closed } }

    /// Removes the area and everything in it, for a server that has stopped: a job still running (an export
    /// writing its package) would otherwise keep the area, and gigabytes in it, until the next open of the store.
    /// Running jobs are told to stop and given up to `patience` to do so, so that none adds files while the tree
    /// is removed.
    public func removeAll(patience: Duration = .seconds(10)) {
        jobs.withLock { $0.closed = true }
        let deadline = ContinuousClock.now + patience
        while jobs.withLock({ $0.running }) > 0 && ContinuousClock.now < deadline {
            usleep(10_000)
        }
        POSIX.removeTree(area.path)
    }

    /// A fresh path inside the area (nothing is created).
    public func newFilePath() -> String {
        let n = next.add(1, ordering: .relaxed).newValue
        return "\(area.path)/upload-\(n).part"
    }
}
