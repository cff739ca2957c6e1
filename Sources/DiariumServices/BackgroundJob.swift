import DiariumCore
import Foundation

/// Runs one closure on its own thread; `join` waits for its result.
///
/// The registration pipeline uses it to sync one batch and commit another while a third is being read and
/// hashed: the syncs mostly wait on the disk, so on two cores this hides most of the CPU work.
final class BackgroundJob<T: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    // Written once by the worker before `signal`, read only after `wait`: the semaphore orders the accesses.
    private var result: Result<T, DiariumError>?

    init(_ work: @escaping @Sendable () throws(DiariumError) -> T) {
        let thread = Thread { [self] in
            do throws(DiariumError) {
                result = .success(try work())
            } catch {
                result = .failure(error)
            }
            done.signal()
        }
        thread.start()
    }

    /// Waits for the result; any number of threads may join, any number of times.
    func join() throws(DiariumError) -> T {
        done.wait()
        done.signal()   // pass the signal on to the next joiner
        return try result!.get()
    }
}
