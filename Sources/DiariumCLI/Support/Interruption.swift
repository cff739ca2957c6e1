#if canImport(Glibc)
import Glibc
#endif
import Dispatch

/// Ctrl-C, a TERM or a HUP (the terminal closed) during a command that works for long and leaves something behind
/// when cut off (`backup` and `restore`: a `.partial-…` copy holding restricted content; `dispose --execute`: batches
/// committed, files not yet removed): what was left is cleaned up and said before the process exits with 128 + the
/// signal, as a shell expects; without it the command would die silently, its state unexplained.
final class Interruption {
    private var sources: [(number: Int32, source: any DispatchSourceSignal)] = []

    /// `handle` runs on a signal and ends with `finish(message)`, which says "interrupted: message" and exits with
    /// 128 + the signal at once (`_exit`: no second thread's exit or error message after it). A handler that holds a
    /// lock the working thread needs calls `finish` holding it (`RecordsService.removeUnfinishedCopies`).
    init(_ handle: @escaping @Sendable (_ finish: (String) -> Never) -> Never) {
        let queue = DispatchQueue(label: "diarium.interruption")
        for number in [SIGINT, SIGTERM, SIGHUP] {
            // A signal the process was started to ignore (a background job's INT) stays ignored.
            guard Self.address(signal(number, SIG_IGN)) != Self.address(SIG_IGN) else { continue }
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                handle { message in
                    Output.note("interrupted: \(message)")
                    _exit(128 + number)
                }
            }
            source.resume()
            sources.append((number, source))
        }
    }

    /// Says `message` on a signal and exits.
    convenience init(message: String) {
        self.init { finish in finish(message) }
    }

    /// Done: the signals take their default action again.
    deinit {
        for (number, source) in sources {
            source.cancel()
            signal(number, SIG_DFL)
        }
    }

    /// A signal disposition as a number: C function pointers (`SIG_IGN` is 1) do not compare in Swift.
    static func address(_ handler: __sighandler_t?) -> Int {
        handler.map { unsafeBitCast($0, to: Int.self) } ?? 0
    }
}
