#if canImport(Glibc)
import Glibc
#endif
import DiariumCore
import DiariumPackage
import DiariumServices
import Dispatch
import Foundation

/// Ctrl-C, a TERM or a HUP (the terminal closed) while a command delivers an interchange (`exchange send`, `resend`):
/// the attempt it cut off would hold its lease (`RedeliverySchedule.lease`, 5 h), and no server would try the
/// interchange by itself for that long. The interchange is made due again at once, as a stopping server does, before
/// the process exits. Stopped while `exchange send` writes an interchange it has not queued yet, the files written
/// for it are removed: no package is left in the outbox for an interchange nobody recorded. (A file the command
/// renames into place between that removal and the exit, or a temp file it was writing, is left to
/// `ExchangeService.sweepOutbox`.)
final class InterruptedDelivery: @unchecked Sendable {
    private let lock = NSLock()
    /// The interchange the last lease was written for.
    private var current: ControlReference?
    /// Files written for an interchange not recorded yet.
    private var unrecorded: [String] = []
    private var sources: [any DispatchSourceSignal] = []

    /// Watches `exchange`'s leases; `release` makes one due again (on a connection of its own: the command's thread
    /// is busy with the attempt).
    init(_ exchange: ExchangeService, release: @escaping @Sendable (ControlReference) throws -> Void) {
        // A lease is written under the lock, so a release never crosses it: it comes after, or the lease never is.
        exchange.leasing = { [weak self] reference, write in
            guard let self else { return write() }
            lock.lock(); defer { lock.unlock() }
            write()
            current = reference
        }
        exchange.writingUnrecorded = { [weak self] path in
            guard let self else { return }
            lock.lock(); defer { lock.unlock() }
            unrecorded.append(path)
        }
        // The commit that records the interchange runs under the lock: its files are removed before it or kept after
        // (after a failed one, `queue` removes them itself, and a signal meanwhile still does).
        exchange.recording = { [weak self] commit in
            guard let self else { _ = commit(); return }
            lock.lock(); defer { lock.unlock() }
            if commit() { unrecorded = [] }
        }
        // One serial queue for every signal: a second one waits for the first's release instead of exiting under it.
        let queue = DispatchQueue(label: "diarium.interrupted-delivery")
        sources = [SIGINT, SIGTERM, SIGHUP].compactMap { number in
            // A signal the process was started to ignore (a background job's INT) stays ignored.
            guard Interruption.address(signal(number, SIG_IGN)) != Interruption.address(SIG_IGN) else { return nil }
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [weak self] in
                self?.stop(release: release)
                // `exchange send` may still be writing its package: no half-written file is left behind.
                ArchiveWriter.removeUnfinishedFiles()
                exit(128 + number)
            }
            source.resume()
            return source
        }
    }

    deinit { sources.forEach { $0.cancel() } }

    /// The attempt is over (answered, or its failure recorded with the next time): nothing to release.
    func finished() {
        lock.lock(); defer { lock.unlock() }
        current = nil
    }

    /// Releases the interchange under the lock, which the process keeps until it exits: no lease is written after.
    private func stop(release: (ControlReference) throws -> Void) {
        lock.lock()
        if !unrecorded.isEmpty {
            for path in unrecorded { unlink(path) }
            unrecorded = []
            Output.note("interrupted: nothing was queued, and the files written for it are removed")
        }
        guard let reference = current else { return }
        current = nil
        do {
            try release(reference)
            Output.note("interrupted: \(reference) is due to be delivered again at once")
        } catch {
            Output.error("interrupted: \(reference) stays held until its attempt's lease ends: \(error)")
        }
    }
}
