/// How much one `write(2)` call hands the kernel.
public enum WriteSize {
    /// Large writes make the page cache take large folios, and on a VM whose balloon gives freed memory back to the
    /// host, those come from exactly the blocks the host reclaimed: measured here, 1 MiB writes of a GiB spent 2–3×
    /// the system time of 128 KiB writes (bsdtar alike). 128 KiB costs a few more system calls and nothing else.
    public static let maximum = 128 << 10
}
