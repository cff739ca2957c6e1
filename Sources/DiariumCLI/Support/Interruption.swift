#if canImport(Glibc)
import Glibc
#endif
import Dispatch

/// Ctrl-C, a TERM or a HUP (the terminal closed) during a command that works for long and leaves something behind
/// when cut off (`backup` and `restore`: a `.partial-…` copy holding restricted content; `dispose --execute`: batches
/// committed, files not yet removed). `cleanup` runs and `message` is said before the process exits with 128 + the
/// signal, as a shell expects; without it the command would die silently, its state unexplained.
final class Interruption {
    private var sources: [(number: Int32, source: any DispatchSourceSignal)] = []

    init(message: String?, cleanup: @escaping @Sendable () -> Void = {}) {
        let queue = DispatchQueue(label: "diarium.interruption")
        for number in [SIGINT, SIGTERM, SIGHUP] {
            // A signal the process was started to ignore (a background job's INT) stays ignored.
            guard Self.address(signal(number, SIG_IGN)) != Self.address(SIG_IGN) else { continue }
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                cleanup()
                if let message { Output.note("interrupted: \(message)") }
                exit(128 + number)
            }
            source.resume()
            sources.append((number, source))
        }
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
