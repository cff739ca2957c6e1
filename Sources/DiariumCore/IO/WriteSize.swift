/// How much one `write(2)` call hands the kernel.
public enum WriteSize {
    /// Measured on the project's VM: writing a GiB in 1 MiB calls spent 2–3× the system time of 128 KiB calls, for
    /// bsdtar as well (`-b 2048` against `-b 256`). Large writes make the page cache take large folios, which there
    /// seem to come from memory the balloon returned to the host. 128 KiB costs a few more system calls, nothing else.
    public static let maximum = 128 << 10
}
