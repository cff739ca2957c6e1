#if canImport(Glibc)
import Glibc
#endif
import DiariumCore
import DiariumExchange
import DiariumPackage
import DiariumServices
import Dispatch
import Foundation

/// Ctrl-C or a TERM while a command delivers an interchange (`exchange send`, `resend`): the attempt it cut off would
/// hold its lease (`RedeliverySchedule.lease`, 5 h), and no server would try the interchange by itself for that long.
/// The interchange is made due again at once, as a stopping server does, before the process exits.
final class InterruptedDelivery: @unchecked Sendable {
    private let lock = NSLock()
    private var current: ControlReference?
    private var sources: [any DispatchSourceSignal] = []

    /// Watches `exchange`'s leases; `release` makes one due again (on a connection of its own: the command's thread is
    /// busy with the attempt).
    init(_ exchange: ExchangeService, release: @escaping @Sendable (ControlReference) throws -> Void) {
        exchange.leased = { [weak self] reference in self?.attempting(reference) }
        // Handled on another thread, since the command's is busy delivering.
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in
                if let reference = self?.take() {
                    do {
                        try release(reference)
                        Output.note("interrupted: \(reference) is due to be delivered again at once")
                    } catch {
                        Output.error("interrupted: \(reference) stays held until its attempt's lease ends: \(error)")
                    }
                }
                // `exchange send` may still be writing its package: no half-written file is left behind.
                ArchiveWriter.removeUnfinishedFiles()
                exit(128 + number)
            }
            source.resume()
            return source
        }
    }

    deinit { sources.forEach { $0.cancel() } }

    /// The attempt is over (answered or recorded as failed): nothing to release.
    func finished() { attempting(nil) }

    private func attempting(_ reference: ControlReference?) {
        lock.lock(); defer { lock.unlock() }
        current = reference
    }

    private func take() -> ControlReference? {
        lock.lock(); defer { lock.unlock() }
        defer { current = nil }
        return current
    }
}
