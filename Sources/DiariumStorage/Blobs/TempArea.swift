#if canImport(Glibc)
import Glibc
#endif
import DiariumCore
import Synchronization

/// A private scratch directory under `tmp/` for one process, held with an exclusive `flock`.
///
/// Several processes may write to one store at once, so a process must never delete another's live temp
/// files. The lock tells them apart: the kernel drops it when its holder dies (even by SIGKILL), so a
/// directory whose lock can be taken belongs to a dead process and is removed on the next open.
final class TempArea: Sendable {
    let path: String
    private let lockFD: Int32
    // Atomic, so that one area can serve every job of a server (see `Store.Shared.sharingTempArea`).
    private let counter = Atomic<Int>(0)

    init(root: String) throws(DiariumError) {
        let name = "\(getpid())-\(UInt64.random(in: 0...UInt64.max) & 0xffff_ffff_ffff)"
        // Build and lock under a dot-name first, then publish: the cleaner never sees an unlocked live directory.
        let staging = root + "/." + name
        try POSIX.makeDirectory(staging)
        let fd = try POSIX.open(staging + "/.lock", O_RDWR | O_CREAT, 0o600)
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw POSIX.storageError("cannot lock temp directory", staging)
        }
        path = root + "/" + name
        guard rename(staging, path) == 0 else {
            close(fd)
            throw POSIX.storageError("cannot create temp directory", path)
        }
        lockFD = fd
    }

    deinit {
        POSIX.removeTree(path)
        close(lockFD)
    }

    func newFilePath() -> String {
        let n = counter.add(1, ordering: .relaxed).newValue
        return "\(path)/\(n).part"
    }

    /// Removes the temp directories of processes that are gone. Returns how many were removed.
    @discardableResult
    static func removeStale(in root: String) -> Int {
        var removed = 0
        for name in (try? POSIX.listDirectory(root)) ?? [] {
            let dir = root + "/" + name
            if name.hasPrefix(".") {
                // A directory that never got published: its creator died between mkdir and rename.
                var st = stat()
                if stat(dir, &st) == 0, time(nil) - st.st_mtim.tv_sec > 3600 { POSIX.removeTree(dir); removed += 1 }
                continue
            }
            let fd = Glibc.open(dir + "/.lock", O_RDWR | O_CLOEXEC)
            if fd < 0 {
                POSIX.removeTree(dir)
                removed += 1
                continue
            }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 {
                POSIX.removeTree(dir)
                removed += 1
            }
            close(fd)
        }
        return removed
    }
}
