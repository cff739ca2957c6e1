import DiariumCore
import Foundation

/// Runs one closure on its own thread; `join` waits for its result.
///
/// The registration pipeline uses it to sync and commit one batch while the next is being read and hashed:
/// the syncs mostly wait on the disk, so on two cores this hides most of the CPU work.
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

    func join() throws(DiariumError) -> T {
        done.wait()
        return try result!.get()
    }
}
